"""Second and third derivatives of torch.linalg.eig and eigvals (real and complex inputs),
against finite differences (gradgradcheck) and PyTorch (double_backward.py).

Eigenvectors are fixed only up to a phase each (V -> V e^{i phi}), so, as PyTorch's own tests
do, the losses are gauge-invariant: eigenvalues, |V|^2, ratios of entries of one eigenvector,
and the reconstruction V diag(L) V^-1. A loss that depends on the phase raises PyTorch's error
at every order. Random matrices here have one real eigenvalue and a complex-conjugate pair
(the real case) or distinct complex ones; LAPACK's geev orders them alike in both libraries.
"""
from __future__ import annotations

import numpy as np
import pytest

from double_backward import check_double_backward

import minitorch_nn as mt


def _rand(*shape, seed=0):
    return np.random.default_rng(seed + 13 * len(shape) + sum(shape)).uniform(-1, 1, shape)


def _real(T, z):
    return T.view_as_real(z.resolve_conj())


def _abs2(z):
    """|z|^2 with recorded complex ops (the phase of each eigenvector cancels)."""
    return (z * z.conj()).real


def _eig_parts(T, a):
    w, v = T.linalg.eig(a)
    return _real(T, w), _abs2(v)


def _ratios(T, a):
    """Entries of each eigenvector over its first entry: phase-free, complex."""
    v = T.linalg.eig(a)[1]
    return _real(T, v[..., 1:, :] / v[..., :1, :])


def _reconstruct(T, a):
    """V diag(L) V^-1, which is A again: all derivatives are those of A itself."""
    w, v = T.linalg.eig(a)
    return _real(T, (v * w.unsqueeze(-2)) @ T.linalg.inv(v)) ** 2


def _only_vectors(T, a):
    return _abs2(T.linalg.eig(a)[1]) * 3


def _only_values(T, a):
    return _real(T, T.linalg.eig(a)[0] ** 2)


REAL_CASES = {"eig": _eig_parts, "ratios": _ratios, "reconstruct": _reconstruct,
              "only_vectors": _only_vectors, "only_values": _only_values,
              "eigvals": lambda T, a: _real(T, T.linalg.eigvals(a))}


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)])
@pytest.mark.parametrize("name", sorted(REAL_CASES))
def test_real_input(name, shape):
    """Real float64 input, complex outputs: the gradient is the real part at every order."""
    a = _rand(*shape)
    assert np.iscomplex(np.linalg.eigvals(a)).any()     # a complex-conjugate pair
    check_double_backward(REAL_CASES[name], a, third=len(shape) == 2)


def test_real_input_with_real_spectrum():
    s = _rand(3, 3, seed=1) + 2 * np.eye(3)
    a = s @ np.diag([-1.0, 0.5, 2.0]) @ np.linalg.inv(s)       # not symmetric, real spectrum
    assert not np.iscomplex(np.linalg.eigvals(a)).any()
    check_double_backward(_eig_parts, a, third=True)
    check_double_backward(lambda T, x: _real(T, T.linalg.eigvals(x)), a, third=True)


def _c(T, re, im):
    return T.complex(re, im)


COMPLEX_CASES = {name: (lambda f: lambda T, r, i: f(T, _c(T, r, i)))(f)
                 for name, f in REAL_CASES.items()}


@pytest.mark.parametrize("name", sorted(COMPLEX_CASES))
def test_complex_input(name):
    """complex128 input built from two real float64 leaves (differentiated separately)."""
    check_double_backward(COMPLEX_CASES[name], _rand(2, 3, 3), _rand(2, 3, 3, seed=5),
                          third=name in ("eig", "eigvals", "ratios"))


def test_gauge_dependent_loss_raises_in_the_recorded_formula():
    """A loss that depends on the eigenvectors' phases: PyTorch's error, also from the
    recorded formula that a create_graph=True pass runs (here inside a second derivative)."""
    a = mt.tensor(_rand(3, 3), requires_grad=True)
    w, v = mt.linalg.eig(a)
    (g,) = mt.autograd.grad(_abs2(v).sum() + w.real.sum(), a, create_graph=True)
    w2, v2 = mt.linalg.eig(a * 1.0)
    loss = (g * g).sum() + v2.real.sum()
    with pytest.raises(RuntimeError, match=r"linalg_eig_backward: The eigenvectors in the "
                                           r"complex case are specified up to multiplication"):
        mt.autograd.grad(loss, a, create_graph=True)


def test_gauge_dependent_loss_message_is_pytorchs():
    torch = pytest.importorskip("torch")
    messages = []
    for T in (mt, torch):
        x = T.tensor(_rand(3, 3), requires_grad=True)
        with pytest.raises(RuntimeError) as err:
            T.linalg.eig(x)[1].real.sum().backward()
        messages.append(str(err.value))
    assert messages[0] == messages[1]


def test_cuda_matches_cpu():
    """The recorded formula on the GPU array backend gives the CPU's second derivative."""
    if not mt.cuda.is_available():
        pytest.skip("no GPU backend")
    results = []
    for device in ("cpu", "cuda"):
        a = mt.tensor(_rand(2, 3, 3), device=device, requires_grad=True)
        w, v = mt.linalg.eig(a)
        (g,) = mt.autograd.grad(_abs2(v).sum() + _abs2(w).sum(), a, create_graph=True)
        (h,) = mt.autograd.grad((g * g).sum(), a)
        assert h.device.type == device
        results.append(h.cpu().numpy())
    np.testing.assert_allclose(results[1], results[0], atol=1e-10)
