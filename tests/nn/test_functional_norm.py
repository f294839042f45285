"""nn.functional normalization: batch_norm (training/eval, running stats in place),
layer_norm, group_norm."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from functional_util import F, compare_paths, contiguous
from op_harness import assert_close, check_op, requires_torch, torch


def _np_batch_norm(x, w, b, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w.reshape(shape) + b.reshape(shape)


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (2, 3, 2, 3)])
def test_batch_norm_training_reference(shape):
    c = shape[1]
    check_op(lambda T, x, w, b: F(T).batch_norm(x, None, None, w, b, training=True),
             [shape, (c,), (c,)], ref=_np_batch_norm)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2, 3)])
def test_batch_norm_against_pytorch(training, affine, shape):
    c = shape[1]
    rm, rv = contiguous((c,), (c,), seed=3, low=0.5, high=1.5)

    def fn(T, x, w, b):
        mean, var = T.from_numpy(rm.copy()).to(x.device), T.from_numpy(rv.copy()).to(x.device)
        return F(T).batch_norm(x, mean, var, w if affine else None, b if affine else None,
                               training, 0.3, 1e-3)

    check_op(fn, [shape, (c,), (c,)], grad_inputs=(0, 1, 2) if affine else (0,))


@requires_torch
@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_running_stats_updated_in_place(momentum):
    x = contiguous((5, 3, 4))[0]
    stats = {}
    for T in (mt, torch):
        mean, var = T.zeros(3, dtype=T.float64), T.ones(3, dtype=T.float64)
        ids = (id(mean), id(var))
        for _ in range(3):
            F(T).batch_norm(T.from_numpy(x.copy()), mean, var, training=True, momentum=momentum)
        assert (id(mean), id(var)) == ids
        stats[T] = (mean.numpy().copy(), var.numpy().copy(), mean._version)
    assert_close(stats[mt][0], stats[torch][0])
    assert_close(stats[mt][1], stats[torch][1])   # unbiased variance, as PyTorch
    assert stats[mt][2] == 3   # each update bumps the buffer's version


def test_batch_norm_eval_uses_running_stats():
    x = mt.from_numpy(contiguous((4, 2))[0])
    mean, var = mt.tensor([1.0, -1.0], dtype=mt.float64), mt.tensor([4.0, 0.25],
                                                                      dtype=mt.float64)
    out = F(mt).batch_norm(x, mean, var, training=False, eps=0.0)
    expected = (x.numpy() - mean.numpy()) / np.sqrt(var.numpy())
    assert_close(out.numpy(), expected)
    assert mean.tolist() == [1.0, -1.0]


def test_batch_norm_half_input_float_stats_and_top_level():
    x = contiguous((4, 3), dtype=np.float16)[0]
    check_op(lambda T, x: F(T).batch_norm(x, T.zeros(3, device=x.device), T.ones(3, device=x.device), training=True), None,
             arrays=[x], grad=False, atol=5e-3, rtol=5e-3)
    check_op(lambda T, x, w, b: T.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
             [(4, 3), (3,), (3,)])


@pytest.mark.parametrize("shape,normalized", [((3, 4), (4,)), ((2, 3, 4), (4,)),
                                              ((2, 3, 4), (3, 4))])
def test_layer_norm(shape, normalized):
    def ref(x, w, b):
        axes = tuple(range(x.ndim - len(normalized), x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-5) * w + b

    check_op(lambda T, x, w, b: F(T).layer_norm(x, normalized, w, b), None,
             arrays=contiguous(shape, normalized, normalized), ref=ref)   # kernel path
    check_op(lambda T, x, w, b: F(T).layer_norm(x, normalized, w, b, eps=1e-3),
             [shape, normalized, normalized])                             # non-contiguous
    check_op(lambda T, x: F(T).layer_norm(x, list(normalized)), [shape])
    check_op(lambda T, x, w: T.layer_norm(x, normalized, w), [shape, normalized])


@pytest.mark.parametrize("groups", [1, 2, 4])
@pytest.mark.parametrize("shape", [(2, 4), (2, 4, 3), (1, 4, 2, 3)])
def test_group_norm(groups, shape):
    def ref(x, w, b):
        n, c = x.shape[:2]
        g = x.reshape(n, groups, -1)
        normed = (g - g.mean(axis=2, keepdims=True)) / np.sqrt(g.var(axis=2, keepdims=True)
                                                               + 1e-5)
        bshape = (1, c) + (1,) * (x.ndim - 2)
        return normed.reshape(x.shape) * w.reshape(bshape) + b.reshape(bshape)

    check_op(lambda T, x, w, b: F(T).group_norm(x, groups, w, b), None,
             arrays=contiguous(shape, (4,), (4,)), ref=ref)
    check_op(lambda T, x: T.group_norm(x, groups), [shape])


@pytest.mark.parametrize("name,call,shapes", [
    ("batch_norm", lambda x, w, b: F(mt).batch_norm(x, None, None, w, b, True), [(3, 4, 5)]),
    ("batch_norm_eval", lambda x, w, b: F(mt).batch_norm(
        x, mt.zeros(4, dtype=mt.float64), mt.ones(4, dtype=mt.float64), w, b), [(3, 4, 5)]),
    ("layer_norm", lambda x, w, b: F(mt).layer_norm(x, (4, 5), w.reshape(4, 1).expand(4, 5),
                                                    None), [(3, 4, 5)]),
    ("group_norm", lambda x, w, b: F(mt).group_norm(x, 2, w, b), [(3, 4, 5)]),
])
def test_kernel_and_numpy_paths_agree(name, call, shapes):
    x, w, b = contiguous(shapes[0], (4,), (4,), low=-3, high=3)
    compare_paths(call, [x, w, b], grad_inputs=(0, 1, 2) if name != "layer_norm" else (0, 1))


def test_low_precision_paths():
    x, w, b = contiguous((3, 8), (8,), (8,), dtype=np.float32)
    check_op(lambda T, x, w, b: F(T).layer_norm(x, (8,), w, b), None, arrays=[x, w, b],
             grad=False, atol=1e-5, rtol=1e-5)
    x16, w16, b16 = contiguous((3, 8), (8,), (8,), dtype=np.float16)
    check_op(lambda T, x, w, b: F(T).layer_norm(x, (8,), w, b), None, arrays=[x16, w16, b16],
             grad=False, atol=1e-2, rtol=1e-2)
    check_op(lambda T, x: F(T).group_norm(x, 2), None, arrays=[x16.reshape(3, 4, 2)],
             grad=False, atol=1e-2, rtol=1e-2)


def test_grad_fn_names():
    x = mt.randn(2, 3, requires_grad=True)
    assert type(F(mt).layer_norm(x, (3,)).grad_fn).__name__ == "NativeLayerNormBackward0"
    assert type(F(mt).batch_norm(x, None, None, training=True).grad_fn).__name__ == \
        "NativeBatchNormBackward0"
    assert type(F(mt).group_norm(x, 1).grad_fn).__name__ == "NativeGroupNormBackward0"


def test_normalization_errors():
    x = mt.randn(2, 6, 4)
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[3\], expected input with "
                                           r"shape \[\*, 3\], but got input of size\[2, 6, 4\]"):
        F(mt).layer_norm(x, (3,))
    with pytest.raises(RuntimeError, match=r"Expected weight to be of same shape as "
                                           r"normalized_shape, but got weight of shape \[3\] "
                                           r"and normalized_shape = \[4\]"):
        F(mt).layer_norm(x, (4,), weight=mt.ones(3))
    with pytest.raises(TypeError, match="must be tuple of ints, not int"):
        F(mt).layer_norm(x, 4)
    with pytest.raises(RuntimeError, match="Expected number of channels in input to be "
                                           "divisible by num_groups"):
        F(mt).group_norm(x, 4)
    with pytest.raises(RuntimeError, match="Expected weight to be a vector of size equal to the "
                                           "number of channels"):
        F(mt).group_norm(x, 3, weight=mt.ones(4))
    with pytest.raises(RuntimeError, match="Expected at least 2 dimensions"):
        F(mt).group_norm(mt.randn(6), 3)
    with pytest.raises(RuntimeError, match="running_mean should contain 6 elements not 4"):
        F(mt).batch_norm(x, mt.zeros(4), mt.ones(4))
    with pytest.raises(RuntimeError, match="weight should contain 6 elements not 4"):
        F(mt).batch_norm(x, mt.zeros(6), mt.ones(6), weight=mt.ones(4))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        F(mt).batch_norm(mt.randn(1, 6), None, None, training=True)
    with pytest.raises(RuntimeError, match="running_mean must be defined in evaluation mode"):
        F(mt).batch_norm(mt.randn(3, 6), None, None, training=False)
    with pytest.raises(RuntimeError, match="mixed dtype"):
        F(mt).batch_norm(mt.randn(3, 6, dtype=mt.float64), mt.zeros(6), mt.ones(6))
    with pytest.raises(NotImplementedError, match="LayerNormKernelImpl"):
        F(mt).layer_norm(mt.ones(3, 6, dtype=mt.int64), (6,))
