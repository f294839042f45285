"""isin: whether each element of `elements` occurs in `test_elements`.

Either argument may be a Python number (not both); the comparison is made in the promoted
dtype, as PyTorch's. bool and complex are refused (PyTorch has no kernel for them). The
result is a bool tensor shaped like `elements`; nothing is differentiable.
"""
from __future__ import annotations

from ..tensor import Tensor, _wrap
from ._util import binary_operands, xp_of
from .comparison import _Number
from .inplace import _legacy_name
from .registry import op

_SIGNATURES = (
    " * (Tensor elements, Tensor test_elements, *, bool assume_unique = False, bool invert = "
    "False, Tensor out = None)\n"
    " * (Number element, Tensor test_elements, *, bool assume_unique = False, bool invert = "
    "False, Tensor out = None)\n"
    " * (Tensor elements, Number test_element, *, bool assume_unique = False, bool invert = "
    "False, Tensor out = None)\n")


@op("isin")
def isin(elements, test_elements, *, assume_unique: bool = False,
         invert: bool = False) -> Tensor:
    """True where an element of `elements` is in `test_elements` (False there with invert).

        >>> torch.isin(torch.tensor([[1, 2], [3, 4]]), torch.tensor([2, 3]))
        tensor([[False,  True],
                [ True, False]])
    """
    kinds = [isinstance(v, Tensor) or (isinstance(v, _Number) and not isinstance(v, Tensor))
             for v in (elements, test_elements)]
    if not all(kinds) or not (isinstance(elements, Tensor) or isinstance(test_elements, Tensor)):
        raise TypeError(f"isin() received an invalid combination of arguments - got "
                        f"({type(elements).__name__}, {type(test_elements).__name__}), but "
                        f"expected one of:\n{_SIGNATURES}")
    for t in (elements, test_elements):   # each tensor's own dtype, as PyTorch checks
        if isinstance(t, Tensor) and (t.dtype.kind == 3 or t.dtype.name == "bool"):
            raise RuntimeError(f"Unsupported input type encountered for isin(): "
                               f"{_legacy_name(t.dtype)}")
    x, y, res = binary_operands(elements, test_elements)
    like = elements if isinstance(elements, Tensor) else test_elements
    xp = xp_of(like._data)
    x, y = xp.asarray(x, dtype=res.np), xp.asarray(y, dtype=res.np)
    out = xp.isin(x, y.ravel(), assume_unique=bool(assume_unique), invert=bool(invert))
    return _wrap(xp.asarray(out).reshape(x.shape))
