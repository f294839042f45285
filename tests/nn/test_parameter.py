"""nn.Parameter, nn.Buffer, UninitializedParameter / UninitializedBuffer (PyTorch's rules)."""
from __future__ import annotations

import copy
import pickle

import pytest

from nn_libs import libs, values


@libs
def test_parameter_is_a_tensor_requiring_grad(T):
    p = T.nn.Parameter(T.ones(2))
    assert isinstance(p, T.Tensor) and type(p) is T.nn.Parameter
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    with T.no_grad():
        q = T.nn.Parameter(T.ones(1))
    assert q.requires_grad   # no_grad does not change the default
    assert not T.nn.Parameter(T.ones(1), requires_grad=False).requires_grad


@libs
def test_parameter_repr(T):
    assert repr(T.nn.Parameter(T.ones(2))) == \
        "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
    assert repr(T.nn.Parameter(T.ones(2), requires_grad=False)) == \
        "Parameter containing:\ntensor([1., 1.])"
    assert repr(T.nn.Parameter()) == "Parameter containing:\ntensor([], requires_grad=True)"
    ints = T.nn.Parameter(T.tensor([1, 1]), requires_grad=False)
    assert repr(ints) == "Parameter containing:\ntensor([1, 1])"


@libs
def test_parameter_none_is_empty(T):
    p = T.nn.Parameter(None)
    assert tuple(p.shape) == (0,) and p.dtype == T.float32 and p.requires_grad


@libs
def test_parameter_shares_storage_and_version_with_its_data(T):
    x = T.ones(2)
    p = T.nn.Parameter(x)
    x.add_(1)
    assert values(p).tolist() == [2.0, 2.0]
    assert p._version == x._version == 1


@libs
def test_parameter_of_a_non_leaf_is_a_leaf(T):
    x = T.ones(2, requires_grad=True)
    p = T.nn.Parameter(x * 2)
    assert p.is_leaf and p.grad_fn is None and p.requires_grad


@libs
def test_parameter_bad_inputs(T):
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype"):
        T.nn.Parameter(T.tensor([1, 2]))
    with pytest.raises(AttributeError, match="'list' object has no attribute 'detach'"):
        T.nn.Parameter([1.0, 2.0])
    with pytest.raises(AttributeError, match="'float' object has no attribute 'detach'"):
        T.nn.Parameter(3.0)


@libs
def test_parameter_data_is_a_plain_tensor_sharing_storage(T):
    p = T.nn.Parameter(T.zeros(2))
    d = p.data
    assert type(d) is T.Tensor and not d.requires_grad
    d.add_(5)
    assert values(p).tolist() == [5.0, 5.0]
    ident = id(p)
    p.data = T.ones(3, dtype=T.float64)   # shape and dtype may change; the object stays
    assert id(p) == ident and tuple(p.shape) == (3,) and p.dtype == T.float64
    assert type(p) is T.nn.Parameter and p.requires_grad


@libs
def test_ops_on_a_parameter_give_plain_tensors(T):
    p = T.nn.Parameter(T.ones(2))
    for out in (p * 2, p.detach(), p.clone(), p + p):
        assert type(out) is T.Tensor


@libs
def test_parameter_deepcopy(T):
    p = T.nn.Parameter(T.ones(2))
    (p * 2).sum().backward()
    p.foo = 3
    q = copy.deepcopy(p)
    assert type(q) is T.nn.Parameter and q is not p and q.requires_grad
    assert values(q).tolist() == [1.0, 1.0]
    assert q.grad is None and not hasattr(q, "foo")   # PyTorch clones the data only
    q.data.add_(1)
    assert values(p).tolist() == [1.0, 1.0]
    a, b = copy.deepcopy([p, p])
    assert a is b   # the memo keeps shared parameters shared
    frozen = T.nn.Parameter(T.ones(1), requires_grad=False)
    assert not copy.deepcopy(frozen).requires_grad


@libs
def test_parameter_pickle(T):
    p = T.nn.Parameter(T.tensor([1.0, 2.0]))
    (p * 2).sum().backward()
    p.foo = 3
    q = pickle.loads(pickle.dumps(p))
    assert type(q) is T.nn.Parameter and q.requires_grad and q.foo == 3
    assert values(q).tolist() == [1.0, 2.0] and q.grad is None
    r = pickle.loads(pickle.dumps(T.nn.Parameter(T.ones(2), requires_grad=False)))
    assert not r.requires_grad


@libs
def test_buffer_is_a_flagged_plain_tensor(T):
    b = T.nn.Buffer(T.ones(2))
    assert type(b) is T.Tensor and isinstance(b, T.nn.Buffer) and b.persistent
    assert not isinstance(T.ones(2), T.nn.Buffer)
    nb = T.nn.Buffer(T.ones(2), persistent=False)
    assert nb.persistent is False
    x = T.ones(2, requires_grad=True)
    g = T.nn.Buffer(x * 2)
    assert g.requires_grad and g.is_leaf
    assert tuple(T.nn.Buffer().shape) == (0,)


@libs
def test_uninitialized_parameter_basics(T):
    u = T.nn.UninitializedParameter()
    assert isinstance(u, T.nn.Parameter) and T.nn.parameter.is_lazy(u)
    assert repr(u) == "<UninitializedParameter>"
    assert tuple(u.size()) == (0,) and u.dtype == T.float32 and u.requires_grad
    assert u.device.type == "cpu" and u.is_floating_point() and u.get_device() == -1
    assert not T.nn.UninitializedParameter(requires_grad=False).requires_grad
    assert T.nn.UninitializedParameter(dtype=T.float64).dtype == T.float64
    assert not T.nn.parameter.is_lazy(T.nn.Parameter(T.ones(1)))


@libs
def test_uninitialized_parameter_refuses_use(T):
    u = T.nn.UninitializedParameter()
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized "
                                           "parameter or buffer"):
        u.shape
    for use in (lambda: u.numel(), lambda: u.detach(), lambda: u.sum(), lambda: u + 1,
                lambda: u * 2, lambda: u.add(1), lambda: u.dim(), lambda: u.clone(),
                lambda: u.requires_grad_(False)):
        with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter in"):
            use()
    with pytest.raises(RuntimeError, match="Can't share memory on an uninitialized"):
        u.share_memory_()


@libs
def test_uninitialized_parameter_casts_and_moves(T):
    u = T.nn.UninitializedParameter()
    v = u.to(T.float64)
    assert type(v) is T.Tensor and v.dtype == T.float64
    assert u.double().dtype == T.float64 and u.cpu().dtype == T.float32
    u.data = u.double()   # what Module._apply does before the dry run
    assert u.dtype == T.float64 and T.nn.parameter.is_lazy(u)


@libs
def test_materialize_keeps_the_object(T):
    u = T.nn.UninitializedParameter()
    ident = id(u)
    u.materialize((2, 3))
    assert id(u) == ident and type(u) is T.nn.Parameter and not T.nn.parameter.is_lazy(u)
    assert tuple(u.shape) == (2, 3) and u.dtype == T.float32 and u.requires_grad
    w = T.nn.UninitializedParameter(dtype=T.float64)
    w.materialize(4)
    assert tuple(w.shape) == (4,) and w.dtype == T.float64
    z = T.nn.UninitializedParameter()
    z.materialize((2,), dtype=T.float64)
    assert z.dtype == T.float64
    assert (u * 2).shape == (2, 3)   # a normal parameter from now on


@libs
def test_uninitialized_buffer(T):
    b = T.nn.UninitializedBuffer()
    assert not b.requires_grad and b.persistent and isinstance(b, T.nn.Buffer)
    assert repr(b) == "<UninitializedBuffer>" and T.nn.parameter.is_lazy(b)
    assert T.nn.UninitializedBuffer(persistent=False).persistent is False
    ident = id(b)
    b.materialize(3, dtype=T.float64)
    assert id(b) == ident and type(b) is T.Tensor and b.dtype == T.float64
    assert tuple(b.shape) == (3,) and not T.nn.parameter.is_lazy(b)


@libs
def test_uninitialized_deepcopy_and_pickle(T):
    u = T.nn.UninitializedParameter(dtype=T.float64)
    c = copy.deepcopy(u)
    assert type(c) is T.nn.UninitializedParameter and c is not u and c.dtype == T.float64
    r = pickle.loads(pickle.dumps(T.nn.UninitializedParameter(requires_grad=False)))
    assert type(r) is T.nn.UninitializedParameter and not r.requires_grad
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
        copy.deepcopy(T.nn.UninitializedBuffer())
