"""Merging: the size-level policy, commits that merge only within their
budget, and merges published while other writers go on."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from shorthands import article

from newsindex import Analyzer, Article, NewsIndex
from newsindex import _merging as merging
from newsindex._merging import (
    COMMIT_MERGE_ARTICLES,
    LEVEL_FLOOR,
    MERGE_FACTOR,
    level,
    merge_candidates,
)
from newsindex._postings import encode_postings, join_records


class FakeSegment:
    """What the policy reads of a segment."""

    def __init__(self, live: int, deleted: int = 0) -> None:
        self.live, self.deleted = live, deleted

    def doc_count(self) -> int:
        return self.live

    def doc_count_all(self) -> int:
        return self.live + self.deleted

    def deleted_count(self) -> int:
        return self.deleted


@pytest.mark.parametrize(
    ("live", "expected"),
    [
        (1, 0),
        (LEVEL_FLOOR * MERGE_FACTOR - 1, 0),
        (LEVEL_FLOOR * MERGE_FACTOR, 1),
        (LEVEL_FLOOR * MERGE_FACTOR**2 - 1, 1),
        (LEVEL_FLOOR * MERGE_FACTOR**2, 2),
        (1_500, 2),
        (200_000, 4),
    ],
)
def test_levels_grow_by_the_merge_factor(live: int, expected: int) -> None:
    assert level(FakeSegment(live)) == expected


def test_segments_merge_with_their_own_size_only() -> None:
    """Two bulk segments and a stream of one-article commits: the small ones
    merge among themselves; the bulk ones are left alone."""
    bulk = [FakeSegment(1_500), FakeSegment(1_500)]
    singles = [FakeSegment(1) for _ in range(MERGE_FACTOR - 1)]
    assert merge_candidates([*bulk, *singles]) == []
    one_more = FakeSegment(1)
    assert merge_candidates([*bulk, *singles, one_more]) == [*singles, one_more]


def test_budgets_split_the_work_between_commits_and_merge() -> None:
    big = [FakeSegment(COMMIT_MERGE_ARTICLES // 4) for _ in range(MERGE_FACTOR)]
    assert merge_candidates(big, most=COMMIT_MERGE_ARTICLES) == []
    assert merge_candidates(big, least=COMMIT_MERGE_ARTICLES) == big
    purged = FakeSegment(100, deleted=100)
    assert merge_candidates([purged], most=COMMIT_MERGE_ARTICLES) == [purged]
    assert merge_candidates([purged], least=COMMIT_MERGE_ARTICLES) == []


def _articles(prefix: str, count: int) -> list[Article]:
    return [
        Article(id=f"{prefix}{i}", title=f"Judul {prefix} {i}", body=f"berita {prefix}")
        for i in range(count)
    ]


@pytest.fixture
def index(tmp_path: Path) -> Any:
    opened = NewsIndex.create(tmp_path / "index", analyzer=Analyzer(stemmer="none"))
    yield opened
    opened.close()


def test_commits_leave_large_merges_to_merge(index: NewsIndex) -> None:
    size = COMMIT_MERGE_ARTICLES // MERGE_FACTOR + 50  # one level, over budget
    for n in range(MERGE_FACTOR):
        index.add_many(_articles(f"s{n}-", size))
    assert index.stats().segments == MERGE_FACTOR  # the commit left them
    summary = index.merge()
    assert (summary.merges, summary.segments) == (1, 1)
    assert summary.articles == MERGE_FACTOR * size
    assert index.count() == MERGE_FACTOR * size
    assert index.check().ok
    assert index.merge().merges == 0  # nothing left to do


def test_a_merge_keeps_what_commits_change_meanwhile(
    index: NewsIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deletions and replacements committed while a merge is being written
    are applied to the merged segment when it is published."""
    size = COMMIT_MERGE_ARTICLES // MERGE_FACTOR + 50
    for n in range(MERGE_FACTOR):
        index.add_many(_articles(f"s{n}-", size))
    other = NewsIndex.open(index.path)
    real = merging.merge_segments

    def meanwhile(*args: Any) -> Any:
        merged = real(*args)
        other.delete("s0-1")
        other.add(Article(id="s3-2", title="Diganti", body="berita baru"))
        other.add(Article(id="new", title="Baru", body="berita baru"))
        return merged

    monkeypatch.setattr(merging, "merge_segments", meanwhile)
    assert index.merge().merges == 1
    other.close()
    assert index.get("s0-1") is None
    replaced = index.get("s3-2")
    assert replaced is not None
    assert replaced.title == "Diganti"
    assert index.search('"berita baru"', limit=50).total == 2
    assert index.count() == MERGE_FACTOR * size
    assert index.check().ok


def test_a_merge_overtaken_by_an_optimize_is_dropped(
    index: NewsIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = COMMIT_MERGE_ARTICLES // MERGE_FACTOR + 50
    for n in range(MERGE_FACTOR):
        index.add_many(_articles(f"s{n}-", size))
    real = merging.merge_segments
    calls = []

    def overtaken(*args: Any) -> Any:
        merged = real(*args)
        calls.append(1)
        if len(calls) == 1:  # the first time only: a writer rewrites a source
            with index.writer() as writer:
                writer.commit(optimize=True)
        return merged

    monkeypatch.setattr(merging, "merge_segments", overtaken)
    summary = index.merge()
    assert summary.merges == 0  # the optimize did it; nothing was left
    assert index.stats().segments == 1
    assert index.count() == MERGE_FACTOR * size
    assert index.check().ok
    assert not [p for p in os.listdir(index.path) if p.startswith(".merging-")]


def test_one_merger_at_a_time_and_leftovers_removed(index: NewsIndex) -> None:
    index.add_many(_articles("a", 20))
    index.add(article("b"))
    leftover = index.path / ".merging-12345-dead"
    leftover.mkdir()
    (leftover / "MAIN_x.nxs").write_bytes(b"half")
    index.add(article("c"))  # writers leave a merger's folder alone
    assert leftover.exists()
    started, finish = threading.Event(), threading.Event()
    real = merging.merge_segments

    def slow(*args: Any) -> Any:
        started.set()
        finish.wait(10)
        return real(*args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(merging, "merge_segments", slow)
        worker = threading.Thread(target=index.optimize)
        worker.start()
        assert started.wait(10)
        assert not leftover.exists()  # removed by the merger, which holds the lock
        assert index.optimize().merges == 0  # another merger: returns at once
        finish.set()
        worker.join()
    assert index.stats().segments == 1
    assert index.count() == 22


def test_joined_records_equal_the_encoded_merge() -> None:
    def record(ids, tfs, positions, starts):  # type: ignore[no-untyped-def]
        arrays = (np.array(x, dtype=np.int64) for x in (ids, tfs, positions, starts))
        return encode_postings(*arrays)

    a = record([0, 3], [1, 2], [5, 1, 7], [10, 2, 20])
    b = record([1, 2], [2, 1], [0, 4, 9], [0, 9, 30])
    merged = record(
        [0, 3, 5, 6], [1, 2, 2, 1], [5, 1, 7, 0, 4, 9], [10, 2, 20, 0, 9, 30]
    )
    assert join_records([a, b], [0, 4]) == (merged, 4, 6, 0, 6)
    keys = encode_postings(np.array([2, 7]), None, None)
    assert join_records([keys, keys], [0, 10]) == (
        encode_postings(np.array([2, 7, 12, 17]), None, None),
        4,
        0,
        2,
        17,
    )
    # Records laid out differently are left to decoding and encoding.
    wide = record([0], [1], [70_000], [1])
    assert join_records([a, wide], [0, 4]) is None
