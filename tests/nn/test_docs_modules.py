"""docs/modules.md: its code blocks run in order and print what their comments say."""
from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "modules.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def _expected_prints(code: str) -> list[str]:
    """The `# ...` comment after a print(...) line is what that line prints."""
    out = []
    for line in code.splitlines():
        m = re.match(r"\s*print\(.*\)\s+# (.*)$", line)
        if m:
            out.append(re.sub(r"\s+\(.*\)$", "", m.group(1)).strip())
    return out


def test_modules_doc_runs_and_prints_what_it_says(capsys):
    blocks = _blocks()
    assert len(blocks) >= 10
    namespace = {"__name__": "__doc_example__"}
    exec(compile("\n".join(blocks), str(DOC), "exec"), namespace)
    printed = capsys.readouterr().out
    expected = [e for b in blocks for e in _expected_prints(b)]
    assert len(expected) >= 20
    for text in expected:
        assert text in printed, f"docs/modules.md says {text!r}; printed:\n{printed}"


def test_modules_doc_keeps_the_sections_for_part_two():
    text = DOC.read_text(encoding="utf-8")
    for title in ("## 8. functional_call", "## 9. parametrize", "## 10. lazy modules"):
        assert title in text


def _printed(code: str) -> str:
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {"__name__": "__doc_example__"})
    return out.getvalue()


def test_modules_doc_prints_the_same_with_pytorch():
    import pytest
    pytest.importorskip("torch")
    code = "\n".join(_blocks())
    imports = "import minitorch_nn as torch\nfrom minitorch_nn import nn"
    assert imports in code
    assert _printed(code) == _printed(code.replace(imports, "import torch\nfrom torch import nn"))
