"""`save` writes PyTorch's zip format: torch.load reads our files, we read torch.save's files,
with values, dtypes, shapes (0-dim too), shared storages, state_dicts and optimizer state."""
from __future__ import annotations

import io
import json
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn import nn
from minitorch_nn.serialization import (add_safe_globals, clear_safe_globals, get_safe_globals,
                                        safe_globals)
from op_harness import requires_torch, torch

DTYPES = ["float32", "float64", "float16", "bfloat16", "int8", "int16", "int32", "int64",
          "uint8", "bool", "complex64", "complex128"]


def _values(dtype_name: str, shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape) * 10
    if dtype_name == "bool":
        return x > 0
    if dtype_name.startswith("complex"):
        return x + 1j * x[::-1] if x.ndim else x + 1j
    if dtype_name.startswith(("int", "uint")):
        return np.abs(x).astype(np.int64) if dtype_name == "uint8" else x.astype(np.int64)
    return x


def _ours(dtype_name, shape):
    return mt.tensor(_values(dtype_name, shape), dtype=getattr(mt, dtype_name))


def _np(t):
    """Values of a minitorch_nn or torch tensor as a numpy array (bfloat16 as float32)."""
    t = t.detach()
    if str(t.dtype).endswith("bfloat16"):
        t = t.float()
    return np.asarray(t.numpy())


class Custom:   # a user class: module level so that pickle can find it
    def __init__(self, value):
        self.value = value


@requires_torch
@pytest.mark.parametrize("weights_only", [True, False])
def test_torch_loads_our_tensors_with_dtypes_and_shapes(tmp_path, weights_only):
    obj = {f"{d}-{i}": _ours(d, shape) for d in DTYPES
           for i, shape in enumerate([(), (3,), (2, 3), (0, 4)])}
    mt.save(obj, tmp_path / "ours.pt")
    back = torch.load(tmp_path / "ours.pt", weights_only=weights_only)
    assert list(back) == list(obj)
    for k, t in obj.items():
        assert str(back[k].dtype) == str(t.dtype), k
        assert tuple(back[k].shape) == tuple(t.shape), k
        np.testing.assert_array_equal(_np(back[k]), _np(t), err_msg=k)


@requires_torch
def test_we_load_torch_tensors_with_dtypes_and_shapes(tmp_path):
    obj = {}
    for d in DTYPES:
        for i, shape in enumerate([(), (3,), (2, 3), (0, 4)]):
            t = _ours(d, shape)
            obj[f"{d}-{i}"] = torch.from_numpy(np.array(_np(t))).to(getattr(torch, d))
    torch.save(obj, tmp_path / "theirs.pt")
    back = mt.load(tmp_path / "theirs.pt")
    for k, t in obj.items():
        assert str(back[k].dtype) == str(t.dtype), k
        assert tuple(back[k].shape) == tuple(t.shape), k
        np.testing.assert_array_equal(_np(back[k]), _np(t), err_msg=k)


def test_round_trip_keeps_zero_dim_shape_and_requires_grad():
    buf = io.BytesIO()
    mt.save({"s": mt.tensor(2.5), "g": mt.ones(2, requires_grad=True)}, buf)
    buf.seek(0)
    back = mt.load(buf)
    assert tuple(back["s"].shape) == () and back["s"].item() == 2.5
    assert back["g"].requires_grad and back["g"].is_leaf


def test_archive_layout_matches_pytorch(tmp_path):
    mt.save({"a": mt.ones(3), "b": mt.arange(5)}, tmp_path / "x.pt")
    raw = (tmp_path / "x.pt").read_bytes()
    with zipfile.ZipFile(tmp_path / "x.pt") as zf:
        names = zf.namelist()
        assert names[0] == "archive/data.pkl"
        for n in ("archive/byteorder", "archive/version", "archive/.data/serialization_id",
                  "archive/.format_version", "archive/.storage_alignment",
                  "archive/data/0", "archive/data/1"):
            assert n in names
        assert zf.read("archive/byteorder") == b"little"
        for info in zf.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:
                                                           info.header_offset + 30])
            start = info.header_offset + 30 + name_len + extra_len
            assert start % 64 == 0, info.filename
        assert zf.read("archive/data.pkl")[:2] == b"\x80\x02"   # protocol 2, as PyTorch


def test_views_share_one_storage_record_and_memory_after_load(tmp_path):
    base = mt.arange(12.0).reshape(3, 4)
    obj = {"base": base, "row": base[1], "col": base[:, 2], "t": base.t(), "other": mt.ones(2)}
    mt.save(obj, tmp_path / "v.pt")
    with zipfile.ZipFile(tmp_path / "v.pt") as zf:
        assert sorted(n for n in zf.namelist() if "/data/" in n) == \
            ["archive/data/0", "archive/data/1"]
    back = mt.load(tmp_path / "v.pt")
    assert back["row"].storage_offset() == 4 and back["col"].stride() == (4,)
    back["base"][1, 2] = -1.0
    assert back["row"][2].item() == -1.0 and back["col"][1].item() == -1.0
    assert back["t"][2, 1].item() == -1.0 and back["other"].tolist() == [1.0, 1.0]
    # Saving what was loaded keeps the sharing.
    mt.save(back, tmp_path / "again.pt")
    with zipfile.ZipFile(tmp_path / "again.pt") as zf:
        assert len([n for n in zf.namelist() if "/data/" in n]) == 2


@requires_torch
def test_storage_sharing_survives_both_directions(tmp_path):
    base = mt.arange(6.0)
    mt.save({"a": base, "b": base[2:]}, tmp_path / "ours.pt")
    theirs = torch.load(tmp_path / "ours.pt")
    assert theirs["b"].storage_offset() == 2
    theirs["a"][3] = 100.0
    assert theirs["b"][1].item() == 100.0
    t = torch.arange(6.0)
    torch.save({"a": t, "b": t[1::2]}, tmp_path / "theirs.pt")
    ours = mt.load(tmp_path / "theirs.pt")
    assert ours["b"].stride() == (2,) and ours["b"].tolist() == [1.0, 3.0, 5.0]
    ours["a"][3] = 100.0
    assert ours["b"][1].item() == 100.0


def test_parameters_round_trip(tmp_path):
    p = nn.Parameter(mt.tensor([[1.0, -2.0], [3.5, 4.0]]))
    frozen = nn.Parameter(mt.ones(1), requires_grad=False)
    mt.save({"p": p, "same": p, "frozen": frozen}, tmp_path / "p.pt")
    back = mt.load(tmp_path / "p.pt")
    assert isinstance(back["p"], nn.Parameter) and back["p"].requires_grad
    assert back["same"] is back["p"]
    assert isinstance(back["frozen"], nn.Parameter) and not back["frozen"].requires_grad
    np.testing.assert_array_equal(back["p"].detach().numpy(), p.detach().numpy())


def _models():
    ours = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.BatchNorm1d(8),
                                 torch.nn.ReLU(), torch.nn.Linear(8, 2))
    return ours, theirs


@requires_torch
def test_model_state_dicts_both_ways(tmp_path):
    ours, theirs = _models()
    mt.save(ours.state_dict(), tmp_path / "ours.pt")
    sd = torch.load(tmp_path / "ours.pt")
    assert isinstance(sd, OrderedDict) and hasattr(sd, "_metadata")
    assert sd._metadata == ours.state_dict()._metadata
    theirs.load_state_dict(sd)
    torch.save(theirs.state_dict(), tmp_path / "theirs.pt")
    fresh, _ = _models()
    fresh.load_state_dict(mt.load(tmp_path / "theirs.pt"))
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    fresh.eval()
    theirs.eval()
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(fresh(mt.from_numpy(x)).detach().numpy(), expected, atol=1e-6)


def _train(model, opt, xs, ys, steps, framework):
    for i in range(steps):
        x, y = framework.from_numpy(xs[i]), framework.from_numpy(ys[i])
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()


def test_adam_checkpoint_resumes_training_exactly(tmp_path):
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((8, 4, 3)).astype(np.float32)
    ys = rng.standard_normal((8, 4, 2)).astype(np.float32)
    mt.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    opt = mt.optim.Adam(model.parameters(), lr=0.01)
    _train(model, opt, xs[:4], ys[:4], 4, mt)
    mt.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": 4},
            tmp_path / "ck.pt")
    ck = mt.load(tmp_path / "ck.pt")
    resumed = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    resumed.load_state_dict(ck["model"])
    ropt = mt.optim.Adam(resumed.parameters(), lr=0.01)
    ropt.load_state_dict(ck["opt"])
    _train(model, opt, xs[4:], ys[4:], 4, mt)
    _train(resumed, ropt, xs[4:], ys[4:], 4, mt)
    for a, b in zip(model.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


@requires_torch
def test_adam_checkpoint_moves_between_us_and_pytorch(tmp_path):
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((6, 4, 3)).astype(np.float32)
    ys = rng.standard_normal((6, 4, 2)).astype(np.float32)
    ours = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    opt = mt.optim.Adam(ours.parameters(), lr=0.01)
    _train(ours, opt, xs[:3], ys[:3], 3, mt)
    mt.save({"model": ours.state_dict(), "opt": opt.state_dict()}, tmp_path / "ck.pt")
    ck = torch.load(tmp_path / "ck.pt")   # weights_only=True
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    theirs.load_state_dict(ck["model"])
    topt = torch.optim.Adam(theirs.parameters(), lr=0.01)
    topt.load_state_dict(ck["opt"])
    _train(ours, opt, xs[3:], ys[3:], 3, mt)
    _train(theirs, topt, xs[3:], ys[3:], 3, torch)
    for a, b in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
    # ... and back: PyTorch's optimizer state resumes here.
    torch.save({"opt": topt.state_dict()}, tmp_path / "theirs.pt")
    opt.load_state_dict(mt.load(tmp_path / "theirs.pt")["opt"])
    assert opt.state_dict()["state"][0]["step"].item() == 6


@requires_torch
def test_any_picklable_object_with_weights_only_false(tmp_path):
    model = nn.Linear(2, 3)
    arr = np.arange(4)
    mt.save({"model": model, "array": arr, "custom": Custom(5)}, tmp_path / "obj.pt")
    back = mt.load(tmp_path / "obj.pt", weights_only=False)
    assert isinstance(back["model"], nn.Linear) and back["custom"].value == 5
    np.testing.assert_array_equal(back["model"].weight.detach().numpy(),
                                  model.weight.detach().numpy())
    np.testing.assert_array_equal(back["array"], arr)
    with pytest.raises(pickle.UnpicklingError, match="(?s)Weights only load failed.*Unsupported "
                                                     "global"):
        mt.load(tmp_path / "obj.pt")
    mt.save({"array": arr, "t": mt.ones(2)}, tmp_path / "np.pt")
    theirs = torch.load(tmp_path / "np.pt", weights_only=False)
    np.testing.assert_array_equal(theirs["array"], arr)
    assert theirs["t"].tolist() == [1.0, 1.0]


def test_safe_globals_allow_listed_classes():
    buf = io.BytesIO()
    mt.save({"c": Custom(3), "t": mt.ones(1)}, buf)
    with pytest.raises(pickle.UnpicklingError, match=r"add_safe_globals\(\[.*Custom\]\)"):
        mt.load(io.BytesIO(buf.getvalue()))
    with safe_globals([Custom]):
        assert Custom in get_safe_globals()
        assert mt.load(io.BytesIO(buf.getvalue()))["c"].value == 3
    assert Custom not in get_safe_globals()
    try:
        add_safe_globals([Custom])
        assert mt.load(io.BytesIO(buf.getvalue()))["c"].value == 3
    finally:
        clear_safe_globals()
    assert get_safe_globals() == []


def test_weights_only_with_pickle_module_is_refused_like_pytorch():
    buf = io.BytesIO()
    mt.save({"t": mt.ones(1)}, buf)
    with pytest.raises(RuntimeError, match="explicit pickle_module"):
        mt.load(io.BytesIO(buf.getvalue()), pickle_module=pickle, weights_only=True)
    assert mt.load(io.BytesIO(buf.getvalue()), pickle_module=pickle)["t"].tolist() == [1.0]


@requires_torch
def test_pickle_protocol_and_module_are_accepted(tmp_path):
    mt.save({"t": mt.arange(3)}, tmp_path / "p4.pt", pickle_module=pickle, pickle_protocol=4)
    assert mt.load(tmp_path / "p4.pt")["t"].tolist() == [0, 1, 2]
    assert torch.load(tmp_path / "p4.pt", weights_only=False)["t"].tolist() == [0, 1, 2]


def test_legacy_format_option_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="_use_new_zipfile_serialization"):
        mt.save({"t": mt.ones(1)}, io.BytesIO(), _use_new_zipfile_serialization=False)


@requires_torch
def test_pytorch_legacy_files_are_refused_clearly(tmp_path):
    torch.save({"t": torch.ones(1)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="legacy"):
        mt.load(tmp_path / "old.pt")


def test_map_location_forms(tmp_path):
    mt.save({"a": mt.ones(2), "b": mt.zeros(1)}, tmp_path / "m.pt")
    for where in ("cpu", mt.device("cpu"), {"cpu": "cpu"}):
        assert mt.load(tmp_path / "m.pt", map_location=where)["a"].device.type == "cpu"
    seen = []
    back = mt.load(tmp_path / "m.pt", map_location=lambda storage, loc: seen.append(loc))
    assert seen == ["cpu", "cpu"] and back["a"].tolist() == [1.0, 1.0]
    back = mt.load(tmp_path / "m.pt", map_location=lambda storage, loc: storage)
    assert back["b"].tolist() == [0.0]


def test_mmap_loads_the_same_values(tmp_path):
    w = np.random.default_rng(2).standard_normal((5, 3))
    sd = {"w": mt.tensor(w, dtype=mt.float32), "i": mt.arange(4)}
    mt.save(sd, tmp_path / "m.pt")
    back = mt.load(tmp_path / "m.pt", mmap=True)
    for k in sd:
        np.testing.assert_array_equal(back[k].numpy(), sd[k].numpy())
    back["w"][0, 0] = 123.0   # private mapping: the file is unchanged
    assert mt.load(tmp_path / "m.pt")["w"][0, 0].item() == sd["w"][0, 0].item()
    with pytest.raises(ValueError, match="file path"):
        mt.load(io.BytesIO((tmp_path / "m.pt").read_bytes()), mmap=True)


def test_file_objects_including_unseekable_streams(tmp_path):
    class Stream(io.RawIOBase):   # write-only, no tell/seek (a pipe, a socket)
        def __init__(self):
            self.chunks = []

        def writable(self):
            return True

        def write(self, b):
            self.chunks.append(bytes(b))
            return len(b)

    out = Stream()
    mt.save({"t": mt.arange(5), "s": mt.tensor(1.0)}, out)
    back = mt.load(io.BytesIO(b"".join(out.chunks)))
    assert back["t"].tolist() == [0, 1, 2, 3, 4] and tuple(back["s"].shape) == ()
    with pytest.raises(AttributeError, match="'write' attribute"):
        mt.save({}, 42)


def test_safetensors_path_goes_through_load_safetensors(tmp_path):
    from minitorch_nn.serialization import save_safetensors
    save_safetensors({"w": mt.ones(2)}, tmp_path / "m.safetensors")
    assert mt.load(tmp_path / "m.safetensors")["w"].tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="dict map_location"):
        mt.load(tmp_path / "m.safetensors", map_location={"cpu": "cpu"})


def test_previous_native_format_still_loads(tmp_path):
    path = tmp_path / "v1.pt"
    structure = {"dict": [["w", {"tensor": 0, "dtype": "float32", "requires_grad": False,
                                 "parameter": False}],
                          ["epoch", {"int": "3"}], ["dt", {"dtype": "bfloat16"}]],
                 "ordered": True, "metadata": {"dict": [["", {"dict": [], "ordered": False}]],
                                               "ordered": False}}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("format", "minitorch_nn/v1")
        zf.writestr("structure.json", json.dumps(structure))
        buf = io.BytesIO()
        np.save(buf, np.arange(3, dtype=np.float32))
        zf.writestr("tensors/0.npy", buf.getvalue())
    back = mt.load(path)
    assert isinstance(back, OrderedDict) and back._metadata == {"": {}}
    assert back["w"].tolist() == [0.0, 1.0, 2.0] and back["epoch"] == 3
    assert back["dt"] is mt.bfloat16


@requires_torch
def test_unsupported_pytorch_contents_raise_clear_errors(tmp_path):
    torch.save({"t": torch.ones(3, dtype=torch.uint16)}, tmp_path / "u16.pt")
    with pytest.raises(RuntimeError, match="torch.uint16 is not supported by minitorch_nn"):
        mt.load(tmp_path / "u16.pt")
    torch.save(torch.ones(2).to_sparse(), tmp_path / "sparse.pt")
    with pytest.raises(RuntimeError, match="not supported by minitorch_nn"):
        mt.load(tmp_path / "sparse.pt")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # torch.jit is deprecated
        torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), str(tmp_path / "ts.pt"))
    with pytest.raises(RuntimeError, match="TorchScript archive"):
        mt.load(tmp_path / "ts.pt")


@requires_torch
def test_bare_storages_load_as_one_dimensional_tensors(tmp_path):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # TypedStorage is deprecated
        torch.save({"s": torch.arange(3.0).storage()}, tmp_path / "s.pt")
    assert mt.load(tmp_path / "s.pt")["s"].tolist() == [0.0, 1.0, 2.0]


@requires_torch
def test_containers_and_primitives_under_weights_only_both_ways(tmp_path):
    import collections
    import math
    obj = {"bytes": b"\x00\xffab", "ba": bytearray(b"xy"), "set": {1, 2},
           "counter": collections.Counter("aab"), "complex": 1 + 2j, "inf": math.inf,
           "big": 2**80, "none": None, "tuple": (1, "a"), "dtype": mt.bfloat16,
           "device": mt.device("cuda", 1), "size": mt.Size([2, 3])}
    mt.save(obj, tmp_path / "o.pt")
    ours, theirs = mt.load(tmp_path / "o.pt"), torch.load(tmp_path / "o.pt")
    for k in ("bytes", "ba", "set", "counter", "complex", "inf", "big", "none", "tuple"):
        assert ours[k] == obj[k] and theirs[k] == obj[k], k
    assert ours["dtype"] is mt.bfloat16 and theirs["dtype"] is torch.bfloat16
    assert ours["device"] == mt.device("cuda", 1) and theirs["device"] == torch.device("cuda", 1)
    assert ours["size"] == mt.Size([2, 3]) and isinstance(theirs["size"], torch.Size)
