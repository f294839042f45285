"""Complex tensors (ops/complex.py and PyTorch's complex gradient convention in the engine):
NumPy references, finite-difference gradients and PyTorch differentials (complex_util)."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from complex_util import check_complex, crandn, same_error
from op_harness import check_op, requires_torch, torch

C64, C128 = np.complex64, np.complex128


# ====================================================================== construction
@pytest.mark.parametrize("shapes", [[(3,), (3,)], [(2, 3), (3,)], [(0, 2), (2,)], [(1,), (4,)]])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_complex(shapes, dtype):
    a, b = crandn(shapes[0], dtype, 0), crandn(shapes[1], dtype, 1)
    check_complex(lambda T, x, y: T.complex(x, y), [a, b], ref=lambda x, y: x + 1j * y,
                  atol=1e-5)


@pytest.mark.parametrize("shapes", [[(3,), (3,)], [(2, 3), (1, 3)], [(0,), (0,)]])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_polar(shapes, dtype):
    a, b = np.abs(crandn(shapes[0], dtype, 2)) + 0.1, crandn(shapes[1], dtype, 3)
    # abs >= 0 (PyTorch's domain: its gradient for a negative abs takes |abs|'s phase)
    check_complex(lambda T, r, t: T.polar(r, t), [a, b],
                  ref=lambda r, t: r * np.exp(1j * t), atol=1e-5)


def test_construction_errors():
    x = lambda T, d: T.ones(2, dtype=getattr(T, d))   # noqa: E731
    e = same_error(lambda T: T.complex(x(T, "float32"), x(T, "float64")))
    assert "Float" in str(e) and "Double" in str(e)
    e = same_error(lambda T: T.polar(x(T, "int32"), x(T, "int32")))
    assert "Int" in str(e)
    same_error(lambda T: T.complex(x(T, "float32"), T.ones(3)))
    e = same_error(lambda T: T.complex(x(T, "float32"), 1.0))
    assert "imag" in str(e)
    with pytest.raises(NotImplementedError, match="complex32"):
        mt.complex(mt.ones(2, dtype=mt.float16), mt.ones(2, dtype=mt.float16))


# ====================================================================== views
@pytest.mark.parametrize("shape", [(3,), (2, 3), (0, 2), ()])
@pytest.mark.parametrize("dtype", [C64, C128])
def test_real_imag(shape, dtype):
    z = crandn(shape, dtype, 4)
    check_complex(lambda T, x: (T.real(x), T.imag(x), x.real, x.imag), [z],
                  ref=lambda x: (x.real, x.imag, x.real, x.imag))


def test_real_imag_are_views_and_settable():
    for T in [mt] + ([torch] if torch is not None else []):
        z = T.tensor([1 + 2j, 3 - 1j])
        r = z.real
        r.mul_(2)
        z.imag[0] = 7
        assert z.tolist() == [2 + 7j, 6 - 1j]
        z.real = T.tensor([5.0, 6.0])
        z.imag = T.tensor(0.5)
        assert z.tolist() == [5 + 0.5j, 6 + 0.5j]
        x = T.tensor([1.0, 2.0])
        assert x.real is x and T.real(x) is x
    e = same_error(lambda T: T.tensor([1.0]).imag)
    assert "imag" in str(e)


@requires_torch
def test_real_view_grad_fn_and_inplace_gradient():
    grads = []
    for T in (mt, torch):
        z = T.tensor([1 + 2j, 3 - 1j], requires_grad=True)
        assert z.real.grad_fn.name() == "SelectBackward0"
        w = z * 1
        w.imag.mul_(3)   # in place through the view: CopySlices on w
        (w.abs() ** 2).sum().backward()
        grads.append(z.grad.resolve_conj().numpy() if T is torch else z.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


@pytest.mark.parametrize("shape", [(3,), (2, 3), (0,), ()])
@pytest.mark.parametrize("dtype", [C64, C128])
def test_view_as_real(shape, dtype):
    z = crandn(shape, dtype, 5)
    check_complex(lambda T, x: T.view_as_real(x), [z],
                  ref=lambda x: np.stack([x.real, x.imag], -1))


def test_view_as_real_noncontiguous_shares_memory():
    z = mt.from_numpy(crandn((3, 4), C64, 6)).t()
    r = mt.view_as_real(z)
    if torch is not None:
        th = torch.view_as_real(torch.from_numpy(crandn((3, 4), C64, 6)).t())
        assert r.stride() == th.stride()
    r[1, 2, 1] = 9.0
    assert z[1, 2].item().imag == 9.0
    assert r._version_counter is z._version_counter


@pytest.mark.parametrize("shape", [(2,), (3, 2), (2, 3, 2), (1, 2)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_view_as_complex(shape, dtype):
    a = crandn(shape, dtype, 7)
    check_complex(lambda T, x: T.view_as_complex(x.contiguous()), [a],
                  ref=lambda x: x[..., 0] + 1j * x[..., 1])


def test_view_as_complex_of_strided_rows_is_a_view():
    for T in [mt] + ([torch] if torch is not None else []):
        empty = T.view_as_complex(T.ones(0, 3, 2, requires_grad=True))
        assert tuple(empty.shape) == (0, 3) and empty.dtype == T.complex64
        empty.abs().sum().backward()
        a = T.ones(4, 4)
        z = T.view_as_complex(a[:, :2])
        z[0] = 5 + 6j
        assert a[0].tolist() == [5.0, 6.0, 1.0, 1.0]


def test_view_errors():
    e = same_error(lambda T: T.view_as_real(T.ones(2)))
    assert "complex" in str(e)
    e = same_error(lambda T: T.view_as_real(T.tensor([1j]).conj()))
    assert "resolve_conj" in str(e)
    for make in [lambda T: T.tensor([1j]), lambda T: T.ones(3), lambda T: T.ones(3, 2).t(),
                 lambda T: T.ones(3, 3)[:, 1:], lambda T: T.ones(5)[1:].reshape(2, 2),
                 lambda T: T.ones(3, 2, dtype=T.int64), lambda T: T.ones(())]:
        e = same_error(lambda T: T.view_as_complex(make(T)))
        assert str(e)


# ====================================================================== conj, angle, sgn
@pytest.mark.parametrize("name", ["conj", "conj_physical", "resolve_conj", "angle", "sgn", "abs"])
@pytest.mark.parametrize("dtype", [C64, C128])
@pytest.mark.parametrize("with_zero", [False, True])
def test_complex_unary(name, dtype, with_zero):
    z = crandn((2, 3), dtype, 8)
    if with_zero:   # angle, sgn and abs: zero gradient at 0 (no finite differences there)
        z[0, 0] = 0
    ref = {"conj": np.conj, "conj_physical": np.conj, "resolve_conj": np.conj,
           "angle": np.angle, "sgn": lambda x: np.where(x == 0, 0, x / np.where(x == 0, 1, abs(x))),
           "abs": np.abs}[name]
    check_complex(lambda T, x: getattr(T, name)(x.conj().resolve_conj()) if name ==
                  "resolve_conj" else getattr(x, name)(), [z], ref=ref, atol=1e-5,
                  numeric=not with_zero)


@pytest.mark.parametrize("name", ["angle", "sgn", "conj", "conj_physical"])
@pytest.mark.parametrize("shape", [(3, 4), (0, 2), ()])
def test_real_inputs(name, shape):
    a = crandn(shape, np.float64, 9)   # no zeros: angle and sgn jump there
    ref = {"angle": lambda x: np.where(x < 0, np.pi, 0.0), "sgn": np.sign,
           "conj": lambda x: x, "conj_physical": lambda x: x}[name]
    # "+ x": PyTorch answers a zero gradient with a ZeroTensor the harness cannot read
    check_op(lambda T, x: getattr(T, name)(x) + x, [shape], arrays=[a], ref=lambda x: ref(x) + x)


def test_angle_integer_and_nan():
    for T in [mt] + ([torch] if torch is not None else []):
        assert T.angle(T.tensor([-1, 0, 2])).dtype == T.float32
        out = T.angle(T.tensor([-1.0, 0.0, float("nan")], dtype=T.float64)).tolist()
        assert out[:2] == [np.pi, 0.0] and np.isnan(out[2])


def test_conj_bit():
    for T in [mt] + ([torch] if torch is not None else []):
        z = T.tensor([1 + 2j])
        assert z.conj().is_conj() and T.is_conj(z.conj())
        assert not z.conj().conj().is_conj() and not z.conj_physical().is_conj()
        assert not z.conj().resolve_conj().is_conj()
        assert T.resolve_conj(z) is z and z.resolve_neg() is z and not T.is_neg(z)
        x = T.tensor([1.0])
        assert x.conj() is x
        zc = T.tensor([1 + 2j]).conj_physical_()
        assert zc.tolist() == [1 - 2j]


@requires_torch
def test_grad_fn_names():
    z = [T.tensor([1 + 2j], requires_grad=True) for T in (mt, torch)]
    x = [T.tensor([1.0], requires_grad=True) for T in (mt, torch)]
    calls = [lambda T, z, x: z.conj(), lambda T, z, x: z.conj_physical(),
             lambda T, z, x: z.angle(), lambda T, z, x: z.sgn(), lambda T, z, x: z.abs(),
             lambda T, z, x: T.view_as_real(z), lambda T, z, x: T.complex(x, x),
             lambda T, z, x: T.polar(x, x), lambda T, z, x: T.view_as_complex(T.stack([x, x], -1)),
             lambda T, z, x: z.conj().resolve_conj(), lambda T, z, x: z * x]
    for call in calls:
        names = [call(T, zz, xx).grad_fn.name() for T, zz, xx in zip((mt, torch), z, x)]
        assert names[0] == names[1]


def test_sign_refuses_complex():
    e = same_error(lambda T: T.sign(T.tensor([1j])))
    assert "sgn" in str(e)


# ====================================================================== holomorphic ops
_HOLOMORPHIC = {
    "mul": lambda T, a, b: a * b, "div": lambda T, a, b: a / b, "add": lambda T, a, b: a + b * 2,
    "sub": lambda T, a, b: a - b, "matmul": lambda T, a, b: a @ b.mT,
    "exp": lambda T, a, b: (a * 0.3).exp() + b, "pow": lambda T, a, b: a ** 2.5 * b,
    "sqrt": lambda T, a, b: a.sqrt() * b, "log": lambda T, a, b: a.log() - b,
    "tanh": lambda T, a, b: (a * 0.2).tanh() * b, "reciprocal": lambda T, a, b: a.reciprocal() + b,
    "sum_mean": lambda T, a, b: a.sum(0) * b.mean(), "prod": lambda T, a, b: a.prod(1)[:, None] * b,
    "cumsum": lambda T, a, b: a.cumsum(1) * b,
}


@pytest.mark.parametrize("name", sorted(_HOLOMORPHIC))
def test_holomorphic_gradients(name):
    a, b = crandn((2, 3), C128, 10), crandn((2, 3), C128, 11)
    check_complex(_HOLOMORPHIC[name], [a, b], atol=1e-9, rtol=1e-7)


@pytest.mark.parametrize("name", ["mul", "add", "div", "matmul"])
def test_real_and_complex_mixed(name):
    """A real input of a complex op gets the real part of its gradient."""
    a, b = crandn((2, 3), np.float64, 12), crandn((2, 3), C128, 13)
    fn = _HOLOMORPHIC[name]
    if name == "matmul":
        fn = lambda T, a, b: a.to(b.dtype) @ b.mT   # noqa: E731 - PyTorch needs equal dtypes
    check_complex(fn, [a, b], atol=1e-9, rtol=1e-7)
    check_complex(lambda T, a: a * (1 - 2j), [a])


def test_complex_scalar_of_real_tensor():
    x = crandn((3,), np.float32, 14)
    check_complex(lambda T, x: (x * (1 + 2j)).abs() + (x.to(T.complex64) * 1j).real, [x],
                  atol=1e-5)


def test_promotion():
    cases = [lambda T: T.ones(2) + T.ones(2, dtype=T.complex64),
             lambda T: T.ones(2, dtype=T.float64) + T.ones(2, dtype=T.complex64),
             lambda T: T.ones(2, dtype=T.float64) * 1j, lambda T: T.ones(2, dtype=T.int64) * 1j,
             lambda T: T.ones(2) * T.tensor(1j, dtype=T.complex128),
             lambda T: T.ones(2, dtype=T.complex64) + T.tensor(1.0, dtype=T.float64),
             lambda T: T.tensor([1 + 2j]), lambda T: T.randn(2, dtype=T.complex128)]
    for case in cases:
        got = case(mt).dtype
        if torch is not None:
            assert str(got) == str(case(torch).dtype)
    assert mt.is_complex(cases[0](mt)) and not mt.ones(1).is_complex()


def test_backward_refuses_complex_scalar():
    e = same_error(lambda T: T.tensor(1j, requires_grad=True).mul(2).backward())
    assert "real scalar" in str(e)


def test_printing():
    z = mt.tensor([1.5 + 2j, -1 - 0.5j])
    if torch is not None:
        assert repr(z) == repr(torch.tensor([1.5 + 2j, -1 - 0.5j]))
    assert "j" in repr(z)


# ====================================================================== rotary embedding
def _rope(T, x, freqs, cast=True):
    """The rotary embedding of LLaMA-style models (apply_rotary_emb)."""
    freqs_cis = T.polar(T.ones_like(freqs), freqs)
    x_ = T.view_as_complex((x.float() if cast else x).reshape(*x.shape[:-1], -1, 2))
    out = T.view_as_real(x_ * freqs_cis).flatten(3)
    return out.type_as(x)


def test_rotary_embedding():
    rng = np.random.default_rng(15)
    x = rng.standard_normal((2, 5, 3, 8)).astype(np.float32)   # (batch, seq, heads, dim)
    t = np.arange(5, dtype=np.float32)[:, None] * (1e4 ** -(np.arange(0, 8, 2) / 8))
    freqs = t.astype(np.float32)[:, None, :]   # (seq, 1, dim/2): broadcast over heads

    def ref(x, f):
        xc = x.reshape(*x.shape[:-1], -1, 2)
        xc = xc[..., 0] + 1j * xc[..., 1]
        o = xc * np.exp(1j * f)
        return np.stack([o.real, o.imag], -1).reshape(x.shape)

    check_complex(_rope, [x, freqs], ref=ref, atol=1e-5, numeric=False)
    wide = [x.astype(np.float64)[:1, :3, :2], freqs.astype(np.float64)[:3]]
    check_complex(lambda T, x, f: _rope(T, x, f, cast=False), wide, atol=1e-9)


def test_sgn_of_bool_is_itself():
    assert mt.sgn(mt.tensor([True, False])).tolist() == [True, False]


def test_complex_to_real_cast_warns_as_pytorch_at_the_callers_line():
    z = mt.tensor([1 + 2j])
    with pytest.warns(UserWarning, match="discards the imaginary part") as record:
        assert z.to(mt.float32).tolist() == [1.0]
    assert record[0].filename == __file__
    assert not [w for w in record if "ComplexWarning" in type(w.message).__name__]
