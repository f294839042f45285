"""torch.onnx: importable, so scripts that import it (or test `is_in_onnx_export()` inside a
model) run. Exporting a model to ONNX is not written yet: `export` raises
`OnnxExporterError` (a RuntimeError, as in PyTorch) saying so, before touching any file."""
from __future__ import annotations

__all__ = ["export", "is_in_onnx_export", "OnnxExporterError"]


class OnnxExporterError(RuntimeError):
    """Raised when a model cannot be exported to ONNX."""


def export(model, args=(), f=None, *, kwargs=None, **options):
    """Not available yet: raises OnnxExporterError (nothing is written to `f`)."""
    raise OnnxExporterError(
        "torch.onnx.export is not implemented in minitorch_nn yet: the model cannot be "
        "exported to ONNX. Save its weights with torch.save(model.state_dict(), path) "
        "instead.")


def is_in_onnx_export() -> bool:
    """False: no ONNX export is ever running."""
    return False
