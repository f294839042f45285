"""The code examples of the user's notes 000 (functional_call), 001 (parametrize) and 002 (lazy
modules) run and print what PyTorch prints.

Each example is kept as the article wrote it (names `torch`, `nn`, `stateless`, `P`) and run
once with `torch = minitorch_nn` and once with the real torch: the printed outputs must be
identical. Import lines are replaced by the names they bind. Where the article's code cannot
run as written (a `...` placeholder, an undefined name, a GPU), the test first checks that it
fails the same way in both libraries, then runs it completed: lines marked `# added:` or
`# was: ...` are not in the article.
"""
from __future__ import annotations

import contextlib
import io
import textwrap
import warnings

import pytest

import minitorch_nn
from nn_libs import torch


def _names(T) -> dict:
    return {"torch": T, "nn": T.nn, "stateless": T.nn.utils.stateless,
            "P": T.nn.utils.parametrize, "__name__": "__seed__"}


def _run(T, code: str) -> str:
    """Execute `code` with torch = T and return what it printed."""
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(out):
            exec(textwrap.dedent(code), _names(T))
    return out.getvalue()


def _check(code: str, *expected: str) -> str:
    """Run on minitorch_nn; compare with torch's output; check the article's key lines."""
    ours = _run(minitorch_nn, code)
    if torch is not None:
        assert ours == _run(torch, code)
    for line in expected:
        assert line in ours, f"missing {line!r} in:\n{ours}"
    return ours


def _raises_alike(code: str, error: type, match: str) -> None:
    """The code raises `error` (message matching `match`) in both libraries."""
    libs = [minitorch_nn] + ([torch] if torch is not None else [])
    for T in libs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(error, match=match):
                _run(T, code)


# ---------------------------------------------------------------------------- seed 000
STATELESS = """
    # 定义一个简单的模块
    class MyModule(nn.Module):
        def __init__(self):
            super(MyModule, self).__init__()
            self.param = nn.Parameter(torch.tensor(1.0))

        def forward(self, x):
            return x + self.param

    module = MyModule()
    new_params = {"param": torch.tensor(2.0)}
    result = stateless.functional_call(module, new_params, args=(torch.tensor(3.0),))
    print(result)                # added: what the call returned
    print(module.param)          # added: the module kept its own parameter
"""


def test_000_stateless_functional_call():
    _check(STATELESS, "tensor(5.)", "Parameter containing:\ntensor(1., requires_grad=True)")


def test_000_stateless_functional_call_warns_as_deprecated():
    libs = [minitorch_nn] + ([torch] if torch is not None else [])
    for T in libs:
        with pytest.warns(FutureWarning, match="`torch.nn.utils.stateless.functional_call` is "
                                               "deprecated as of PyTorch 2.0"):
            exec(textwrap.dedent(STATELESS), {**_names(T), "print": lambda *a: None})


def test_000_func_functional_call_is_the_drop_in_replacement():
    _check(STATELESS.replace("stateless.functional_call", "torch.func.functional_call"),
           "tensor(5.)")


# ---------------------------------------------------------------------------- seed 001
SYMMETRIC = """
    # 定义一个对称矩阵参数化
    class Symmetric(nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).T

        def right_inverse(self, A):
            return A.triu()
"""


def test_001_register_parametrization_symmetric():
    out = _check(SYMMETRIC + """
    # 应用参数化
    m = nn.Linear(5, 5)
    P.register_parametrization(m, "weight", Symmetric())
    print(torch.allclose(m.weight, m.weight.T))  # 现在m.weight是对称的

    # 初始化对称权重
    A = torch.rand(5, 5)
    A = A + A.T
    m.weight = A
    print(torch.allclose(m.weight, A))
    print(m)                                     # added
    """, "ParametrizedLinear(\n  in_features=5, out_features=5, bias=True\n"
         "  (parametrizations): ModuleDict(\n    (weight): ParametrizationList(\n"
         "      (0): Symmetric()\n    )\n  )\n)")
    assert out.startswith("True\nTrue\n")


def test_001_placeholder_parametrization_fails_alike():
    """`P.register_parametrization(m, "weight", ...)`: the article's `...` is not a Module."""
    _raises_alike("""
    m = nn.Linear(5, 5)
    P.register_parametrization(m, "weight", ...)
    """, AttributeError, "'ellipsis' object has no attribute 'train'")


def test_001_remove_parametrizations():
    out = _check(SYMMETRIC + """
    # 定义模块和参数化
    m = nn.Linear(5, 5)
    P.register_parametrization(m, "weight", Symmetric())   # was: ...
    print(type(m).__name__)                                # added

    # 假设在这里进行了一些操作

    # 移除参数化,保留当前参数化的输出
    P.remove_parametrizations(m, "weight", leave_parametrized=True)
    print(type(m).__name__, torch.allclose(m.weight, m.weight.T))   # added

    # 或者,移除参数化,恢复到原始未参数化的张量
    try:                                                   # added: nothing is left to remove
        P.remove_parametrizations(m, "weight", leave_parametrized=False)
    except ValueError as e:                                # added
        print(e)                                           # added
    """, "ParametrizedLinear\nLinear True\n",
         "Module Linear(in_features=5, out_features=5, bias=True) does not have a "
         "parametrization on weight")
    assert out.count("\n") == 3


def test_001_remove_parametrizations_leave_unparametrized():
    """The article's second call ("或者"), on a module that is still parametrized."""
    _check(SYMMETRIC + """
    m = nn.Linear(5, 5)
    w = m.weight                                           # added
    P.register_parametrization(m, "weight", Symmetric())   # was: ...
    P.remove_parametrizations(m, "weight", leave_parametrized=False)
    print(type(m).__name__, m.weight is w)                 # added
    print(torch.allclose(m.weight, m.weight.T))            # added: the raw, triu'd original
    """, "Linear True\nFalse\n")


def test_001_cached():
    _check(SYMMETRIC + """
    class MyModel(nn.Module):
        # 模型定义
        def __init__(self):                                # added
            super().__init__()                             # added
            self.rnn_cell = nn.Linear(3, 3)                # added

        def forward(self, xs):                             # added
            out_rnn = torch.zeros(1, 3)                    # added
            # 或者,仅在特定部分使用缓存
            with P.cached():
                for x in xs:
                    out_rnn = self.rnn_cell(x, ) + out_rnn   # was: self.rnn_cell(x, out_rnn)
            return out_rnn                                 # added

    model = MyModel()
    # 应用一些参数化
    P.register_parametrization(model.rnn_cell, "weight", Symmetric())   # was: ...
    with torch.no_grad():                                               # added
        model.rnn_cell.weight = torch.eye(3)                            # added
        model.rnn_cell.bias.zero_()                                     # added
    inputs = torch.ones(4, 1, 3)                                        # added

    # 使用缓存系统包装模型的前向传播
    with P.cached():
        output = model(inputs)
    print(output)                                                       # added
    with P.cached():                                                    # added
        print(model.rnn_cell.weight is model.rnn_cell.weight)           # added
    print(model.rnn_cell.weight is model.rnn_cell.weight)               # added
    """, "tensor([[4., 4., 4.]], grad_fn=<AddBackward0>)", "True\nFalse")


def test_001_is_parametrized():
    out = _check(SYMMETRIC + """
    class MyModel(nn.Module):
        # 模型定义
        def __init__(self):                                      # added
            super().__init__()                                   # added
            self.weight = nn.Parameter(torch.ones(3, 3))         # added
            self.bias = nn.Parameter(torch.zeros(3))             # added

    model = MyModel()
    print(P.is_parametrized(model))                              # added: before
    # 对模型的某个属性应用参数化
    P.register_parametrization(model, 'weight', Symmetric())     # was: ...

    # 检查整个模型是否被参数化
    is_parametrized = P.is_parametrized(model)
    print(is_parametrized)  # 输出 True 或 False

    # 检查模型的特定属性是否被参数化
    is_weight_parametrized = P.is_parametrized(model, 'weight')
    print(is_weight_parametrized)  # 输出 True 或 False
    print(P.is_parametrized(model, 'bias'))                      # added
    print(P.type_before_parametrizations(model).__name__)        # added
    """)
    assert out == "False\nTrue\nTrue\nFalse\nMyModel\n"


def test_001_is_parametrized_placeholder_fails_alike():
    _raises_alike("""
    class MyModel(nn.Module):
        # 模型定义
        ...

    model = MyModel()
    # 对模型的某个属性应用参数化
    P.register_parametrization(model, 'weight', ...)
    """, AttributeError, "'ellipsis' object has no attribute 'train'")


PARAM_LIST = """
    # 定义一个简单的模型
    class MyModel(nn.Module):
        def __init__(self):
            super(MyModel, self).__init__()
            self.linear = nn.Linear(10, 10)

    model = MyModel()

    # 对模型的某个参数应用参数化
    P.register_parametrization(model.linear, "weight", MyParametrization())

    # ParametrizationList 实例可以通过以下方式访问
    param_list = model.linear.parametrizations.weight
"""


def test_001_parametrization_list_undefined_name_fails_alike():
    _raises_alike(PARAM_LIST, NameError, "name 'MyParametrization' is not defined")


def test_001_parametrization_list():
    out = _check(SYMMETRIC + "    MyParametrization = Symmetric   # added\n" + PARAM_LIST + """
    print(type(param_list).__name__, len(param_list))                   # added
    print(param_list)                                                   # added
    print(param_list.original is model.linear.parametrizations.weight.original)   # added
    print([name for name, _ in model.named_parameters()])               # added
    """, "ParametrizationList 1\nParametrizationList(\n  (0): Symmetric()\n)\nTrue\n",
         "['linear.bias', 'linear.parametrizations.weight.original']")
    assert out.endswith("]\n")


def test_001_parametrization_list_right_inverse():
    """The documented method: right_inverse stores into `original`."""
    _check(SYMMETRIC + """
    m = nn.Linear(3, 3)
    P.register_parametrization(m, "weight", Symmetric())
    param_list = m.parametrizations.weight
    original = param_list.original
    param_list.right_inverse(torch.ones(3, 3))
    print(param_list.original is original)
    print(param_list.original)
    print(m.weight)
    """, "True\nParameter containing:\ntensor([[1., 1., 1.],\n        [0., 1., 1.],\n"
         "        [0., 0., 1.]], requires_grad=True)\ntensor([[1., 1., 1.],\n"
         "        [1., 1., 1.],\n        [1., 1., 1.]], grad_fn=<AddBackward0>)")


# ---------------------------------------------------------------------------- seed 002
LAZY_MLP = """
    class LazyMLP(torch.nn.Module):
       def __init__(self) -> None:
           super().__init__()
           self.fc1 = torch.nn.LazyLinear(10)
           self.relu1 = torch.nn.ReLU()
           self.fc2 = torch.nn.LazyLinear(1)
           self.relu2 = torch.nn.ReLU()

       def forward(self, input):
           x = self.relu1(self.fc1(input))
           y = self.relu2(self.fc2(x))
           return y
"""


def test_002_moving_to_cuda_fails_alike_without_a_gpu():
    if minitorch_nn.cuda.is_available():
        pytest.skip("a GPU is present: minitorch_nn can move the module")
    _raises_alike(LAZY_MLP + """
    # constructs a network with lazy modules
    lazy_mlp = LazyMLP()
    # transforms the network's device and dtype
    # NOTE: these transforms can and should be applied after construction and before any 'dry runs'
    lazy_mlp = lazy_mlp.cuda().double()
    """, AssertionError, "")


def test_002_lazy_mlp_dry_run():
    """The article's session, on the CPU (`.cuda()` dropped, as the test above explains).

    Its dry run feeds a float32 batch to a network made float64 by `.double()`: PyTorch then
    initializes fc1 and fails in its forward with a dtype error; a float64 batch works.
    """
    _check(LAZY_MLP + """
    # constructs a network with lazy modules
    lazy_mlp = LazyMLP()
    # transforms the network's device and dtype
    # NOTE: these transforms can and should be applied after construction and before any 'dry runs'
    lazy_mlp = lazy_mlp.double()                   # was: lazy_mlp.cuda().double()
    print(lazy_mlp)
    # performs a dry run to initialize the network's lazy modules
    try:                                           # added
        lazy_mlp(torch.ones(10,10))                # was: torch.ones(10,10).cuda()
    except RuntimeError as e:                      # added
        print(e)                                   # added
    print(lazy_mlp)                                # added
    lazy_mlp(torch.ones(10,10, dtype=torch.float64))   # added: the batch in the network's dtype
    # after initialization, LazyLinear modules become regular Linear modules
    print(lazy_mlp)
    # attaches an optimizer, since parameters can now be used as usual
    optim = torch.optim.SGD(lazy_mlp.parameters(), lr=0.01)   # was: mlp.parameters()
    print(type(optim).__name__, [tuple(p.shape) for p in lazy_mlp.parameters()])   # added
    print(lazy_mlp.fc1.weight.dtype)               # added
    """, "LazyMLP(\n  (fc1): LazyLinear(in_features=0, out_features=10, bias=True)\n"
         "  (relu1): ReLU()\n  (fc2): LazyLinear(in_features=0, out_features=1, bias=True)\n"
         "  (relu2): ReLU()\n)",
         "mat1 and mat2 must have the same dtype, but got Float and Double",
         "LazyMLP(\n  (fc1): Linear(in_features=10, out_features=10, bias=True)\n"
         "  (relu1): ReLU()\n  (fc2): LazyLinear(in_features=0, out_features=1, bias=True)\n",
         "LazyMLP(\n  (fc1): Linear(in_features=10, out_features=10, bias=True)\n"
         "  (relu1): ReLU()\n  (fc2): Linear(in_features=10, out_features=1, bias=True)\n"
         "  (relu2): ReLU()\n)",
         "SGD [(10, 10), (10,), (1, 10), (1,)]\ntorch.float64")


def test_002_undefined_mlp_fails_alike():
    """`torch.optim.SGD(mlp.parameters(), ...)`: the article never defines `mlp`."""
    _raises_alike(LAZY_MLP + """
    lazy_mlp = LazyMLP()
    lazy_mlp(torch.ones(10,10))
    optim = torch.optim.SGD(mlp.parameters(), lr=0.01)
    """, NameError, "name 'mlp' is not defined")


def test_002_state_dict_shows_uninitialized_parameters():
    _check(LAZY_MLP + """
    lazy_mlp = LazyMLP()
    # The state dict shows the uninitialized parameters
    print(lazy_mlp.state_dict())
    """, "OrderedDict([('fc1.weight', <UninitializedParameter>), ('fc1.bias', "
         "<UninitializedParameter>), ('fc2.weight', <UninitializedParameter>), ('fc2.bias', "
         "<UninitializedParameter>)])")


def test_002_load_initialized_state_into_lazy_module():
    out = _check(LAZY_MLP + """
    lazy_mlp = LazyMLP()
    full_mlp = LazyMLP()
    # Dry run to initialize another module
    full_mlp.forward(torch.ones(10, 1))
    with torch.no_grad():                                          # added: fixed values
        for i, p in enumerate(full_mlp.parameters()):              # added
            p.copy_(torch.arange(p.numel()).reshape(p.shape) / 10 - i)   # added
    # Load an initialized state into a lazy module
    print(lazy_mlp.load_state_dict(full_mlp.state_dict()))         # added: print
    # The state dict now holds valid values
    print(lazy_mlp.state_dict())
    print(lazy_mlp)                                                # added: still lazy classes
    print(lazy_mlp(torch.ones(2, 1)))                              # added: loaded values kept
    print(lazy_mlp)                                                # added
    """, "<All keys matched successfully>",
         "OrderedDict([('fc1.weight', tensor([[0.0000],\n",
         "('fc2.bias', tensor([-3.]))])",
         "  (fc1): LazyLinear(in_features=0, out_features=10, bias=True)",
         "  (fc1): Linear(in_features=1, out_features=10, bias=True)")
    assert "grad_fn=<ReluBackward0>" in out
