"""torch.return_types: the named tuples ops return (`torch.max(x, 0)` gives
`torch.return_types.max(values=..., indices=...)`), all defined here, one line each.

Like PyTorch's structseqs they print as `torch.return_types.<name>(...)`, unpack as tuples,
pickle, and are built either from their fields or from one sequence:
`return_types.sort(values, indices)` or `return_types.sort((values, indices))`.
"""
from __future__ import annotations

import collections

__all__ = ["max", "min", "median", "nanmedian", "mode", "aminmax", "cummax", "cummin", "sort",
           "topk", "kthvalue", "histogram", "frexp", "qr", "svd", "slogdet", "linalg_qr",
           "linalg_svd", "linalg_slogdet", "linalg_eig", "linalg_eigh", "linalg_inv_ex",
           "linalg_cholesky_ex", "linalg_solve_ex", "linalg_lstsq", "histogramdd"]


def _return_type(name: str, fields: str):
    """A named tuple class printed as PyTorch prints `torch.return_types.<name>`."""
    base = collections.namedtuple(name, fields)

    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and not kwargs and len(base._fields) > 1:   # PyTorch's form
            args = tuple(args[0])
        return base.__new__(cls, *args, **kwargs)

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{name}(\n{body})"

    cls = type(name, (base,), {"__slots__": (), "__new__": __new__, "__repr__": __repr__,
                               "__str__": __repr__})
    cls.__module__ = __name__       # pickled as minitorch_nn.return_types.<name>
    return cls


# reductions with indices (ops/reduction.py, extrema.py, statistics.py, scan.py)
max = _return_type("max", "values indices")            # noqa: A001  (PyTorch's name)
min = _return_type("min", "values indices")            # noqa: A001
median = _return_type("median", "values indices")
nanmedian = _return_type("nanmedian", "values indices")
mode = _return_type("mode", "values indices")
aminmax = _return_type("aminmax", "min max")
cummax = _return_type("cummax", "values indices")
cummin = _return_type("cummin", "values indices")
# sorting and binning (ops/sorting.py, binning.py), frexp (ops/pointwise_math.py)
sort = _return_type("sort", "values indices")
topk = _return_type("topk", "values indices")
kthvalue = _return_type("kthvalue", "values indices")
histogram = _return_type("histogram", "hist bin_edges")
histogramdd = _return_type("histogramdd", "hist bin_edges")   # ops/histogramdd.py
frexp = _return_type("frexp", "mantissa exponent")
# linear algebra (ops/decompositions.py, linalg_functions.py, linalg_extra.py)
qr = _return_type("qr", "Q R")
svd = _return_type("svd", "U S V")
slogdet = _return_type("slogdet", "sign logabsdet")
linalg_qr = _return_type("linalg_qr", "Q R")
linalg_svd = _return_type("linalg_svd", "U S Vh")
linalg_slogdet = _return_type("linalg_slogdet", "sign logabsdet")
linalg_eig = _return_type("linalg_eig", "eigenvalues eigenvectors")
linalg_eigh = _return_type("linalg_eigh", "eigenvalues eigenvectors")
linalg_inv_ex = _return_type("linalg_inv_ex", "inverse info")
linalg_cholesky_ex = _return_type("linalg_cholesky_ex", "L info")
linalg_solve_ex = _return_type("linalg_solve_ex", "result info")
linalg_lstsq = _return_type("linalg_lstsq", "solution residuals rank singular_values")
