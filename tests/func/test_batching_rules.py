"""vmap's batching rules, op by op: each case runs under vmap (the rule), as a loop of the op
over the samples (the per-sample meaning), and under PyTorch's torch.func.vmap, in float64,
with batched and unbatched operands, in_dims/out_dims other than 0, keepdim and negative
dims; gradients through the rule are compared with the loop's. A case must not reach the
per-sample fallback (its warning is an error here)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.func import batching_dispatch
from minitorch_nn.func.batching_rules import FAMILIES, RULES
from minitorch_nn.ops.registry import REGISTRY

try:
    import torch
except ImportError:
    torch = None

pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning")
B = 4
rng = np.random.default_rng(7)


def _r(*shape):
    return rng.standard_normal(shape)


def _i(high, *shape):
    return rng.integers(0, high, shape)


W4 = np.abs(rng.standard_normal(4))


def F(T):
    return T.nn.functional


# (id, f(T, *inputs), inputs as NumPy arrays with the batch at in_dims, in_dims, out_dims)
CASES = [
    ("exp", lambda T, x: x.exp(), [_r(B, 3)], 0, 0),
    ("add_unbatched", lambda T, x, y: x + y, [_r(B, 3), _r(2, 1, 3)], (0, None), 0),
    ("mul_ranks", lambda T, x, y: x * y, [_r(B, 3), _r(B, 2, 3)], 0, 0),
    ("sub_in1_out1", lambda T, x, y: x - 2 * y, [_r(3, B), _r(B, 3)], (1, 0), 1),
    ("rsub_scalar", lambda T, x: 1.5 - x / 3, [_r(B, 2)], 0, 0),
    ("pow", lambda T, x: x.abs() ** 1.5 + T.pow(x, 2), [_r(B, 3)], 0, 0),
    ("where", lambda T, x, y: T.where(x > 0, x, y), [_r(B, 3), _r(3)], (0, None), 0),
    ("clamp", lambda T, x: T.clamp(x, min=-0.5, max=0.5), [_r(B, 3)], 0, 0),
    ("masked_fill", lambda T, x: x.masked_fill(x > 0, 2.0), [_r(B, 2, 3)], 0, -1),
    ("compare", lambda T, x, y: (x > y).double() + (x == x).double(), [_r(B, 3), _r(B, 3)],
     0, 0),
    ("maximum", lambda T, x, y: T.maximum(x, y) + T.max(x, y) + y.min(x), [_r(B, 3), _r(3)],
     (0, None), 0),
    ("activations", lambda T, x: F(T).gelu(x) + F(T).silu(x) + F(T).elu(x) +
     F(T).leaky_relu(x, 0.1) + F(T).softplus(x) + x.tanh() + x.sigmoid() + x.relu(),
     [_r(B, 5)], 0, 0),
    ("dropout_eval", lambda T, x: F(T).dropout(x, 0.5, training=False), [_r(B, 3)], 0, 0),
    ("sum_keepdim", lambda T, x: x.sum(-1, keepdim=True), [_r(B, 2, 3)], 0, 0),
    ("sum_all", lambda T, x: x.sum() + x.mean(), [_r(2, B, 3)], 1, 0),
    ("prod_amax", lambda T, x: x.prod(0) + x.amax(dim=(0, 1)), [_r(B, 2, 3)], 0, 0),
    ("max_dim", lambda T, x: x.max(dim=1), [_r(B, 2, 3)], 0, 0),
    ("min_all", lambda T, x: x.min() + x.max(), [_r(B, 2, 3)], 0, 0),
    ("var_std", lambda T, x: x.var(0) + x.std(dim=-1, keepdim=True, correction=0),
     [_r(B, 3, 4)], 0, 0),
    ("logsumexp", lambda T, x: T.logsumexp(x, -1), [_r(B, 2, 3)], 0, 0),
    ("norm", lambda T, x: x.norm() + x.norm(p=1, dim=1).sum(), [_r(B, 2, 3)], 0, 0),
    ("argmax", lambda T, x: (x.argmax(), x.argmax(dim=0, keepdim=True)), [_r(B, 3, 2)], 0, 0),
    ("scalar_sum", lambda T, x: x[0].sum(), [_r(B, 3)], 0, 0),
    ("softmax", lambda T, x: F(T).softmax(x, dim=-1) + F(T).log_softmax(x, 0),
     [_r(B, 2, 3)], 0, 0),
    ("cumsum", lambda T, x: T.cumsum(x, 1), [_r(B, 2, 3)], 0, 0),
    ("matmul_unbatched", lambda T, x, m: x @ m, [_r(B, 3), _r(3, 2)], (0, None), 0),
    ("matmul_both", lambda T, x, y: T.matmul(x, y), [_r(B, 2, 3), _r(B, 3)], 0, 0),
    ("matmul_left", lambda T, v, y: v @ y, [_r(3), _r(B, 2, 3, 4)], (None, 0), 0),
    ("matmul_vec_vec", lambda T, v, y: v @ y, [_r(3), _r(B, 3)], (None, 0), 0),
    ("mm_mv_dot", lambda T, a, b: (T.mm(a, b), T.mv(a, b[:, 0]), T.dot(b[0], b[1])),
     [_r(B, 2, 3), _r(B, 3, 3)], 0, 0),
    ("bmm", lambda T, a, b: T.bmm(a, b), [_r(B, 2, 2, 3), _r(2, 3, 2)], (0, None), 0),
    ("linear", lambda T, x, w, b: F(T).linear(x, w, b), [_r(B, 5, 3), _r(B, 2, 3), _r(2)],
     (0, 0, None), 0),
    ("addmm", lambda T, b, x, w: T.addmm(b, x, w, beta=0.5, alpha=2.0),
     [_r(2), _r(B, 4, 3), _r(3, 2)], (None, 0, None), 0),
    ("einsum", lambda T, x, y: T.einsum("ij,jk->ik", x, y), [_r(B, 2, 3), _r(3, 4)],
     (0, None), 0),
    ("outer", lambda T, x, y: T.outer(x, y), [_r(B, 2), _r(B, 3)], 0, 0),
    ("view_reshape", lambda T, x: (x.view(-1), x.reshape(3, -1), x.flatten()),
     [_r(B, 2, 3)], 0, 0),
    ("unsqueeze_squeeze", lambda T, x: (x.unsqueeze(-1), x.unsqueeze(0).squeeze(),
                                         x[:1].squeeze(0)), [_r(B, 2, 3)], 0, 0),
    ("permute_transpose", lambda T, x: (x.permute(1, 0), x.transpose(0, 1), x.t(), x.T,
                                        x.mT), [_r(B, 2, 3)], 0, 0),
    ("expand_select", lambda T, x: (x.expand(2, 2, 3), x.select(1, 0), x.narrow(0, 1, 1)),
     [_r(B, 2, 3)], 0, 0),
    ("getitem", lambda T, x: (x[0], x[:, 1:], x[..., None], x[-1, ::2]), [_r(B, 2, 3)], 0,
     0),
    ("cat_stack", lambda T, x, y: (T.cat([x, y], dim=-1), T.stack([x, y * 2], 1)),
     [_r(B, 2, 3), _r(2, 3)], (0, None), 0),
    ("split_chunk", lambda T, x: (*x.split(1, dim=0), *x.chunk(3, -1)), [_r(B, 2, 3)], 0, 0),
    ("movedim_misc", lambda T, x: (x.movedim(0, -1), x.contiguous(), x.clone(),
                                   x.repeat(2, 1)), [_r(B, 2, 3)], 0, 0),
    ("cross_entropy", lambda T, x, t: (F(T).cross_entropy(x, t),
                                       F(T).cross_entropy(x, t, reduction="sum"),
                                       F(T).cross_entropy(x, t, reduction="none")),
     [_r(B, 5, 4), _i(4, B, 5)], 0, 0),
    ("cross_entropy_weight", lambda T, x, t: F(T).cross_entropy(x, t, weight=T.tensor(W4)),
     [_r(B, 5, 4), _i(4, B, 5)], (0, 0), 0),
    ("cross_entropy_ignore", lambda T, x, t: F(T).cross_entropy(x, t, weight=T.tensor(W4),
                                                               ignore_index=3),
     [_r(B, 6, 4), _i(4, B, 6)], (0, 0), 0),
    ("cross_entropy_1d_smoothing", lambda T, x, t: F(T).cross_entropy(x, t, label_smoothing=0.1,
                                                                     reduction="sum"),
     [_r(B, 4), _i(4, B)], (0, 0), 0),
    ("nll_loss", lambda T, x, t: F(T).nll_loss(F(T).log_softmax(x, -1), t),
     [_r(B, 3, 4), _i(4, 3)], (0, None), 0),
    ("pointwise_losses", lambda T, x, y: F(T).mse_loss(x, y) + F(T).l1_loss(x, y) +
     F(T).mse_loss(x, y, reduction="sum"), [_r(B, 2, 3), _r(2, 3)], (0, None), 0),
    ("bce", lambda T, x, y: (F(T).binary_cross_entropy(x.sigmoid(), y),
                             F(T).binary_cross_entropy_with_logits(
                                 x, y, pos_weight=T.ones(3, dtype=T.float64) * 2,
                                 reduction="none")),
     [_r(B, 2, 3), rng.uniform(size=(B, 2, 3))], 0, 0),
    ("layer_norm", lambda T, x, w, b: F(T).layer_norm(x, (3,), w, b),
     [_r(B, 2, 3), _r(3), _r(B, 3)], (0, None, 0), 0),
    ("embedding", lambda T, i, w: F(T).embedding(i, w), [_i(5, B, 3), _r(5, 2)], (0, None),
     0),
    ("conv2d", lambda T, x, w: F(T).conv2d(x, w, padding=1), [_r(B, 2, 3, 5, 5),
                                                              _r(4, 3, 3, 3)], (0, None), 0),
    ("pool2d", lambda T, x: (F(T).max_pool2d(x, 2, return_indices=True),
                             F(T).avg_pool2d(x, 2, stride=1), F(T).adaptive_avg_pool2d(x, (2, 1)),
                             F(T).adaptive_max_pool2d(x, 2), F(T).lp_pool2d(x, 2, 2)),
     [_r(B, 2, 3, 4, 4)], 0, 0),
    ("pool1d_unbatched_sample", lambda T, x: (F(T).max_pool1d(x, 2), F(T).avg_pool1d(x, 3),
                                              F(T).adaptive_max_pool1d(x, 2, return_indices=True)),
     [_r(B, 3, 6)], 0, 0),
    ("pool3d", lambda T, x: (F(T).max_pool3d(x, 2), F(T).avg_pool3d(x, 2),
                             F(T).adaptive_avg_pool3d(x, 1)), [_r(B, 2, 1, 4, 4, 4)], 0, 0),
    ("conv_transpose_conv3d", lambda T, x, w, v, u: (F(T).conv_transpose2d(x, w, stride=2),
                                                     F(T).conv3d(v, u)),
     [_r(B, 2, 3, 4, 4), _r(3, 2, 3, 3), _r(B, 1, 2, 4, 4, 4), _r(2, 2, 2, 2, 2)],
     (0, None, 0, None), 0),
    ("norms_eval", lambda T, x, m, v: (F(T).batch_norm(x, m, v.abs(), training=False),
                                       F(T).group_norm(x, 2), F(T).pad(x, (1, 2), value=0.5),
                                       F(T).pad(x, (1, 0, 0, 1, 2, 2))),
     [_r(B, 3, 4, 5), _r(4), _r(4)], (0, None, None), 0),
    ("conv1d_unbatched_sample", lambda T, x, w: F(T).conv1d(x, w, stride=2),
     [_r(B, 3, 7), _r(2, 3, 3)], (0, None), 0),
    ("as_other", lambda T, x, y: (x.view_as(y), x.reshape_as(y), x[:1, :1].expand_as(y),
                                  x.type_as(y), x.cpu()), [_r(B, 2, 3), _r(B, 3, 2)], 0, 0),
    ("broadcast_diag", lambda T, x: (T.broadcast_to(x, (2, 2, 3)), T.diagonal(x, 0, -1, -2),
                                     T.concatenate([x, x], axis=-1)), [_r(B, 2, 3)], 0, 0),
    ("unbind_unflatten", lambda T, x: (*x.unbind(-1), x.unflatten(-1, (2, 2))),
     [_r(B, 3, 4)], 0, 0),
    ("new_factories", lambda T, x: (x.new_zeros(2, 3), x.new_ones((2,)), x.new_full((3,), 2.0),
                                    x.new_empty(2).shape == (2,) and x.sum()),
     [_r(B, 2)], 0, 0),
    ("torch_layer_norm", lambda T, x: T.layer_norm(x, (2, 3)), [_r(B, 4, 2, 3)], 0, 0),
    ("more_losses", lambda T, x, y: (F(T).huber_loss(x, y, delta=0.5),
                                     F(T).smooth_l1_loss(x, y, reduction="sum"),
                                     F(T).soft_margin_loss(x, y.sign().detach()),
                                     F(T).kl_div(F(T).log_softmax(x, -1), y.softmax(-1),
                                                 reduction="batchmean")),
     [_r(B, 2, 3), _r(B, 2, 3)], 0, 0),
]


def _tensor(T, a, grad):
    t = T.tensor(a)
    return t.requires_grad_() if grad and a.dtype == np.float64 else t


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [leaf for o in out for leaf in _flat(o)]
    return [out]


def _loop(T, f, arrays, in_dims, out_dims):
    """The op run per sample outside vmap and stacked: what vmap must equal."""
    in_dims = in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(arrays)
    samples = []
    for i in range(B):
        args = [a if d is None else a.select(d, i) for a, d in zip(arrays, in_dims)]
        samples.append(_flat(f(T, *args)))
    return [T.stack([s[j] for s in samples], dim=out_dims) for j in range(len(samples[0]))]


def _np(t):
    return t.detach().numpy()


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_rule_matches_loop_and_torch(case):
    _, f, arrays, in_dims, out_dims = case
    ins = [_tensor(mt, a, True) for a in arrays]
    batching_dispatch._warned.clear()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="There is a performance drop")
        warnings.filterwarnings("error", message="vmap: .* could not run batched")
        ours = _flat(mt.func.vmap(lambda *a: f(mt, *a), in_dims, out_dims)(*ins))
    ref_ins = [_tensor(mt, a, True) for a in arrays]
    loop = _loop(mt, f, ref_ins, in_dims, out_dims)
    assert len(ours) == len(loop)
    for o, r in zip(ours, loop):
        assert o.shape == r.shape and o.dtype == r.dtype
        np.testing.assert_allclose(_np(o), _np(r), rtol=1e-10, atol=1e-12)
    floats = [(o, r) for o, r in zip(ours, loop) if o.is_floating_point() and o.requires_grad]
    if floats:   # gradients through the rule equal the loop's
        weights = [mt.tensor(rng.standard_normal(tuple(o.shape))) for o, _ in floats]
        sum(((o * w).sum() for (o, _), w in zip(floats, weights))).backward()
        sum(((r * w).sum() for (_, r), w in zip(floats, weights))).backward()
        for x, y in zip(ins, ref_ins):
            assert (x.grad is None) == (y.grad is None)
            if x.grad is not None:
                np.testing.assert_allclose(_np(x.grad), _np(y.grad), rtol=1e-10, atol=1e-12)
    if torch is None:
        pytest.skip("PyTorch not installed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # PyTorch's own fallback warnings
        theirs = _flat(torch.func.vmap(lambda *a: f(torch, *a), in_dims, out_dims)(
            *[torch.tensor(a) for a in arrays]))
    for o, t in zip(ours, theirs):
        assert tuple(o.shape) == tuple(t.shape)
        np.testing.assert_allclose(_np(o), t.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_setitem_rule():
    def f(T, x, v):
        y = x.clone()
        y[0] = v
        y[1:, ::2] = 0.5
        return y

    arrays = [_r(B, 3, 4), _r(B, 4)]
    batching_dispatch._warned.clear()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="There is a performance drop")
        ours = mt.func.vmap(lambda *a: f(mt, *a))(*[mt.tensor(a) for a in arrays])
    loop = _loop(mt, f, [mt.tensor(a) for a in arrays], 0, 0)[0]
    np.testing.assert_allclose(ours.numpy(), loop.numpy())


def test_every_rule_key_is_a_declared_op():
    assert [k for k in RULES if k not in REGISTRY] == []
    assert set(RULES) == {k for names in FAMILIES.values() for k in names}


def test_nested_vmap_uses_rules():
    x = mt.tensor(_r(3, 4, 5))
    batching_dispatch._warned.clear()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="There is a performance drop")
        out = mt.func.vmap(mt.func.vmap(lambda r: F(mt).softmax(r, -1) @ r.exp()))(x)
    ref = np.stack([[np.exp(r - r.max()) / np.exp(r - r.max()).sum() @ np.exp(r) for r in m]
                    for m in x.numpy()])
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12)


def test_fallback_gives_loop_results_and_warns_once():
    x = mt.tensor(_r(B, 3, 3))
    batching_dispatch._warned.clear()
    with pytest.warns(UserWarning, match="batching rule for trace"):
        out = mt.func.vmap(lambda r: mt.trace(r.exp()) * 2)(x)
    ref = np.trace(np.exp(x.numpy()), axis1=1, axis2=2) * 2
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mt.func.vmap(lambda r: mt.trace(r))(x)   # warned already


def test_unbatched_inplace_target_raises():
    x, w = mt.tensor(_r(B, 3)), mt.zeros(3, dtype=mt.float64)
    with pytest.raises(RuntimeError, match="vmap: add_"):
        mt.func.vmap(lambda r: w.add_(r))(x)


def test_batched_inplace_writes_the_input():
    x = mt.tensor(_r(B, 3))
    ref = x.numpy() * 2
    mt.func.vmap(lambda r: r.mul_(2))(x)
    np.testing.assert_allclose(x.numpy(), ref)


def test_out_dims_none_rejects_batched_output():
    with pytest.raises(ValueError, match="can not return a BatchedTensor when out_dim is None"):
        mt.func.vmap(lambda r: r * 2, out_dims=None)(mt.ones(2, 3))


def test_data_dependent_control_flow_raises():
    with pytest.raises(RuntimeError, match="data-dependent control flow"):
        mt.func.vmap(lambda r: r if r.sum() > 0 else -r)(mt.ones(2, 3))
    with pytest.raises(RuntimeError, match=r"calling \.item\(\)"):
        mt.func.vmap(lambda r: r.sum().item())(mt.ones(2, 3))


def test_nothing_is_wrapped_outside_vmap():
    before = (mt.add, mt.Tensor.__add__, mt.nn.functional.linear)
    mt.func.vmap(lambda r: r + 1)(mt.ones(2, 3))
    assert (mt.add, mt.Tensor.__add__, mt.nn.functional.linear) == before


def test_randomness_different_draws_with_physical_shape():
    x = mt.ones(3, 1000)
    mt.manual_seed(0)
    out = mt.func.vmap(lambda r: F(mt).dropout(r, 0.5), randomness="different")(x)
    assert not mt.equal(out[0], out[1])
    batching_dispatch._warned.clear()
    with pytest.warns(UserWarning, match="batching rule for nn.functional.dropout"):
        same = mt.func.vmap(lambda r: F(mt).dropout(r, 0.5), randomness="same")(x)
    assert mt.equal(same[0], same[1]) and mt.equal(same[1], same[2])
    drawn = mt.func.vmap(lambda r: r * mt.rand(4), randomness="different")(mt.ones(3, 4))
    assert not mt.equal(drawn[0], drawn[1])
    like = mt.func.vmap(lambda r: mt.rand_like(r) + mt.randn_like(r) * 0 +
                        mt.randint_like(r, 5) * 0, randomness="different")(mt.ones(3, 4))
    assert like.shape == (3, 4) and not mt.equal(like[0], like[1])
    mt.manual_seed(5)
    like = mt.func.vmap(lambda r: mt.rand_like(r), randomness="different")(mt.ones(3, 4))
    mt.manual_seed(5)
    assert mt.equal(like, mt.rand(3, 4))          # one draw with the physical shape


def test_whole_call_falls_back_before_any_inplace_change():
    from minitorch_nn.ops.elementwise import exp as raw_exp  # not the dispatching name
    x = mt.tensor(_r(B, 3))
    with pytest.warns(UserWarning, match="could not run batched"):
        out = mt.func.vmap(lambda r: raw_exp(r) * 2)(x)
    np.testing.assert_allclose(out.numpy(), np.exp(x.numpy()) * 2, rtol=1e-12)
    with pytest.raises(AttributeError, match="BatchedTensor"):
        mt.func.vmap(lambda r: raw_exp(r.mul_(2)))(x)        # changed in place: no rerun


def test_transforms_inside_vmap_use_rules():
    """Per-sample gradients, jvp, jacrev and hessian inside vmap: batched (no fallback) and
    equal to the loop over samples."""
    F_ = mt.func
    x, w = mt.tensor(_r(B, 3)), mt.tensor(_r(3, 2))
    v = mt.tensor(_r(3))
    f = lambda w, r: (r @ w).tanh().sum()
    g = lambda r: (r.exp() * r.sum()).sin()
    batching_dispatch._warned.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = (F_.vmap(F_.grad(f), in_dims=(None, 0))(w, x),
               F_.vmap(lambda r: F_.jvp(g, (r,), (v,))[1])(x),
               F_.vmap(F_.jacrev(g))(x), F_.vmap(F_.hessian(lambda r: g(r).sum()))(x))
    ref = (mt.stack([F_.grad(f)(w, r) for r in x]),
           mt.stack([F_.jvp(g, (r,), (v,))[1] for r in x]),
           mt.stack([F_.jacrev(g)(r) for r in x]),
           mt.stack([F_.hessian(lambda a: g(a).sum())(r) for r in x]))
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)


def test_gpu_generators_guarded():
    if not mt.cuda.is_available():
        pytest.skip("no GPU (run with --fake-gpu)")
    mt.rand(1, device="cuda")                      # the GPU's generator exists
    with pytest.raises(RuntimeError, match="randomness error mode"):
        mt.func.vmap(lambda r: r + mt.rand(2, device="cuda"))(mt.ones(3, 2, device="cuda"))
    from minitorch_nn import generator
    assert generator._gpu_generators
    assert all(type(g) is generator.Generator for g in generator._gpu_generators.values())


# ----------------------------------------------------------------------------- every
# element-wise op with a rule: a batched first operand, an unbatched second one (broadcast)
# and a batched third one of another rank, against the loop and torch.func.vmap.
_RANDOM = {"rand_like", "randn_like", "randint_like", "empty_like"}
_INTS = {"bitwise_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
         "bitwise_right_shift", "gcd", "lcm"}
_BINARY = set("""add sub mul div pow floor_divide remainder fmod eq ne lt le gt
ge logical_and logical_or logical_xor bitwise_and bitwise_or bitwise_xor bitwise_left_shift
bitwise_right_shift maximum minimum atan2 hypot fmax fmin nextafter copysign logaddexp
logaddexp2 xlogy heaviside float_power gcd lcm rsub isclose special.xlogy special.xlog1py
special.zeta""".split())
_SPECIAL = {
    "full_like": lambda x, y, z: (x, 2.5),
    "mvlgamma": lambda x, y, z: (x + 1.5, 2),
    "polygamma": lambda x, y, z: (1, x), "special.polygamma": lambda x, y, z: (1, x),
    "where": lambda x, y, z: (x > 0.5, x, y),
    "clamp": lambda x, y, z: (x, y - 0.2, z), "clamp_min": lambda x, y, z: (x, y),
    "clamp_max": lambda x, y, z: (x, 0.6),
    "addcmul": lambda x, y, z: (x, y, z), "addcdiv": lambda x, y, z: (x, y, z),
    "lerp": lambda x, y, z: (x, y, z), "masked_fill": lambda x, y, z: (x, y > 0.5, -1.0),
    "ldexp": lambda x, y, z: (x, (y * 4).long()),
}
for _name in ("threshold", "threshold_", "nn.functional.threshold", "nn.functional.threshold_"):
    _SPECIAL[_name] = lambda x, y, z: (x, 0.5, -1.0)
for _name in ("dropout", "dropout_", "alpha_dropout", "alpha_dropout_"):
    _SPECIAL[_name] = lambda x, y, z: (x, 0.5, False)
_SPECIAL["nn.functional.dropout"] = lambda x, y, z: (x, 0.5, False)
_EW = [n for n in FAMILIES["elementwise"] if n not in _RANDOM]


def _resolve(T, qualname):
    obj = T
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _ew_args(name, T, x, y, z):
    if name in _SPECIAL:
        return _SPECIAL[name](x, y, z)
    return (x, y) if name in _BINARY else (x,)


@pytest.mark.parametrize("name", _EW)
def test_every_elementwise_rule(name):
    r = np.random.default_rng(abs(hash(name)) % 2 ** 32)
    if name in _INTS:
        arrays = [r.integers(1, 8, (B, 3)), r.integers(1, 3, (3,)), r.integers(1, 8, (B, 1, 3))]
    else:
        arrays = [r.uniform(0.1, 0.9, (B, 3)), r.uniform(0.1, 0.9, (3,)),
                  r.uniform(0.1, 0.9, (B, 1, 3))]
    in_dims = (0, None, 0)

    def f(T, x, y, z):
        return _resolve(T, name)(*_ew_args(name, T, x, y, z))

    ins = [mt.tensor(a) for a in arrays]
    batching_dispatch._warned.clear()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="There is a performance drop")
        ours = mt.func.vmap(lambda *a: f(mt, *a), in_dims)(*ins)
    loop = _loop(mt, f, [mt.tensor(a) for a in arrays], in_dims, 0)[0]
    assert ours.shape == loop.shape and ours.dtype == loop.dtype
    np.testing.assert_allclose(_np(ours), _np(loop), rtol=1e-12, atol=1e-14)
    if torch is None:
        pytest.skip("PyTorch not installed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # PyTorch's own fallback warnings
        theirs = torch.func.vmap(lambda *a: f(torch, *a), in_dims)(
            *[torch.tensor(a) for a in arrays])
    rtol = 1e-8 if "polygamma" in name else 1e-10   # the op's own accuracy, not vmap's
    np.testing.assert_allclose(_np(ours), theirs.numpy(), rtol=rtol, atol=1e-12)


# ----------------------------------------------------------------------------- every
# reduction and op along a dim, with negative dims, keepdim and dim=None; in_dims=1.
_REDUCTION_CALLS = {
    "logsumexp": ["f(x, -1)", "f(x, (0, 1), True)"],
    "special.logsumexp": ["f(x, -1)"],
    "count_nonzero": ["f(x)", "f(x, dim=-1)"],
    "norm": ["f(x)", "f(x, 1, -1, True)"],
    "linalg.vector_norm": ["f(x)", "f(x, 3, -1, True)"],
    "prod": ["f(x)", "f(x, -1, True)"],
    "topk": ["f(x, 2, dim=-1)"], "kthvalue": ["f(x, 2, dim=-1, keepdim=True)"],
    "nn.functional.glu": ["f(x, dim=-1)"], "nn.functional.normalize": ["f(x, dim=-1)"],
}
_DEFAULT_REDUCTION = ["f(x)", "f(x, dim=-1, keepdim=True)", "f(x, dim=0)"]
_DEFAULT_ALONG = ["f(x, dim=-1)", "f(x, dim=0)"]
_DIM_CASES = [(n, c) for n in FAMILIES["reductions"]
              for c in _REDUCTION_CALLS.get(n, _DEFAULT_REDUCTION)] + \
             [(n, c) for n in FAMILIES["along a dim"]
              for c in _REDUCTION_CALLS.get(n, _DEFAULT_ALONG)]


@pytest.mark.parametrize("name,expr", _DIM_CASES, ids=[f"{n}:{c}" for n, c in _DIM_CASES])
def test_every_dim_rule(name, expr):
    r = np.random.default_rng(abs(hash(name + expr)) % 2 ** 32)
    data = r.standard_normal((2, B, 4))
    if name in ("all", "any"):
        data = data > 0

    def g(T, x):
        return eval(expr, {"f": _resolve(T, name), "x": x})

    batching_dispatch._warned.clear()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="There is a performance drop")
        ours = _flat(mt.func.vmap(lambda x: g(mt, x), in_dims=1)(mt.tensor(data)))
    loop = _loop(mt, g, [mt.tensor(data)], 1, 0)
    for o, ref in zip(ours, loop):
        assert o.shape == ref.shape and o.dtype == ref.dtype
        np.testing.assert_allclose(_np(o), _np(ref), rtol=1e-12, atol=1e-14)
    if torch is None:
        pytest.skip("PyTorch not installed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _flat(torch.func.vmap(lambda x: g(torch, x), in_dims=1)(torch.tensor(data)))
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(_np(o), t.numpy(), rtol=1e-10, atol=1e-12)


def test_chunk_size_runs_chunks_with_out_dims():
    x, c = mt.tensor(_r(5, 3)), mt.tensor(_r(3))

    def f(r):
        return {"a": r * c, "b": (r.sum(), c * 2)}

    full = mt.func.vmap(f, out_dims={"a": 1, "b": (0, None)})(x)
    chunked = mt.func.vmap(f, out_dims={"a": 1, "b": (0, None)}, chunk_size=2)(x)
    for u, v in ((full["a"], chunked["a"]), (full["b"][0], chunked["b"][0]),
                 (full["b"][1], chunked["b"][1])):
        assert u.shape == v.shape
        np.testing.assert_allclose(u.numpy(), v.numpy())
    assert chunked["a"].shape == (3, 5)


def test_per_sample_gradients_stay_differentiable():
    """vmap(grad(f)) with a weight that requires grad outside: the per-sample gradients are
    differentiated again (the weight is expanded along the batch through a recorded op)."""
    arrays = [_r(3, 2), _r(B, 3)]

    def case(T):
        w, x = T.tensor(arrays[0], requires_grad=True), T.tensor(arrays[1])
        f = lambda w, r: (r @ w).tanh().pow(2).sum()                      # noqa: E731
        g = T.func.vmap(T.func.grad(f), in_dims=(None, 0))(w, x)
        (g * g).sum().backward()
        return g.detach().numpy(), w.grad.numpy()

    ours = case(mt)
    w = mt.tensor(arrays[0], requires_grad=True)
    loop = mt.stack([mt.func.grad(lambda w, r: (r @ w).tanh().pow(2).sum())(w, r)
                     for r in mt.tensor(arrays[1])])
    (loop * loop).sum().backward()
    np.testing.assert_allclose(ours[0], loop.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours[1], w.grad.numpy(), rtol=1e-10)
    if torch is None:
        pytest.skip("PyTorch not installed")
    theirs = case(torch)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-10)
