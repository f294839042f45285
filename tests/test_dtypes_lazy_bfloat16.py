"""ml_dtypes (over half a second to import) is imported when bfloat16 is first used, not by
`import minitorch_nn`; bfloat16 works the same whichever way it is first reached."""
from __future__ import annotations

import subprocess
import sys

import pytest

import minitorch_nn as mt


def _fresh(code: str) -> str:
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def test_import_does_not_import_ml_dtypes():
    out = _fresh("import sys, pickle, minitorch_nn as t\n"
                 "print('ml_dtypes' in sys.modules)\n"
                 "print(t.bfloat16, t.bfloat16.itemsize, t.bfloat16.is_floating_point,\n"
                 "      t.promote_types(t.bfloat16, t.float16), t.tensor([1.5]) * 2,\n"
                 "      pickle.loads(pickle.dumps(t.bfloat16)) is t.bfloat16)\n"
                 "print('ml_dtypes' in sys.modules)")
    assert out.splitlines() == [
        "False", "torch.bfloat16 2 True torch.float32 tensor([3.]) True", "False"]


def test_first_bfloat16_tensor_imports_it():
    out = _fresh("import sys, minitorch_nn as t\n"
                 "x = t.tensor([6.125, 1.0], dtype=t.bfloat16)\n"
                 "print('ml_dtypes' in sys.modules, x.dtype, x.element_size(), (x * 2).tolist())")
    assert out == "True torch.bfloat16 2 [12.25, 2.0]"


def test_an_ml_dtypes_array_made_first_is_recognised():
    """A bfloat16 numpy array the user made before minitorch_nn touched bfloat16."""
    out = _fresh("import ml_dtypes, numpy as np, minitorch_nn as t\n"
                 "a = np.array([1.5, -2.0], dtype=ml_dtypes.bfloat16)\n"
                 "print(t.from_numpy(a).dtype, t.as_tensor(a).dtype)")
    assert out == "torch.bfloat16 torch.bfloat16"
    out = _fresh("import ml_dtypes, minitorch_nn as t\n"
                 "from minitorch_nn.dtypes import to_dtype\n"
                 "print(to_dtype(ml_dtypes.bfloat16))")
    assert out == "torch.bfloat16"


def test_other_numpy_types_still_refused():
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.uint16"):
        mt.dtypes.from_numpy_dtype(__import__("numpy").uint16)


def test_missing_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="'dtype' object has no attribute 'nope'"):
        mt.bfloat16.nope
    assert not hasattr(mt.float32, "nope")


def test_bfloat16_matches_pytorch():
    torch = pytest.importorskip("torch")
    values = [6.125, 1.0 / 3.0, -2.5e-3, 300.7]
    ours = mt.tensor(values, dtype=mt.bfloat16)
    theirs = torch.tensor(values, dtype=torch.bfloat16)
    assert ours.float().tolist() == theirs.float().tolist()
    assert (ours * ours).float().tolist() == (theirs * theirs).float().tolist()
    assert str(ours.dtype) == str(theirs.dtype)
