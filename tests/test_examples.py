"""The examples run: the quick start, and the web backend over HTTP."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from newsindex import Article, NewsIndex

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_quickstart_example_runs() -> None:
    script = Path(__file__).resolve().parents[1] / "examples" / "quickstart.py"
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=script.anchor,  # the script must not depend on the working directory
    )
    assert done.returncode == 0, done.stderr
    assert "the best 3:" in done.stdout
    assert "\n1. " in done.stdout
    assert "after the update: 40 articles" in done.stdout


def test_web_backend_example_serves_and_writes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sample_articles: list[Article],
) -> None:
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    path = tmp_path / "index"
    with NewsIndex.create(path) as index:
        index.add_many(sample_articles)
    monkeypatch.setenv("NEWSINDEX_INDEX", str(path))
    spec = importlib.util.spec_from_file_location(
        "web_backend", EXAMPLES / "web_backend.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with TestClient(module.app) as client:
        newest = client.get("/latest", params={"q": "harga"})
        assert newest.status_code == 200
        assert 0 < len(newest.json()) <= 5
        article = {
            "id": "contoh-1",
            "title": "Harga garam naik",
            "body": "Harga garam naik.",
        }
        assert client.post("/articles", json=article).status_code == 201
        assert client.post("/articles", json={"title": "tanpa id"}).status_code == 400
        found = client.get("/cari/api/articles/contoh-1")
        assert found.status_code == 200
        assert found.json()["title"] == "Harga garam naik"
        page = client.get("/cari/", params={"q": "garam"})
        assert "<mark>garam</mark>" in page.text.lower()
