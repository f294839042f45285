"""docs/amp.md: its python examples run and print what their comments say."""
from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _python_blocks() -> str:
    text = (ROOT / "docs" / "amp.md").read_text(encoding="utf-8")
    return "\n".join(re.findall(r"```python\n(.*?)```", text, flags=re.S))


def test_amp_doc_prints_what_its_comments_say(capsys):
    code = _python_blocks()
    assert code.count("print(") >= 8
    exec(compile(code, "docs/amp.md", "exec"), {"__name__": "__doc_example__"})
    printed = capsys.readouterr().out.splitlines()
    expected = [line.split("# ", 1)[1].split(":")[0].strip() for line in code.splitlines()
                if line.lstrip().startswith("print(") and "# " in line]
    assert printed == expected


def test_readme_links_the_amp_doc():
    assert "docs/amp.md" in (ROOT / "README.md").read_text(encoding="utf-8")
