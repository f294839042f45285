"""Crafted and corrupted checkpoints raise clear exceptions (never read stray memory, never
crash); saving is atomic, leaves no temporary files and gives files the umask's mode."""
from __future__ import annotations

import io
import json
import os
import pickle
import stat
import struct
import subprocess
import sys
import textwrap
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.serialization import load_safetensors, save_safetensors
from minitorch_nn.serialization import torch_zip_writer as tf

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ----------------------------------------------------------------- crafting checkpoints
class FakeStorage:
    def __init__(self, numel, kind="FloatStorage", key="0", location="cpu"):
        self.numel, self.kind, self.key, self.location = numel, kind, key, location


class FakeTensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride


class Call:
    """Pickles as `module.name(*args)`."""

    def __init__(self, module, name, *args):
        self.func, self.args = tf._Global(module, name), args


class Crafter(tf._pickler_class(pickle)):
    def __init__(self, file):
        super().__init__(file, 2, None)

    def persistent_id(self, obj):
        if isinstance(obj, FakeStorage):
            return ("storage", tf._Global("torch", obj.kind), obj.key, obj.location, obj.numel)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, FakeTensor):
            return (tf._REBUILD_V2, (obj.storage, obj.offset, obj.size, obj.stride, False,
                                     OrderedDict()))
        if isinstance(obj, Call):
            return (obj.func, obj.args)
        return super().reducer_override(obj)


def _zip(pkl: bytes, records: dict) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", pkl)
        zf.writestr("archive/byteorder", "little")
        for key, data in records.items():
            zf.writestr(f"archive/data/{key}", data)
    buf.seek(0)
    return buf


def _crafted(obj, records=None) -> io.BytesIO:
    buf = io.BytesIO()
    Crafter(buf).dump(obj)
    return _zip(buf.getvalue(), {"0": np.arange(4, dtype=np.float32).tobytes()}
                if records is None else records)


@pytest.mark.parametrize("offset,size,stride,match", [
    (0, (5,), (1,), "needs 5 elements, beyond the end of its storage"),
    (0, (2, 2), (3, 1), "needs 5 elements"),
    (4, (1,), (1,), "needs 5 elements"),
    (10, (0,), (1,), "needs 10 elements"),
    (-1, (2,), (1,), "negative size, stride or offset"),
    (0, (2,), (-1,), "negative size, stride or offset"),
    (0, (-2,), (1,), "negative size, stride or offset"),
    (0, (2**62, 2**62), (1, 1), "beyond the end of its storage"),
    (0, (2,), (1, 1), "size and stride differ in length"),
    (0, (2,), ("1",), "expected an int for the stride"),
    (1.5, (2,), (1,), "expected an int for the storage offset"),
])
def test_sizes_strides_offsets_are_checked_against_the_storage(offset, size, stride, match):
    f = _crafted({"t": FakeTensor(FakeStorage(4), offset, size, stride)})
    with pytest.raises(RuntimeError, match=match) as info:
        mt.load(f)
    assert "archive/data/0" in str(info.value)   # names the storage record


def test_a_valid_crafted_view_loads():
    back = mt.load(_crafted({"t": FakeTensor(FakeStorage(4), 1, (3,), (1,))}))
    assert back["t"].tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("numel,records,match", [
    (1000, None, "holds 16 bytes, but the pickle says 1000 elements"),
    (2**60, None, "holds 16 bytes"),
    (-4, None, "holds 16 bytes"),
    (4, {}, "storage record 'archive/data/0' is missing"),
])
def test_storage_records_must_match_their_ids(numel, records, match):
    f = _crafted({"t": FakeTensor(FakeStorage(numel), 0, (1,), (1,))}, records)
    with pytest.raises(RuntimeError, match=match):
        mt.load(f)


def test_bad_storage_location_and_kind():
    with pytest.raises(RuntimeError, match="unknown storage location 'moon'"):
        mt.load(_crafted({"t": FakeTensor(FakeStorage(4, location="moon"), 0, (1,), (1,))}))
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL torch.EvilStorage was not an "
                                                     "allowed global"):
        mt.load(_crafted({"t": FakeTensor(FakeStorage(4, kind="EvilStorage"), 0, (1,),
                                          (1,))}))
    with pytest.raises(RuntimeError, match="torch.uint16 is not supported"):
        mt.load(_crafted({"d": Call("torch", "uint16")}))


@pytest.mark.parametrize("module,name,match", [
    ("os", "system", "GLOBAL os.system whose module os is blocked"),
    ("posix", "system", "module posix is blocked"),
    ("builtins", "eval", "Unsupported global: GLOBAL eval was not an allowed global"),
    ("subprocess", "call", "GLOBAL subprocess.call was not an allowed global"),
    ("minitorch_nn.dtypes", "__builtins__", "was not an allowed global"),
])
def test_code_running_globals_are_refused(module, name, match, tmp_path):
    marker = tmp_path / "ran"
    f = _crafted({"x": Call(module, name, f"touch {marker}")})
    with pytest.raises(pickle.UnpicklingError, match=match):
        mt.load(f)
    assert not marker.exists()


@pytest.mark.parametrize("pkl,match", [
    (b"\x80\x02]K\x01K\x02s.", "Can only SETITEM for dict"),
    (b"\x80\x02c__builtin__\nset\n]\x85R}b.", "Can only build Tensor, Parameter, OrderedDict"),
    (b"\x80\x02c__builtin__\nset\n]\x85RK\x01a.", "Can only append to lists"),
    (b"\x80\x02c__builtin__\nbytearray\nJ\x00\x00\x00\x7f\x85R.", "bytearray is allowed only"),
    (b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x05\x00\x00\x00rot13\x86R.",
     "_codecs.encode is allowed only"),
    (b"\x80\x02(cos\nsystem\nX\x04\x00\x00\x00trueo.", "module os is blocked"),
    (b"\x80\x02X\x03\x00\x00\x00abcK\x05\x86Q.", "Only persistent_load of storage"),
])
def test_restricted_opcodes(pkl, match):
    with pytest.raises(pickle.UnpicklingError, match=match):
        mt.load(_zip(pkl, {}))


def test_malformed_pickles_are_runtime_errors():
    for pkl in (b"", b"\x80\x02", b"\x80\x02h\x05.", b"\x80\x02(((.", b"\x80\x02\xff.",
                b"\x80\x02c__builtin__\nset\n(K\x01K\x02tR."):
        with pytest.raises(RuntimeError, match="corrupt"):
            mt.load(_zip(pkl, {}))


def test_native_format_refuses_unknown_dtype_names(tmp_path):
    for dtype_name in ("__builtins__", "Tensor", "float", ["x"]):
        path = tmp_path / "n.pt"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("format", "minitorch_nn/v1")
            zf.writestr("structure.json", json.dumps({"dtype": dtype_name}))
        with pytest.raises(RuntimeError, match="corrupt|unknown dtype name"):
            mt.load(path)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("format", "minitorch_nn/v1")
        zf.writestr("structure.json", json.dumps({"dict": [[1]]}))
    with pytest.raises(RuntimeError, match="corrupt"):
        mt.load(path)


# --------------------------------------------------------- fuzzing, in a subprocess
FUZZ = textwrap.dedent(r"""
    import io, json, pickle, random, struct, sys, warnings
    from collections import OrderedDict
    import numpy as np
    import minitorch_nn as mt
    from minitorch_nn.serialization import load_safetensors, save_safetensors
    warnings.simplefilter("ignore")
    base = mt.arange(12.0).reshape(3, 4)
    sd = OrderedDict(w=base, row=base[1], t=base.t(), s=mt.tensor(2.0),
                     bf=mt.tensor([1.5], dtype=mt.bfloat16), b=mt.tensor([True]),
                     p=mt.nn.Parameter(mt.ones(2)), meta={"epoch": 3, "lr": 0.1, "n": None})
    buf = io.BytesIO()
    mt.save(sd, buf)
    good = buf.getvalue()
    rng = random.Random(0)
    allowed = (RuntimeError, pickle.UnpicklingError)
    bad = []

    def attempt(data, label):
        try:
            mt.load(io.BytesIO(data))
        except allowed:
            pass
        except Exception as err:
            bad.append(f"{label}: {type(err).__name__}: {err}")

    for cut in range(0, len(good), 7):
        attempt(good[:cut], f"truncated at {cut}")
    for i in range(600):
        data = bytearray(good)
        for _ in range(rng.choice((1, 1, 2, 8))):
            pos = rng.randrange(len(data))
            data[pos] ^= 1 << rng.randrange(8)
        attempt(bytes(data), f"flip {i}")
    # The pickle itself, mutated, inside an otherwise valid archive (no CRC to catch it).
    import zipfile
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        records = {n: zf.read(n) for n in zf.namelist()}
    pkl = records["archive/data.pkl"]
    for i in range(600):
        data = bytearray(pkl)
        for _ in range(rng.choice((1, 2, 4))):
            pos = rng.randrange(2, len(data))
            data[pos] = rng.randrange(256)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as zf:
            for n, v in records.items():
                zf.writestr(n, bytes(data) if n == "archive/data.pkl" else v)
        attempt(out.getvalue(), f"pickle mutation {i}")

    import tempfile, os
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "m.safetensors")
    save_safetensors({"a": mt.ones(3), "b": mt.arange(4)}, path)
    st = open(path, "rb").read()
    for i in range(400):
        data = bytearray(st)
        pos = rng.randrange(len(data))
        data[pos] = rng.randrange(256)
        open(path, "wb").write(bytes(data[: rng.choice((len(data), pos + 1))]))
        try:
            load_safetensors(path)
        except RuntimeError:
            pass
        except Exception as err:
            bad.append(f"safetensors {i}: {type(err).__name__}: {err}")
    print("\n".join(bad[:20]))
    print("FUZZ DONE", len(bad))
""")


def test_fuzzed_files_raise_clear_errors_in_a_subprocess():
    proc = subprocess.run([sys.executable, "-c", FUZZ], cwd=REPO, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]   # a segfault would show here
    assert "FUZZ DONE 0" in proc.stdout, proc.stdout[-3000:]


def test_truncated_and_non_zip_files(tmp_path):
    path = tmp_path / "m.pt"
    mt.save({"w": mt.arange(100.0)}, path)
    data = path.read_bytes()
    for cut in (0, 10, len(data) // 2, len(data) - 1):
        (tmp_path / "cut.pt").write_bytes(data[:cut])
        with pytest.raises(RuntimeError, match="checkpoint|corrupt"):
            mt.load(tmp_path / "cut.pt")


# ------------------------------------------------------------------------ safetensors
def _safetensors(tmp_path, header, body=b"\0" * 16, raw_header=None):
    text = raw_header if raw_header is not None else json.dumps(header).encode()
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text + body)
    return path


GOOD = {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}


@pytest.mark.parametrize("header,body,match", [
    ([1, 2], b"", "expected a JSON object"),
    ({"a": {"dtype": "F32", "shape": [4]}}, b"\0" * 16, "exactly 'dtype', 'shape'"),
    ({"a": {**GOOD, "extra": 1}}, b"\0" * 16, "exactly 'dtype', 'shape'"),
    ({"a": {**GOOD, "dtype": ["F32"]}}, b"\0" * 16, "unsupported dtype"),
    ({"a": {**GOOD, "dtype": "__class__"}}, b"\0" * 16, "unsupported dtype"),
    ({"a": {**GOOD, "shape": [-2, -2]}}, b"\0" * 16, "invalid shape"),
    ({"a": {**GOOD, "shape": [True, 4]}}, b"\0" * 16, "invalid shape"),
    ({"a": {**GOOD, "shape": "22"}}, b"\0" * 16, "invalid shape"),
    ({"a": {**GOOD, "data_offsets": [0]}}, b"\0" * 16, "invalid data_offsets"),
    ({"a": {**GOOD, "data_offsets": [-16, 0]}}, b"\0" * 16, "invalid data_offsets"),
    ({"a": {**GOOD, "data_offsets": [0, 12]}}, b"\0" * 16, "for 16 bytes"),
    ({"a": {**GOOD, "data_offsets": [16, 0]}}, b"\0" * 16, "for 16 bytes"),
    ({"a": {**GOOD, "data_offsets": [16, 32]}}, b"\0" * 16, "outside the file"),
    ({"a": GOOD, "b": {**GOOD, "data_offsets": [8, 24]}}, b"\0" * 24, "must not overlap"),
    ({"a": GOOD, "b": GOOD}, b"\0" * 16, "must not overlap"),
    ({"a": {**GOOD, "data_offsets": [4, 20]}}, b"\0" * 20, "starts at byte 4"),
    ({"a": GOOD}, b"\0" * 20, "4 bytes after the last tensor"),
    ({"a": GOOD, "__metadata__": {"k": 1}}, b"\0" * 16, "__metadata__ must be"),
    ({"a": GOOD, "__metadata__": [1]}, b"\0" * 16, "__metadata__ must be"),
])
def test_malformed_safetensors_headers(tmp_path, header, body, match):
    with pytest.raises(RuntimeError, match=match):
        load_safetensors(_safetensors(tmp_path, header, body))


def test_safetensors_raw_header_problems(tmp_path):
    for raw, match in ((b'{"a": 1, "a": 2}', "duplicate key 'a'"), (b"\xff\xfe{}", "corrupt"),
                       (b"{" * 100000 + b"}" * 100000, "corrupt header"),
                       (b'{"a": {"dtype": "F32"', "corrupt header")):
        with pytest.raises(RuntimeError, match=match):
            load_safetensors(_safetensors(tmp_path, None, b"", raw_header=raw))
    path = tmp_path / "huge.safetensors"
    path.write_bytes(struct.pack("<Q", 2**63) + b"{}")
    with pytest.raises(RuntimeError, match="invalid header length"):
        load_safetensors(path)


def test_safetensors_metadata_is_preserved(tmp_path):
    from minitorch_nn.serialization import load_safetensors_metadata
    save_safetensors({"w": mt.ones(2), "e": mt.zeros(0)}, tmp_path / "m.safetensors",
                     metadata={"format": "pt", "step": "10"})
    assert load_safetensors_metadata(tmp_path / "m.safetensors") == {"format": "pt",
                                                                     "step": "10"}
    assert list(load_safetensors(tmp_path / "m.safetensors")) == ["w", "e"]
    with pytest.raises(TypeError, match=r"metadata must be \{str: str\}"):
        save_safetensors({"w": mt.ones(2)}, tmp_path / "x.safetensors", metadata={"step": 10})


# ------------------------------------------------------------ file mode, temp files
def _with_umask(mask, fn):
    old = os.umask(mask)
    try:
        return fn()
    finally:
        os.umask(old)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("named_temp_file", [False, True])
def test_saved_files_get_the_umask_mode(tmp_path, monkeypatch, named_temp_file):
    if named_temp_file:   # the fallback without O_TMPFILE
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    path, st = tmp_path / "m.pt", tmp_path / "m.safetensors"
    _with_umask(0o027, lambda: mt.save({"w": mt.ones(1)}, path))
    _with_umask(0o002, lambda: save_safetensors({"w": mt.ones(1)}, st))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stat.S_IMODE(st.stat().st_mode) == 0o664
    os.chmod(path, 0o600)   # overwriting keeps the existing file's mode, as open() would
    mt.save({"w": mt.zeros(1)}, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert mt.load(path)["w"].tolist() == [0.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt", "m.safetensors"]


class Interrupts:
    def __reduce__(self):
        raise KeyboardInterrupt


@pytest.mark.parametrize("named_temp_file", [False, True])
def test_failed_saves_leave_no_temporary_files(tmp_path, monkeypatch, named_temp_file):
    if named_temp_file:
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    path = tmp_path / "ck.pt"
    mt.save({"w": mt.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(KeyboardInterrupt):
        mt.save({"w": mt.ones(3), "x": Interrupts()}, path)
    with pytest.raises(TypeError):
        mt.save({"x": (i for i in range(2))}, path)
    with pytest.raises(TypeError):
        save_safetensors({"x": 1}, tmp_path / "m.safetensors")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ck.pt"]


KILLED = textwrap.dedent(r"""
    import os, signal, sys
    import minitorch_nn as mt

    class Kill:
        def __reduce__(self):
            os.kill(os.getpid(), signal.SIGKILL)

    mt.save({"w": mt.ones(1000), "k": Kill()}, sys.argv[1])
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="O_TMPFILE is Linux-only")
def test_a_process_killed_while_saving_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "ck.pt"
    mt.save({"w": mt.ones(2)}, path)
    before = path.read_bytes()
    proc = subprocess.run([sys.executable, "-c", KILLED, str(path)], cwd=REPO,
                          capture_output=True, timeout=300)
    assert proc.returncode == -9
    assert [p.name for p in tmp_path.iterdir()] == ["ck.pt"]
    assert path.read_bytes() == before
