"""docs/python.md runs: its code blocks are executed in order, in one namespace, in a scratch
folder that sees the repository's experiments (so the page cannot drift from the API)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)


def test_python_page_has_examples() -> None:
    assert len(blocks(ROOT / "docs" / "python.md")) >= 4


def test_python_page_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "experiments").symlink_to(ROOT / "experiments")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for k, code in enumerate(blocks(ROOT / "docs" / "python.md")):
        exec(compile(code, f"docs/python.md block {k + 1}", "exec"), namespace)  # noqa: S102
    printed = capsys.readouterr().out
    assert "article-uncertain 2000 36" in printed
    assert "P(self-hosting cheaper than Gemini Flash)" in printed
    assert (tmp_path / "reports" / "article-uncertain" / "report.md").is_file()
