"""Image and hyper-parameter summaries for utils/tensorboard.py: arrays laid out and PNG-encoded
(Pillow, a dependency of tensorboard), hyper-parameters in TensorBoard's hparams plugin protos.
Imported only by utils/tensorboard.py, after it has checked that tensorboard is installed."""
from __future__ import annotations

import io

import numpy as np
from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2


# ------------------------------------------------------------------ images
def to_hwc(array: np.ndarray, dataformats: str) -> np.ndarray:
    """One image as height x width x channels, whatever order `dataformats` names."""
    dataformats = dataformats.upper()
    if len(dataformats) != array.ndim or sorted(dataformats) not in (sorted("CHW"),
                                                                     sorted("HW")):
        raise ValueError(f"size of input tensor and input format are different. tensor shape: "
                         f"{array.shape}, input_format: {dataformats}")
    if len(dataformats) == 2:
        array = array.transpose([dataformats.index(c) for c in "HW"])[..., None]
    else:
        array = array.transpose([dataformats.index(c) for c in "HWC"])
    return array


def tile(batch: np.ndarray, dataformats: str) -> np.ndarray:
    """A batch of images (NCHW, NHWC, ...) as one grid image (HWC), 8 per row at most."""
    dataformats = dataformats.upper()
    images = [to_hwc(np.take(batch, i, axis=dataformats.index("N")),
                     dataformats.replace("N", "")) for i in range(batch.shape[dataformats.index("N")])]
    if not images:
        raise ValueError("add_images needs at least one image")
    h, w, c = images[0].shape
    cols = min(8, len(images))
    rows = -(-len(images) // cols)
    grid = np.zeros((rows * h, cols * w, c), dtype=images[0].dtype)
    for i, img in enumerate(images):
        r, k = divmod(i, cols)
        grid[r * h:(r + 1) * h, k * w:(k + 1) * w] = img
    return grid


def image(hwc: np.ndarray) -> Summary.Image:
    """PNG-encode an HWC image (uint8 as is; floats scaled from [0, 1] to 0..255)."""
    from PIL import Image
    if hwc.dtype != np.uint8:
        hwc = (np.clip(hwc.astype(np.float64), 0, 1) * 255).round().astype(np.uint8)
    height, width, channels = hwc.shape
    if channels not in (1, 3, 4):
        raise ValueError(f"an image has 1, 3 or 4 channels, got {channels}")
    mode = {1: "L", 3: "RGB", 4: "RGBA"}[channels]
    buffer = io.BytesIO()
    Image.fromarray(hwc[..., 0] if channels == 1 else hwc, mode).save(buffer, format="PNG")
    return Summary.Image(height=height, width=width, colorspace=channels,
                         encoded_image_string=buffer.getvalue())


# ------------------------------------------------------------------ hyper-parameters
def _value(v) -> tuple:
    """(the plugin's data type, the proto Value) of one hyper-parameter or metric value."""
    from google.protobuf import struct_pb2
    if isinstance(v, bool):
        return api_pb2.DATA_TYPE_BOOL, struct_pb2.Value(bool_value=v)
    if isinstance(v, (int, float)):
        return api_pb2.DATA_TYPE_FLOAT64, struct_pb2.Value(number_value=float(v))
    if isinstance(v, str):
        return api_pb2.DATA_TYPE_STRING, struct_pb2.Value(string_value=v)
    if hasattr(v, "item"):
        return _value(v.item())
    raise ValueError(f"value should be one of int, float, str, bool, or torch.Tensor, "
                     f"got {type(v).__name__}")


def _plugin_value(tag: str, data: plugin_data_pb2.HParamsPluginData) -> Summary.Value:
    plugin = SummaryMetadata.PluginData(plugin_name="hparams", content=data.SerializeToString())
    return Summary.Value(tag=tag, metadata=SummaryMetadata(plugin_data=plugin))


def hparams(hparam_dict: dict, metric_dict: dict, domains=None) -> list:
    """The experiment, session-start and session-end summaries of one trial."""
    from google.protobuf import struct_pb2
    domains = domains or {}
    infos, start = [], plugin_data_pb2.SessionStartInfo()
    for name, v in hparam_dict.items():
        if v is None:
            continue
        kind, value = _value(v)
        start.hparams[name].CopyFrom(value)
        info = api_pb2.HParamInfo(name=name, type=kind)
        if name in domains:
            info.domain_discrete.CopyFrom(struct_pb2.ListValue(
                values=[_value(d)[1] for d in domains[name]]))
        infos.append(info)
    metrics = [api_pb2.MetricInfo(name=api_pb2.MetricName(tag=k)) for k in metric_dict]
    experiment = api_pb2.Experiment(hparam_infos=infos, metric_infos=metrics)
    end = plugin_data_pb2.SessionEndInfo(status=api_pb2.STATUS_SUCCESS)
    return [_plugin_value("_hparams_/experiment",
                          plugin_data_pb2.HParamsPluginData(version=0, experiment=experiment)),
            _plugin_value("_hparams_/session_start_info",
                          plugin_data_pb2.HParamsPluginData(version=0, session_start_info=start)),
            _plugin_value("_hparams_/session_end_info",
                          plugin_data_pb2.HParamsPluginData(version=0, session_end_info=end))]
