"""Clearer errors: broadcasting errors carry the two shapes aligned from the right with the
offending dimension marked (ops/broadcast_error.py), and a module whose parameter is on
another device or dtype than its input names it and the fix (nn/modules/mismatch_hint.py).
Both are exception notes: `str(err)` stays PyTorch's message, byte for byte."""
from __future__ import annotations

import traceback

import pytest

import minitorch_nn as mt
from minitorch_nn import nn
from minitorch_nn._exception_notes import notes_of
from minitorch_nn.ops.broadcast_error import broadcast_error

try:
    import torch
except ImportError:
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
cuda = pytest.mark.cuda


def _raised(fn) -> BaseException:
    with pytest.raises(RuntimeError) as info:
        fn()
    return info.value


def _pytorch_dim(a: tuple, b: tuple) -> int:
    """The dimension PyTorch's infer_size reports: the last one (after aligning the shapes
    on the right) whose sizes differ with neither being 1."""
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    return max(i for i in range(n) if pa[i] != pb[i] and 1 not in (pa[i], pb[i]))


def _read_picture(note: str, a: tuple, b: tuple):
    """Check the drawing and return (dim under the caret, sizes there in a and b)."""
    line_a, line_b, caret = note.splitlines()
    assert line_a.startswith("  tensor a: ") and line_b.startswith("  tensor b: ")
    assert len(line_a) == len(line_b)                          # aligned from the right
    # the right edge of each size, per line: the same columns for the dims both have
    ends = [[i for i, ch in enumerate(line) if ch.isdigit() and not line[i + 1].isdigit()]
            for line in (line_a, line_b)]
    assert len(ends[0]) == len(a) and len(ends[1]) == len(b)
    k = min(len(a), len(b))
    assert ends[0][len(a) - k:] == ends[1][len(b) - k:]
    column = caret.index("^")
    n = max(len(a), len(b))
    longer = ends[0] if len(a) == n else ends[1]
    dim = longer.index(column)
    pa, pb = (None,) * (n - len(a)) + a, (None,) * (n - len(b)) + b
    assert caret[column:].startswith(f"^ dimension {dim}: {pa[dim]} vs {pb[dim]}")
    return dim, pa[dim], pb[dim]


SHAPE_PAIRS = [((2, 3), (4,)), ((5, 2, 3), (7, 1, 4)), ((4, 100, 3), (7, 3)),
               ((3,), (2, 4)), ((6, 1, 10), (6, 12, 9)), ((2, 12, 1), (3, 1, 5))]


@pytest.mark.parametrize("a, b", SHAPE_PAIRS)
def test_elementwise_error_marks_the_dimension_pytorch_names(a, b):
    err = _raised(lambda: mt.ones(a) + mt.ones(b))
    dim = _pytorch_dim(a, b)
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    assert str(err) == (f"The size of tensor a ({pa[dim]}) must match the size of tensor b "
                        f"({pb[dim]}) at non-singleton dimension {dim}")
    assert _read_picture(notes_of(err), a, b) == (dim, pa[dim], pb[dim])


@requires_torch
@pytest.mark.parametrize("a, b", SHAPE_PAIRS)
def test_first_line_is_pytorchs_byte_for_byte(a, b):
    with pytest.raises(RuntimeError) as ref:
        torch.ones(a) + torch.ones(b)
    assert str(_raised(lambda: mt.ones(a) + mt.ones(b))) == str(ref.value)


def test_the_traceback_prints_the_shapes_under_the_message():
    err = _raised(lambda: mt.ones(2, 3) * mt.ones(4))
    text = "".join(traceback.format_exception(err))
    assert ("RuntimeError: The size of tensor a (3) must match the size of tensor b (4) at "
            "non-singleton dimension 1\n  tensor a: [2, 3]\n  tensor b:    [4]\n"
            "                ^ dimension 1: 3 vs 4") in text


def test_the_drawing_for_wide_sizes():
    err = broadcast_error((1, 100, 3), (2, 4, 3), 1)
    assert notes_of(err).splitlines() == [
        "  tensor a: [1, 100, 3]",
        "  tensor b: [2,   4, 3]",
        "                  ^ dimension 1: 100 vs 4 (sizes must be equal, or one of them 1)"]


# every place that builds the message: each error is PyTorch's and carries the picture
SITES = {   # name: (call on a library, shape a, shape b)
    "elementwise": (lambda lib: lib.ones(2, 3) - lib.ones(2, 4), (2, 3), (2, 4)),
    "matmul batch": (lambda lib: lib.ones(2, 4, 5) @ lib.ones(3, 5, 6), (2,), (3,)),
    "copy_": (lambda lib: lib.ones(2, 3).copy_(lib.ones(4)), (2, 3), (4,)),
    "take_along_dim": (lambda lib: lib.take_along_dim(
        lib.ones(2, 3), lib.zeros(4, 1, dtype=lib.long), dim=1), (2, 1), (4, 1)),
    "normal": (lambda lib: lib.normal(lib.zeros(2), lib.ones(3)), (2,), (3,)),
    "linalg.cross": (lambda lib: lib.linalg.cross(lib.ones(2, 3), lib.ones(4, 3)),
                     (2, 3), (4, 3)),
    "pairwise_distance": (lambda lib: lib.nn.functional.pairwise_distance(
        lib.ones(2, 3), lib.ones(4, 3)), (2, 3), (4, 3)),
}


@pytest.mark.parametrize("site", sorted(SITES))
def test_every_broadcast_check_adds_the_picture(site):
    fn, a, b = SITES[site]
    err = _raised(lambda: fn(mt))
    first = str(err)
    dim, size_a, size_b = _read_picture(notes_of(err), a, b)
    assert first == (f"The size of tensor a ({size_a}) must match the size of tensor b "
                     f"({size_b}) at non-singleton dimension {dim}")


@requires_torch
@pytest.mark.parametrize("site", sorted(SITES))
def test_every_broadcast_check_keeps_pytorchs_message(site):
    fn = SITES[site][0]
    with pytest.raises(RuntimeError) as ref:
        fn(torch)
    assert str(_raised(lambda: fn(mt))) == str(ref.value)


# ------------------------------------------------------------------ modules
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))

    def forward(self, x):
        return self.layers(x)


def test_nested_layer_on_another_dtype_is_named_with_its_path_and_the_fix():
    model = Net()
    model.layers[2].double()
    err = _raised(lambda: model(mt.randn(3, 4)))
    assert str(err) == "mat1 and mat2 must have the same dtype, but got Float and Double"
    assert err.__notes__ == [
        "The module's parameter 'layers.2.weight' is torch.float64 but its input is "
        "torch.float32: convert the model with model.to(torch.float32), or the input with "
        "x.to(torch.float64)."]                     # one note, written once, full path


@requires_torch
def test_module_dtype_error_message_is_pytorchs():
    ref = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    ref[2].double()
    with pytest.raises(RuntimeError) as info:
        ref(torch.randn(3, 4))
    model = Net()
    model.layers[2].double()
    assert str(_raised(lambda: model.layers(mt.randn(3, 4)))) == str(info.value)


def test_the_path_is_relative_to_the_module_called():
    model = Net()
    model.layers[2].double()
    assert "'2.weight'" in notes_of(_raised(lambda: model.layers(mt.randn(3, 4))))
    assert "'weight'" in notes_of(_raised(lambda: model.layers[2](mt.randn(3, 8))))


def test_a_buffer_and_other_layers_are_named_too():
    conv = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    conv[1].double()
    assert "parameter '1.weight' is torch.float64" in notes_of(
        _raised(lambda: conv(mt.randn(1, 1, 5, 5))))
    bn = nn.Sequential(nn.BatchNorm1d(3)).eval()
    bn[0].running_var = bn[0].running_var.double()
    assert "buffer '0.running_var' is torch.float64" in notes_of(
        _raised(lambda: bn(mt.randn(2, 3))))


def test_a_module_with_hooks_gets_the_note_too():
    model = Net()
    model.layers[2].double()
    model.register_forward_hook(lambda m, args, out: out)
    model.layers.register_forward_pre_hook(lambda m, args: None)
    err = _raised(lambda: model(mt.randn(3, 4)))
    assert len(err.__notes__) == 1 and "'layers.2.weight'" in err.__notes__[0]


def test_other_errors_get_no_note():
    model = Net()
    err = _raised(lambda: model(mt.randn(3, 5)))          # a shape error, not a dtype one
    assert str(err).startswith("mat1 and mat2 shapes cannot be multiplied")
    assert not hasattr(err, "__notes__")
    emb = nn.Embedding(10, 3)                             # integer input, float weight: fine
    assert emb(mt.tensor([1, 2])).shape == (2, 3)


@cuda
def test_a_layer_left_on_the_cpu_is_named_under_the_gpu():
    model = Net().cuda()
    model.layers[2].cpu()
    err = _raised(lambda: model(mt.randn(3, 4, device="cuda")))
    assert str(err).startswith("Expected all tensors to be on the same device")
    assert err.__notes__ == [
        "The module's parameter 'layers.2.weight' is on cpu but its input is on cuda:0: "
        "move the model with model.cuda() (or model.to('cuda:0')), or the input with x.cpu()."]
