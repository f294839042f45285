"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""
from __future__ import annotations

import re
from collections import OrderedDict

import pytest

from nn_libs import libs, values


def _layers(T, n=3):
    return [T.nn.Linear(1, 1) for _ in range(n)]


# ---------------------------------------------------------------------------- Sequential
@libs
def test_sequential_keys_and_forward(T):
    a, b, c = _layers(T)
    s = T.nn.Sequential(a, b, c)
    assert list(s._modules) == ["0", "1", "2"] and len(s) == 3 and list(s) == [a, b, c]
    assert s[0] is a and s[-1] is c and s[-3] is a
    x = T.ones(2, 1)
    assert values(s(x)).tolist() == values(c(b(a(x)))).tolist()
    assert T.nn.Sequential()(x) is x   # empty: identity
    named = T.nn.Sequential(OrderedDict([("fc", a), ("act", T.nn.ReLU())]))
    assert list(named._modules) == ["fc", "act"] and named.fc is a
    with pytest.raises(TypeError):
        s(x, x)   # exactly one input


@libs
def test_sequential_index_errors_and_slices(T):
    s = T.nn.Sequential(*_layers(T))
    with pytest.raises(IndexError, match="index 5 is out of range"):
        s[5]
    with pytest.raises(IndexError, match="index -4 is out of range"):
        s[-4]
    tail = s[1:]
    assert type(tail) is T.nn.Sequential and list(tail._modules) == ["1", "2"]
    assert tail[0] is s[1]
    named = T.nn.Sequential(OrderedDict([("a", T.nn.ReLU()), ("b", T.nn.Tanh())]))
    assert list(named[::-1]._modules) == ["b", "a"]


@libs
def test_sequential_mutation(T):
    a, b, c = _layers(T)
    s = T.nn.Sequential(a, b, c)
    del s[0]
    assert list(s._modules) == ["0", "1"] and s[0] is b   # keys renumbered
    assert s.append(a) is s and s[2] is a
    s.insert(0, c)
    assert list(s) == [c, b, c, a]
    s.insert(-1, b)
    assert list(s) == [c, b, c, b, a]
    with pytest.raises(IndexError, match="Index out of range: 9"):
        s.insert(9, a)
    with pytest.raises(AssertionError, match="module should be of type"):
        s.insert(0, 3)
    assert s.pop(1) is b and len(s) == 4
    del s[1:3]
    assert list(s) == [c, a] and list(s._modules) == ["0", "1"]
    assert s.extend([b]) is s and list(s) == [c, a, b]
    s[0] = a
    assert s[0] is a


@libs
def test_sequential_add_and_mul_share_modules(T):
    a, b = _layers(T, 2)
    s, t = T.nn.Sequential(a), T.nn.Sequential(b)
    u = s + t
    assert type(u) is T.nn.Sequential and list(u) == [a, b] and list(u._modules) == ["0", "1"]
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential "
                                         "class"):
        s + T.nn.ModuleList([a])
    d = u * 2
    assert list(d) == [a, b, a, b] and list(d._modules) == ["0", "1", "2", "3"]
    assert list(2 * u) == [a, b, a, b]
    with pytest.raises(ValueError, match="Non-positive multiplication factor 0"):
        u * 0
    with pytest.raises(TypeError, match="unsupported operand type"):
        u * 1.5
    s += t
    assert list(s) == [a, b]
    s *= 2
    assert list(s) == [a, b, a, b]
    assert [n for n, _ in s.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]


# ---------------------------------------------------------------------------- ModuleList
@libs
def test_module_list(T):
    a, b, c = _layers(T)
    ml = T.nn.ModuleList([a, b])
    assert len(ml) == 2 and ml[0] is a and ml[-1] is b and list(ml) == [a, b]
    assert type(ml[0:1]) is T.nn.ModuleList and list(ml[0:1]) == [a]
    with pytest.raises(IndexError, match="index 2 is out of range"):
        ml[2]
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        ml.append(3)
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable, "
                                        "but got ReLU"):
        ml.extend(T.nn.ReLU())
    ml.insert(1, c)
    assert list(ml) == [a, c, b]
    ml += [a]
    assert list(ml) == [a, c, b, a]
    both = ml + T.nn.ModuleList([c])
    assert type(both) is T.nn.ModuleList and len(both) == 5
    assert ml.pop(0) is a and list(ml) == [c, b, a]
    del ml[0]
    assert list(ml._modules) == ["0", "1"] and ml[0] is b
    ml[1] = c
    assert ml[1] is c
    with pytest.raises(NotImplementedError, match="missing the required \"forward\""):
        ml(T.ones(1))
    assert [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias", "1.weight",
                                                     "1.bias"]


@libs
def test_module_list_repr_compresses_runs(T):
    ml = T.nn.ModuleList([T.nn.Linear(3, 3) for _ in range(3)] + [T.nn.ReLU()])
    assert repr(ml) == ("ModuleList(\n"
                        "  (0-2): 3 x Linear(in_features=3, out_features=3, bias=True)\n"
                        "  (3): ReLU()\n"
                        ")")
    assert repr(T.nn.ModuleList()) == "ModuleList()"


# ---------------------------------------------------------------------------- ModuleDict
@libs
def test_module_dict(T):
    a, b = T.nn.ReLU(), T.nn.Tanh()
    md = T.nn.ModuleDict({"z": a, "b": b})
    assert list(md) == ["z", "b"] and list(md.keys()) == ["z", "b"]   # insertion order kept
    assert md["z"] is a and "b" in md and len(md) == 2
    assert list(md.values()) == [a, b] and list(md.items()) == [("z", a), ("b", b)]
    md2 = T.nn.ModuleDict(md)
    assert list(md2) == ["z", "b"]
    md.update([("c", T.nn.Sigmoid())])
    assert list(md) == ["z", "b", "c"]
    assert md.pop("z") is a and list(md) == ["b", "c"]
    del md["b"]
    md["d"] = a
    assert list(md) == ["c", "d"]
    md.clear()
    assert len(md) == 0
    with pytest.raises(TypeError, match="module name should be a string. Got int"):
        md[1] = a
    with pytest.raises(TypeError, match="ModuleDict update sequence element #0 should be "
                                        "Iterable; isint"):
        md.update([1])
    with pytest.raises(ValueError, match="ModuleDict update sequence element #0 has length 3; "
                                         "2 is required"):
        md.update([("a", a, a)])
    with pytest.raises(TypeError, match="ModuleDict.update should be called with an iterable"):
        md.update(3)
    with pytest.raises(NotImplementedError):
        md(T.ones(1))


@libs
def test_module_dict_repr(T):
    md = T.nn.ModuleDict({"a": T.nn.ReLU(), "b": T.nn.Sequential(T.nn.Tanh())})
    assert repr(md) == ("ModuleDict(\n  (a): ReLU()\n  (b): Sequential(\n    (0): Tanh()\n"
                        "  )\n)")


# ---------------------------------------------------------------------------- ParameterList
@libs
def test_parameter_list(T):
    t, p = T.ones(2, 3), T.nn.Parameter(T.ones(1))
    pl = T.nn.ParameterList([t, "str", p])
    assert len(pl) == 3 and type(pl[0]) is T.nn.Parameter and pl[1] == "str" and pl[2] is p
    assert [n for n, _ in pl.named_parameters()] == ["0", "2"]
    assert list(pl.state_dict()) == ["0", "2"]
    sl = pl[0:2]
    assert type(sl) is T.nn.ParameterList and len(sl) == 2 and sl[0] is pl[0]
    pl.append(T.zeros(1))
    assert type(pl[3]) is T.nn.Parameter and pl[-1] is pl[3]
    pl[1] = T.zeros(2)
    assert type(pl[1]) is T.nn.Parameter
    pl.extend([T.ones(1)])
    pl += [T.ones(1)]
    assert len(pl) == 6 and len(list(pl)) == 6
    with pytest.raises(TypeError, match="ParameterList.extend should be called with an "
                                        "iterable, but got Tensor"):
        pl.extend(T.ones(2))
    with pytest.raises(IndexError, match="index 6 is out of range"):
        pl[6]
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl(T.ones(1))


@libs
def test_parameter_list_repr(T):
    pl = T.nn.ParameterList([T.ones(2, 3), "str", T.nn.Parameter(T.ones(1))])
    assert repr(pl) == ("ParameterList(\n"
                        "    (0): Parameter containing: [torch.float32 of size 2x3]\n"
                        "    (1): Object of type: str\n"
                        "    (2): Parameter containing: [torch.float32 of size 1]\n"
                        ")")


@libs
def test_parameter_list_moves_with_the_module(T):
    m = T.nn.Module()
    m.pl = T.nn.ParameterList([T.ones(2)])
    p = m.pl[0]
    m.double()
    assert m.pl[0] is p and p.dtype == T.float64
    assert list(m.state_dict()) == ["pl.0"]


# ---------------------------------------------------------------------------- ParameterDict
@libs
def test_parameter_dict_order_and_conversion(T):
    pd = T.nn.ParameterDict({"z": T.ones(1), "y": T.ones(2)})
    assert list(pd) == ["y", "z"]   # a plain dict is inserted sorted
    assert type(pd["y"]) is T.nn.Parameter
    od = T.nn.ParameterDict(OrderedDict([("z", T.ones(1)), ("y", T.ones(1))]))
    assert list(od) == ["z", "y"]
    pairs = T.nn.ParameterDict([("b", T.ones(1)), ("a", T.ones(1))])
    assert list(pairs) == ["b", "a"]
    assert list(T.nn.ParameterDict(od)) == ["z", "y"]
    m = T.nn.Module()
    m.pd = pd
    assert list(m.state_dict()) == ["pd.y", "pd.z"]


@libs
def test_parameter_dict_methods(T):
    pd = T.nn.ParameterDict({"a": T.ones(1)})
    assert pd.get("a") is pd["a"] and pd.get("nope", 5) == 5
    d = pd.setdefault("b", T.zeros(1))
    assert type(d) is T.nn.Parameter and pd.setdefault("b") is d
    assert "b" in pd and len(pd) == 2 and list(reversed(pd)) == ["b", "a"]
    assert list(pd.keys()) == ["a", "b"] and [k for k, _ in pd.items()] == ["a", "b"]
    assert len(list(pd.values())) == 2
    k, v = pd.popitem()
    assert k == "b" and v is d and list(pd) == ["a"]
    c = pd.copy()
    assert c is not pd and c["a"] is pd["a"]
    other = T.nn.ParameterDict({"x": T.ones(1)})
    merged = pd | other
    assert list(merged) == ["a", "x"] and list(pd) == ["a"]
    pd |= other
    assert list(pd) == ["a", "x"]
    fk = pd.fromkeys(["p", "q"], T.ones(1))
    assert list(fk) == ["p", "q"]
    assert pd.pop("a") is not None and list(pd) == ["x"]
    del pd["x"]
    pd["s"] = "text"
    assert pd["s"] == "text" and list(pd.parameters()) == []
    pd.clear()
    assert len(pd) == 0


@libs
def test_parameter_dict_errors(T):
    pd = T.nn.ParameterDict()
    with pytest.raises(TypeError, match=re.escape(
            "Index given to ParameterDict cannot be used as a key as it is not a string "
            "(type is 'int')")):
        pd[1] = T.ones(1)
    with pytest.raises(TypeError, match="ParametersDict.update should be called with an "
                                        "iterable of key/value pairs, but got int"):
        pd.update(3)
    with pytest.raises(ValueError, match="ParameterDict update sequence element #0 has length "
                                         "1; 2 is required"):
        pd.update([("a",)])
    with pytest.raises(RuntimeError, match="ParameterDict should not be called."):
        pd(T.ones(1))


@libs
def test_parameter_dict_repr(T):
    pd = T.nn.ParameterDict({"z": T.ones(1), "y": T.ones(1, dtype=T.float64), "o": 3})
    assert repr(pd) == ("ParameterDict(\n"
                        "    (o): Object of type: int\n"
                        "    (y): Parameter containing: [torch.DoubleTensor of size 1]\n"
                        "    (z): Parameter containing: [torch.FloatTensor of size 1]\n"
                        ")")
    assert repr(T.nn.ParameterDict()) == "ParameterDict()"
