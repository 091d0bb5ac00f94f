"""Indexes written by earlier releases open, check, search and take writes.

``fixtures/index-0.1.0`` was built by newsindex 0.1.0 (before the module
layout was renovated) from the first ten sample articles: two commits, so
two segments, one of them holding a deleted and a replaced article.
``fixtures/index-0.1.0.json`` holds that release's searches: their
arguments, and what they returned (``SearchResults.to_dict()`` without the
timing). Its table of contents
pickles class paths of that release, which the unpickler must still accept.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from newsindex import Article, NewsIndex, Ranking

FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: The ranking constants of 0.1.0 (the defaults have been tuned since): with
#: them, the same index must give the same results, scores included.
RANKING_0_1_0 = Ranking(title_weight=2.0, lead_with_title=True)
LEGACY = FIXTURES / "index-0.1.0"


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    """A copy of the 0.1.0 index that a test may write to."""
    copy = tmp_path / "index"
    shutil.copytree(LEGACY, copy)
    return copy


def _expected() -> dict[str, Any]:
    expected: dict[str, Any] = json.loads(
        (FIXTURES / "index-0.1.0.json").read_text(encoding="utf-8")
    )
    return expected


def _as_recorded(value: Any, recorded: Any) -> Any:
    """``value`` with only the keys the recording has (later releases add
    keys to the JSON; the recorded ones must not change)."""
    if isinstance(recorded, dict):
        return {k: _as_recorded(value[k], r) for k, r in recorded.items()}
    if isinstance(recorded, list) and len(recorded) == len(value):
        return [_as_recorded(v, r) for v, r in zip(value, recorded, strict=True)]
    return value


def test_the_legacy_index_checks_clean(legacy: Path) -> None:
    with NewsIndex.open(legacy) as index:
        report = index.check()
    assert report.ok, report.problems
    assert (report.segments, report.articles) == (2, 9)


def test_the_legacy_index_searches_as_it_did(legacy: Path) -> None:
    expected = _expected()
    with NewsIndex.open(legacy, ranking=RANKING_0_1_0) as index:
        assert index.count() == expected["count"]
        for recorded in expected["searches"]:
            results = index.search(**recorded["arguments"]).to_dict()
            assert _as_recorded(results, recorded["results"]) == recorded["results"]


def test_the_legacy_index_takes_writes(legacy: Path) -> None:
    article = Article(id="baru", title="Harga Garam Naik", body="Harga garam naik.")
    with NewsIndex.open(legacy) as index:
        index.add(article)
        assert index.get("baru") == article
        assert index.count() == _expected()["count"] + 1
        index.optimize()
        assert index.stats().segments == 1
        assert index.check().ok
