"""`torch.autograd.forward_ad` is absent: there is no forward-mode AD (dual numbers) here.

The module exists so that `import minitorch_nn.autograd.forward_ad` works and names the
alternative; every function raises NotImplementedError. Jacobian-vector products are
available through reverse mode: `minitorch_nn.func.jvp` / `jacfwd` and
`minitorch_nn.autograd.functional.jvp` compute them by the double-vjp trick (docs/func.md).
"""
from __future__ import annotations

__all__ = ["dual_level", "make_dual", "unpack_dual", "enter_dual_level", "exit_dual_level"]

_MESSAGE = ("minitorch_nn has no forward-mode AD (torch.autograd.forward_ad.{name}): use "
            "minitorch_nn.func.jvp / jacfwd or minitorch_nn.autograd.functional.jvp, which "
            "compute Jacobian-vector products by double backward (see docs/func.md)")


def _absent(name):
    def fn(*args, **kwargs):
        raise NotImplementedError(_MESSAGE.format(name=name))
    fn.__name__ = name
    fn.__doc__ = f"Absent: raises NotImplementedError ({name} needs forward-mode AD)."
    return fn


make_dual = _absent("make_dual")
unpack_dual = _absent("unpack_dual")
enter_dual_level = _absent("enter_dual_level")
exit_dual_level = _absent("exit_dual_level")


class dual_level:
    """Absent: entering it raises NotImplementedError."""

    def __enter__(self):
        raise NotImplementedError(_MESSAGE.format(name="dual_level"))

    def __exit__(self, *exc):
        return False
