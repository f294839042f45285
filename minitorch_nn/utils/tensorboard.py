"""torch.utils.tensorboard: `SummaryWriter`, writing real TensorBoard event files.

    from minitorch_nn.utils.tensorboard import SummaryWriter
    writer = SummaryWriter()                      # ./runs/<date>_<host>
    writer.add_scalar("loss/train", loss.item(), step)
    writer.close()
    # then: tensorboard --logdir runs

The file format, protocol buffers and writer thread are the `tensorboard` package's own
(an optional extra: `pip install "minitorch_nn[tensorboard]"`); this module only turns tensors
into its summary protos: scalars, histograms, images (PNG through Pillow, which tensorboard
installs), text and hyper-parameters, as PyTorch's SummaryWriter does.
"""
from __future__ import annotations

import os
import socket
import time
from datetime import datetime

import numpy as np

try:
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
    from tensorboard.compat.proto.tensor_pb2 import TensorProto
    from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
except ImportError as exc:   # the optional extra is missing: say which one
    raise ImportError("minitorch_nn.utils.tensorboard needs the `tensorboard` package: "
                      "pip install \"minitorch_nn[tensorboard]\" (or pip install tensorboard)"
                      ) from exc

from . import _tensorboard_protos as _protos

__all__ = ["SummaryWriter"]


def _numpy(x) -> np.ndarray:
    """A tensor, array, list or number as a NumPy array (detached, on the host)."""
    if hasattr(x, "detach"):
        x = x.detach().cpu()
        x = x.float() if str(x.dtype) in ("torch.bfloat16", "torch.float16") else x
        return x.numpy()
    return np.asarray(x)


def _scalar(x) -> float:
    return float(_numpy(x).reshape(()))


class SummaryWriter:
    """Writes summaries to an event file in `log_dir` (PyTorch's arguments and defaults)."""

    def __init__(self, log_dir=None, comment: str = "", purge_step=None, max_queue: int = 10,
                 flush_secs: int = 120, filename_suffix: str = ""):
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = str(log_dir)
        self.purge_step = purge_step
        self._options = dict(max_queue_size=max_queue, flush_secs=flush_secs,
                             filename_suffix=filename_suffix)
        self._writer = EventFileWriter(self.log_dir, **self._options)
        self._children: dict[str, SummaryWriter] = {}

    # ------------------------------------------------------------------ plumbing
    def get_logdir(self) -> str:
        return self.log_dir

    def _add(self, value: Summary.Value, global_step, walltime) -> None:
        event = Event(wall_time=time.time() if walltime is None else walltime,
                      summary=Summary(value=[value]))
        if global_step is not None:
            event.step = int(global_step)
        self._writer.add_event(event)

    def flush(self) -> None:
        self._writer.flush()
        for child in self._children.values():
            child.flush()

    def close(self) -> None:
        self._writer.close()
        for child in self._children.values():
            child.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ summaries
    def add_scalar(self, tag: str, scalar_value, global_step=None, walltime=None,
                   new_style: bool = False, double_precision: bool = False) -> None:
        """One number under `tag` at `global_step` (a tensor with one element, or a float)."""
        self._add(Summary.Value(tag=tag, simple_value=_scalar(scalar_value)),
                  global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step=None,
                    walltime=None) -> None:
        """Several curves on one chart: each key goes to its own run, log_dir/main_tag_key."""
        for key, value in tag_scalar_dict.items():
            run = os.path.join(self.log_dir, f"{main_tag.replace('/', '_')}_{key}")
            if run not in self._children:
                self._children[run] = SummaryWriter(run, **_child_options(self._options))
            self._children[run].add_scalar(main_tag, value, global_step, walltime)

    def add_histogram(self, tag: str, values, global_step=None, bins="tensorflow",
                      walltime=None, max_bins=None) -> None:
        """The distribution of `values` (bins: "tensorflow", a NumPy bin rule, or a count)."""
        histogram = _histogram(_numpy(values).astype(np.float64).ravel(), bins, max_bins)
        self._add(Summary.Value(tag=tag, histo=histogram), global_step, walltime)

    def add_image(self, tag: str, img_tensor, global_step=None, walltime=None,
                  dataformats: str = "CHW") -> None:
        """One image: floats in [0, 1] or uint8, laid out as `dataformats` (CHW, HWC, HW)."""
        image = _protos.image(_protos.to_hwc(_numpy(img_tensor), dataformats))
        self._add(Summary.Value(tag=tag, image=image), global_step, walltime)

    def add_images(self, tag: str, img_tensor, global_step=None, walltime=None,
                   dataformats: str = "NCHW") -> None:
        """A batch of images tiled into one grid image (as PyTorch's make_grid lays it)."""
        grid = _protos.tile(_numpy(img_tensor), dataformats)
        self._add(Summary.Value(tag=tag, image=_protos.image(grid)), global_step, walltime)

    def add_text(self, tag: str, text_string: str, global_step=None, walltime=None) -> None:
        """Markdown text, shown in TensorBoard's Text tab."""
        metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="text"))
        tensor = TensorProto(dtype="DT_STRING", string_val=[text_string.encode("utf-8")],
                             tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]))
        self._add(Summary.Value(tag=f"{tag}/text_summary", metadata=metadata, tensor=tensor),
                  global_step, walltime)

    def add_hparams(self, hparam_dict: dict, metric_dict: dict, hparam_domain_discrete=None,
                    run_name=None, global_step=None) -> None:
        """One trial's hyper-parameters and final metrics, for TensorBoard's HParams tab
        (written to a sub-run, named by the time unless `run_name` is given)."""
        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        run = os.path.join(self.log_dir, run_name or str(time.time()))
        with SummaryWriter(run, **_child_options(self._options)) as child:
            for value in _protos.hparams(hparam_dict, metric_dict, hparam_domain_discrete):
                child._add(value, global_step, None)
            for key, value in metric_dict.items():
                child.add_scalar(key, value, global_step)


def _child_options(options: dict) -> dict:
    return dict(max_queue=options["max_queue_size"], flush_secs=options["flush_secs"],
                filename_suffix=options["filename_suffix"])


def _tensorflow_edges() -> np.ndarray:
    """TensorFlow's default histogram edges: ±1e-12 growing by 10% up to 1e20, and 0."""
    positive = 1e-12 * 1.1 ** np.arange(int(np.ceil(np.log(1e32) / np.log(1.1))))
    positive = positive[positive < 1e20]
    return np.concatenate([-positive[::-1], [0.0], positive])


def _histogram(values: np.ndarray, bins, max_bins) -> HistogramProto:
    if values.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    edges = _tensorflow_edges() if isinstance(bins, str) and bins == "tensorflow" else bins
    counts, limits = np.histogram(values, bins=edges)
    if max_bins is not None and len(counts) > max_bins:
        step = -(-len(counts) // max_bins)
        counts = np.add.reduceat(counts, np.arange(0, len(counts), step))
        limits = np.concatenate([limits[:-1:step], limits[-1:]])
    used = np.flatnonzero(counts)
    first, last = (used[0], used[-1] + 1) if used.size else (0, len(counts))
    return HistogramProto(min=float(values.min()), max=float(values.max()),
                          num=int(values.size), sum=float(values.sum()),
                          sum_squares=float(values @ values),
                          bucket_limit=limits[first + 1:last + 1].tolist(),
                          bucket=counts[first:last].tolist())
