"""torch.onnx: `export` writes a model as an ONNX graph (the optional `onnx` package, extra
`minitorch_nn[onnx]`), traced from one forward pass through our ops (docs/export.md).

`is_in_onnx_export()` is True while `export` runs the model's forward; `TrainingMode` and
`select_model_mode_for_export` are PyTorch's; `OnnxExporterError` (a RuntimeError, as in
PyTorch) is raised for an op without an ONNX mapping, before any file is written.
"""
from __future__ import annotations

from ._base import STATE as _STATE
from ._base import OnnxExporterError, TrainingMode, select_model_mode_for_export

__all__ = ["export", "is_in_onnx_export", "select_model_mode_for_export", "TrainingMode",
           "OnnxExporterError"]


def is_in_onnx_export() -> bool:
    """True while `torch.onnx.export` runs the model (a forward may branch on it)."""
    return _STATE.active


def export(model, args=(), f=None, *, kwargs=None, export_params=True, verbose=None,
           input_names=None, output_names=None, opset_version=None, dynamic_axes=None,
           keep_initializers_as_inputs=False, training=TrainingMode.EVAL,
           do_constant_folding=True, **ignored):
    """Trace `model(*args, **kwargs)` once and write it as an ONNX model to `f` (a path or a
    binary file object); `f=None` returns the `onnx.ModelProto` instead. The opset is 17 unless
    `opset_version` says otherwise (13 or newer). PyTorch's other keyword arguments (dynamo,
    optimize, report, ...) are accepted and have no effect here."""
    from ._export import export_model
    return export_model(model, args, f, kwargs=kwargs, export_params=export_params,
                        verbose=bool(verbose), input_names=input_names,
                        output_names=output_names, opset_version=opset_version,
                        dynamic_axes=dynamic_axes,
                        keep_initializers_as_inputs=keep_initializers_as_inputs,
                        training=training, do_constant_folding=do_constant_folding)
