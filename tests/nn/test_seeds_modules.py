"""The Module examples of the user's notes (seeds 003 and 004) run and print what PyTorch prints.

Each example is kept as the article wrote it (names `torch` and `nn`) and executed once with
`torch = minitorch_nn` and, when installed, once with the real torch: the two printed outputs
must be identical. Lines marked `# added:` are not in the article; they fix random weights so
that both libraries print the same numbers. Import lines are replaced by the names they bind.
"""
from __future__ import annotations

import contextlib
import io
import textwrap
import warnings

import pytest

import minitorch_nn
from nn_libs import torch


def _run(T, code: str) -> str:
    """Execute `code` with torch = T and return what it printed."""
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(out):
            exec(textwrap.dedent(code), {"torch": T, "nn": T.nn, "__name__": "__seed__"})
    return out.getvalue()


def _check(code: str, *expected: str) -> str:
    """Run on minitorch_nn; compare with torch's output; check the article's key lines."""
    ours = _run(minitorch_nn, code)
    if torch is not None:
        assert ours == _run(torch, code)
    for line in expected:
        assert line in ours, f"missing {line!r} in:\n{ours}"
    return ours


# ---------------------------------------------------------------------------- seed 003
def test_003_apply_init_weights():
    _check("""
        @torch.no_grad()
        def init_weights(m):
            print(m)
            if type(m) == nn.Linear:
                m.weight.fill_(1.0)
                print(m.weight)
        net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
        print(net.apply(init_weights))   # the REPL echo of net.apply(...)
    """, "Linear(in_features=2, out_features=2, bias=True)\nParameter containing:\n"
         "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)",
         "Sequential(\n  (0): Linear(in_features=2, out_features=2, bias=True)\n"
         "  (1): Linear(in_features=2, out_features=2, bias=True)\n)")


def test_003_modules_and_named_modules_of_a_shared_layer():
    out = _check("""
        l = nn.Linear(2, 2)
        net = nn.Sequential(l, l)
        for idx, m in enumerate(net.modules()):
            print(idx, '->', m)
        for idx, m in enumerate(net.named_modules()):
            print(idx, '->', m)
    """, "0 -> Sequential(\n  (0): Linear(in_features=2, out_features=2, bias=True)\n"
         "  (1): Linear(in_features=2, out_features=2, bias=True)\n)",
         "1 -> Linear(in_features=2, out_features=2, bias=True)",
         "1 -> ('0', Linear(in_features=2, out_features=2, bias=True))")
    assert "2 ->" not in out   # the shared Linear is listed once


def test_003_buffers_children_parameters_loops():
    _check("""
        class Model(nn.Module):   # added: the article's `model` is not defined there
            def __init__(self):
                super().__init__()
                self.conv4 = nn.Linear(5, 20)
                self.conv5 = nn.Linear(20, 1)
                self.register_buffer('running_mean', torch.zeros(20))
                self.register_buffer('running_var', torch.ones(20, 1, 5, 5))
        model = Model()
        for buf in model.buffers():
            print(type(buf).__name__, buf.size())
        for name, buf in model.named_buffers():
            if name in ['running_var']:
                print(buf.size())
        for name, module in model.named_children():
            if name in ['conv4', 'conv5']:
                print(module)
        for param in model.parameters():
            print(type(param).__name__, param.size())
    """, "Tensor torch.Size([20])", "Tensor torch.Size([20, 1, 5, 5])",
         "Linear(in_features=5, out_features=20, bias=True)",
         "Parameter torch.Size([20, 5])")


def test_003_register_buffer_and_state_dict_keys():
    _check("""
        class BN(nn.Module):
            def __init__(self, num_features):
                super().__init__()
                self.register_buffer('running_mean', torch.zeros(num_features))
        module = nn.Linear(2, 2)
        print(module.state_dict().keys())
        print(BN(3).state_dict().keys(), list(BN(3).parameters()))
    """, "odict_keys(['weight', 'bias'])", "odict_keys(['running_mean']) []")


def _needs_mse_loss():
    if not hasattr(minitorch_nn.nn, "MSELoss"):
        pytest.skip("nn.MSELoss comes with the layers issue")


BACKWARD_HOOK_EXAMPLE = """
    # import torch / from torch.autograd import Variable / import torch.nn as nn /
    # import torch.nn.functional as F: replaced by the names `torch` and `nn`
    def backward_hook(module, grad_input, grad_output):
        print("以下是Grad Input:")
        print(grad_input)
        print("以下是Grad Output:")
        print(grad_output)
        print("以下是修改后的Grad Input:")
        new_grad_input_0 = grad_input[0] + 1000.0
        new_grad_input_1 = grad_input[1] - 2000.0
        new_grad_input = (new_grad_input_0, new_grad_input_1)
        print(new_grad_input)
        return new_grad_input
    class Model4cxq(nn.Module):
        def __init__(self):
            super(Model4cxq, self).__init__()
            self.register_backward_hook(backward_hook)
        def forward(self, x, y):
            return 2*x + 3*y
    x = torch.tensor([2.0, 3.0], requires_grad=True)
    y = torch.tensor([6.0, 4.0], requires_grad=True)
    criterion = CRITERION
    model = Model4cxq()
    out = model(x, y)
    target = torch.tensor([14.0, 12.0], requires_grad=True)
    loss = criterion(out, target)
    print('loss =', loss)
    loss.backward()
    print('backward()结束'.center(50, '-'))
    print('out.grad:', out.grad)
    print('x.grad:', x.grad)
    print('y.grad:', y.grad)
    print('target.grad:', target.grad)
"""


def test_003_register_backward_hook_example_as_written():
    _needs_mse_loss()
    _check(BACKWARD_HOOK_EXAMPLE.replace("CRITERION", "nn.MSELoss()"),
           "loss = tensor(50., grad_fn=<MseLossBackward0>)",
           "(tensor([8., 6.]), tensor([8., 6.]))", "(tensor([8., 6.]),)",
           "(tensor([1008., 1006.]), tensor([-1992., -1994.]))", "out.grad: None",
           "x.grad: tensor([2016., 2012.])", "y.grad: tensor([-5976., -5982.])",
           "target.grad: tensor([-8., -6.])")


def test_003_register_backward_hook_example_hook_values():
    """The same example with the loss written out (its gradients do not depend on MSELoss)."""
    out = _run(minitorch_nn, BACKWARD_HOOK_EXAMPLE.replace(
        "CRITERION", "lambda a, b: ((a - b) * (a - b)).sum() / 2"))
    for line in ("(tensor([8., 6.]), tensor([8., 6.]))", "(tensor([8., 6.]),)",
                 "(tensor([1008., 1006.]), tensor([-1992., -1994.]))",
                 "x.grad: tensor([2016., 2012.])", "y.grad: tensor([-5976., -5982.])",
                 "target.grad: tensor([-8., -6.])", "out.grad: None"):
        assert line in out, out


def test_003_register_forward_hook_example():
    _check("""
        net1 = nn.Linear(4,2)
        net2 = nn.Linear(2,1)
        with torch.no_grad():   # added: fixed weights, so both libraries print the same
            net1.weight.copy_(torch.tensor([[0.1, 0.2, 0.3, 0.4], [-0.5, 0.6, -0.7, 0.8]]))
            net1.bias.copy_(torch.tensor([0.01, -0.02]))
        def hook_func(model, input, output):
            print("model:", model)
            print("input", input)
            print("output", output)
        x=torch.tensor([[1.,2.,3.,4.]], requires_grad= True)
        haddle1 = net1.register_forward_hook(hook_func)
        y = net1(x)
        print(y)
    """, "model: Linear(in_features=4, out_features=2, bias=True)",
         "input (tensor([[1., 2., 3., 4.]], requires_grad=True),)",
         "output tensor([[3.0100, 1.7800]], grad_fn=<AddmmBackward0>)")


def test_003_to_example():
    _check("""
        linear = nn.Linear(2, 2)
        with torch.no_grad():   # added: the article's weights
            linear.weight.copy_(torch.tensor([[0.1913, -0.3420], [-0.5113, -0.2325]]))
        print(linear.weight)
        print(linear.to(torch.double))
        print(linear.weight)
        # linear.to(gpu1, dtype=torch.half, non_blocking=True): see the GPU test below
        linear.half()
        cpu = torch.device("cpu")
        print(linear.to(cpu))
        print(linear.weight)
        linear = nn.Linear(2, 2, bias=None).to(torch.cdouble)
        with torch.no_grad():   # added: the article's weights
            linear.weight.copy_(torch.tensor([[0.3741, 0.2382], [0.5593, -0.4443]]))
        print(linear.weight)
        print(linear(torch.ones(3, 2, dtype=torch.cdouble)))
    """, "Parameter containing:\ntensor([[ 0.1913, -0.3420],\n        [-0.5113, -0.2325]], "
         "requires_grad=True)",
         "Linear(in_features=2, out_features=2, bias=True)",
         "dtype=torch.float64, requires_grad=True)",
         "tensor([[ 0.1913, -0.3420],\n        [-0.5112, -0.2325]], dtype=torch.float16,",
         "tensor([[ 0.3741+0.j,  0.2382+0.j],\n        [ 0.5593+0.j, -0.4443+0.j]], "
         "dtype=torch.complex128,",
         "tensor([[0.6123+0.j, 0.1150+0.j],\n        [0.6123+0.j, 0.1150+0.j],\n"
         "        [0.6123+0.j, 0.1150+0.j]], dtype=torch.complex128,")


@pytest.mark.parametrize("lib", ["minitorch_nn", "torch"])
def test_003_to_gpu_without_gpu_raises(lib):
    T = minitorch_nn if lib == "minitorch_nn" else torch
    if T is None:
        pytest.skip("PyTorch not installed")
    if T.cuda.device_count() > 1:
        pytest.skip("a second GPU exists")
    gpu1 = T.device("cuda:1")
    with pytest.raises((AssertionError, RuntimeError)):
        T.nn.Linear(2, 2).to(gpu1, dtype=T.half, non_blocking=True)


def test_003_parameter_is_registered_but_a_tensor_is_not():
    _check("""
        class RNNCell(nn.Module):
            def __init__(self):
                super().__init__()
                self.w = nn.Parameter(torch.ones(2))
                self.last_hidden = torch.zeros(2)   # a cached tensor: not a parameter
        cell = RNNCell()
        print([name for name, _ in cell.named_parameters()], list(cell.state_dict()))
    """, "['w'] ['w']")


# ---------------------------------------------------------------------------- seed 004
def test_004_parameters_versus_state_dict():
    _check("""
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 2)
                self.register_buffer('my_buffer', torch.zeros(2))
        net = Net()
        print([name for name, _ in net.named_parameters()])   # what an optimizer gets
        print(list(net.state_dict().keys()))                  # what gets saved
        net.double()                                          # buffers move with the model
        print(net.my_buffer.dtype, net.fc.weight.dtype)
    """, "['fc.weight', 'fc.bias']", "['my_buffer', 'fc.weight', 'fc.bias']",
         "torch.float64 torch.float64")


def test_004_register_buffer_float_tensor():
    if not hasattr(minitorch_nn, "FloatTensor"):
        pytest.skip("minitorch_nn.FloatTensor (legacy constructor) is not in the core yet")
    _check("""
        class NoisyLinear(nn.Module):
            def __init__(self, in_features, out_features):
                super().__init__()
                self.register_buffer('weight_epsilon',
                                     torch.FloatTensor(out_features, in_features))
        m = NoisyLinear(3, 2)
        print(list(m.state_dict()), list(m.parameters()), m.weight_epsilon.shape)
    """, "['weight_epsilon'] [] torch.Size([2, 3])")


def test_004_no_grad_and_eval():
    _check("""
        model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        x = torch.ones(1, 2)
        with torch.no_grad():
            y = model(x)
        print(y.requires_grad, y.grad_fn, model.training)   # no_grad leaves training alone
        model.eval()
        print(model.training, model[0].training)
        z = model(x)
        print(z.requires_grad)   # eval() does not stop autograd
    """, "False None True", "False False", "True")


def test_004_requires_grad_false_freezes_pretrained_weights():
    _check("""
        model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
        for param in model.parameters():
            param.requires_grad = False
        model[2] = nn.Linear(2, 1)   # a new head: the only trained part
        model(torch.ones(4, 2)).sum().backward()
        print([p.grad is None for p in model.parameters()])
        print([n for n, p in model.named_parameters() if p.requires_grad])
    """, "[True, True, False, False]", "['2.weight', '2.bias']")
