"""The torch-level names we promise (issue 11's list): each one exists here. A name that is
removed or renamed by mistake fails this test; a name promised later is added to these lists.
With PyTorch installed, each promised name is also checked to exist there (no invented API)."""
from __future__ import annotations

import importlib

import pytest

import minitorch_nn as mt
from op_harness import requires_torch

TORCH = """
sort argsort msort topk kthvalue unique unique_consecutive searchsorted bucketize histc histogram
bincount
erf erfc erfinv lgamma digamma polygamma atan2 arctan2 hypot copysign asin acos atan sinh cosh
asinh acosh atanh arcsin arccos arctan arcsinh arccosh arctanh exp2 logaddexp logaddexp2 xlogy
nan_to_num heaviside sgn signbit frexp ldexp rad2deg deg2rad float_power addcmul addcdiv lerp
bitwise_left_shift bitwise_right_shift
cummax cummin logcumsumexp quantile nanquantile median nanmedian mode trace cov corrcoef var std
aminmax count_nonzero
diag diag_embed diagflat meshgrid repeat_interleave rot90 take_along_dim tril_indices triu_indices
block_diag cartesian_prod combinations vander dstack column_stack row_stack atleast_1d atleast_2d
atleast_3d scatter_reduce index_fill index_reduce index_copy masked_scatter take
inverse det logdet slogdet cholesky qr svd pinverse matrix_power matrix_exp
complex polar view_as_real view_as_complex abs angle conj real imag is_complex
set_num_threads get_num_threads set_num_interop_threads get_num_interop_threads
set_float32_matmul_precision get_float32_matmul_precision use_deterministic_algorithms
are_deterministic_algorithms_enabled set_default_device get_default_device compile
as_strided as_strided_ tensor_split hsplit vsplit dsplit is_same_size is_nonzero detach detach_
zero_ fill fill_ positive rsub diff kron inner isin gcd gcd_ lcm lcm_ fmax fmin isneginf isposinf
isreal nextafter renorm trapezoid trapz cumulative_trapezoid unravel_index cdist hann_window
hamming_window blackman_window bartlett_window kaiser_window select_scatter slice_scatter
diagonal_scatter as_strided_scatter histogramdd
""".split()

TENSOR = """
sort argsort msort topk kthvalue unique unique_consecutive bincount unfold index_fill_
index_reduce_ index_copy masked_scatter put_ take scatter_reduce real imag angle conj
inverse det logdet cholesky qr svd pinverse matrix_power slogdet
as_strided as_strided_ tensor_split hsplit vsplit dsplit t_ transpose_ squeeze_ unsqueeze_
swapaxes_ swapdims_ sum_to_size new_empty_strided itemsize nbytes is_same_size is_nonzero positive
diff kron inner gcd gcd_ lcm lcm_ fmax fmin isneginf isposinf isreal nextafter nextafter_ renorm
renorm_ fill_diagonal_ select_scatter slice_scatter diagonal_scatter as_strided_scatter
""".split()

NAMESPACES = {
    "linalg": """norm vector_norm matrix_norm inv inv_ex det slogdet solve solve_triangular
                 cholesky cholesky_ex qr svd svdvals eig eigvals eigh eigvalsh lstsq pinv
                 matrix_rank matrix_power matrix_exp cross multi_dot vecdot""",
    "fft": """fft ifft rfft irfft fft2 ifft2 rfft2 irfft2 fftn ifftn rfftn irfftn hfft fftfreq
              rfftfreq fftshift ifftshift""",
    "special": """erf erfc erfinv expit logit gammaln digamma polygamma xlogy xlog1py i0 i0e i1
                  ndtr ndtri log_ndtr sinc entr log_softmax softmax logsumexp""",
    "backends.cuda.matmul": "allow_tf32",
    "backends.cudnn": "benchmark deterministic allow_tf32 enabled",
    "backends.mps": "is_available",
    "testing": "assert_close make_tensor",
    "jit": "script trace ignore unused",
    "utils.checkpoint": "checkpoint checkpoint_sequential",
    "onnx": "export is_in_onnx_export select_model_mode_for_export TrainingMode",
    "profiler": """profile record_function schedule tensorboard_trace_handler ProfilerActivity
                   ProfilerAction""",
    "autograd.profiler": "profile record_function",
    "autograd.graph": "Node",
}
MODULES = ["minitorch_nn.utils.tensorboard"]   # importable (needs the tensorboard extra)


def _resolve(root, dotted: str):
    for part in dotted.split("."):
        root = getattr(root, part)
    return root


@pytest.mark.parametrize("name", TORCH)
def test_torch_name_exists(name):
    assert callable(getattr(mt, name, None)), f"torch.{name} is missing"


@pytest.mark.parametrize("name", TENSOR)
def test_tensor_method_exists(name):
    assert hasattr(mt.Tensor, name), f"Tensor.{name} is missing"


@pytest.mark.parametrize("namespace", sorted(NAMESPACES))
def test_namespace_names_exist(namespace):
    ns = _resolve(mt, namespace)
    missing = [n for n in NAMESPACES[namespace].split() if not hasattr(ns, n)]
    assert missing == [], f"torch.{namespace} lacks {missing}"


@pytest.mark.parametrize("module", MODULES)
def test_modules_import(module):
    pytest.importorskip("tensorboard")
    assert importlib.import_module(module).SummaryWriter


@requires_torch
def test_every_promised_name_is_pytorchs():
    import torch
    import torch.utils.checkpoint  # noqa: F401
    invented = [n for n in TORCH if not hasattr(torch, n)]
    invented += [f"Tensor.{n}" for n in TENSOR if not hasattr(torch.Tensor, n)]
    for namespace, names in NAMESPACES.items():
        ns = _resolve(torch, namespace)
        invented += [f"{namespace}.{n}" for n in names.split() if not hasattr(ns, n)]
    assert invented == []
