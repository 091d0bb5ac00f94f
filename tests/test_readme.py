"""The README's promises: its example runs, and CI runs its test command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import newsindex

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.DOTALL)


def test_readme_python_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    examples = [code for lang, code in BLOCKS if lang == "python"]
    assert examples, "the README shows the library in a python block"
    for code in examples:
        exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "<mark>Kenaikan</mark> <mark>harga</mark>" in out
    assert "&lt;resmi&gt;" in out


def test_readme_opens_with_the_two_commands() -> None:
    first, second = (code.strip() for lang, code in BLOCKS[:2])
    assert "pip install ." in first
    assert "newsindex index" in first
    assert "newsindex search" in first
    assert 'pip install -e ".[test]"' in second
    assert "pytest" in second


def test_ci_runs_the_readme_test_command() -> None:
    second = BLOCKS[1][1].strip()
    command = second[second.index("python -m pip") :]
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_public_names_are_sorted_and_exported() -> None:
    assert newsindex.__all__ == sorted(newsindex.__all__)
    for name in newsindex.__all__:
        assert hasattr(newsindex, name), name
