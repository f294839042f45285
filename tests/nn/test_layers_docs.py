"""The runnable example of docs/layers.md must run and print what it says."""
from __future__ import annotations

import pathlib
import re

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "layers.md"


def test_layers_doc_example_runs(capsys):
    code = "\n".join(re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"),
                                flags=re.S))
    assert code.strip()
    exec(compile(code, str(DOC), "exec"), {"__name__": "__doc_example__"})
    assert "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))" in \
        capsys.readouterr().out
