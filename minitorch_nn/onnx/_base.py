"""What every part of minitorch_nn.onnx shares: the error class, the export flag, the modes."""
from __future__ import annotations

import contextlib
import enum


class OnnxExporterError(RuntimeError):
    """Raised when a model cannot be exported to ONNX."""


class TrainingMode(enum.IntEnum):
    """The module mode a model is exported in (PyTorch's values)."""

    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


class _ExportState:
    active = False


STATE = _ExportState()


@contextlib.contextmanager
def select_model_mode_for_export(model, mode: TrainingMode):
    """Put `model` in the mode `mode` asks for (EVAL: eval(), TRAINING: train(), PRESERVE: as
    it is) for the block; its own mode is restored afterwards."""
    if not isinstance(mode, TrainingMode):
        raise TypeError(f"'mode' should be a torch.onnx.TrainingMode enum, but got "
                        f"'{type(mode)}'.")
    was_training = getattr(model, "training", False)
    if mode != TrainingMode.PRESERVE:
        model.train(mode == TrainingMode.TRAINING)
    try:
        yield
    finally:
        if mode != TrainingMode.PRESERVE:
            model.train(was_training)
