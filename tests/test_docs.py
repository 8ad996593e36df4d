"""Every ``python`` code block in the README and docs runs, in order, per page.

When a block prints and the next block is a ``text`` block, the printed output
must equal it: the docs show what the code really prints.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.DOTALL | re.MULTILINE)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_code_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's python blocks execute, sharing one namespace, and print what the page shows."""
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    blocks = FENCE.findall(page.read_text(encoding="utf-8"))
    for n, (lang, body) in enumerate(blocks):
        if lang != "python":
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(body, f"{page.name}[block {n}]", "exec"), namespace)  # noqa: S102 - our own docs
        printed = out.getvalue()
        if printed and n + 1 < len(blocks) and blocks[n + 1][0] == "text":
            assert printed.strip() == blocks[n + 1][1].strip(), f"{page.name} block {n}"
