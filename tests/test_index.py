"""Tests of newsindex._index, the NewsIndex facade.

Creating, opening and closing an index (including ``open_or_create`` and an
analyzer that does not match), its stats, searches that see new commits and
deletes without reopening, snapshots that are closed when replaced, threads that
search while another commits. The writer is tested in ``test_writing.py``,
searching in ``test_searching.py`` and the order of hits in
``test_ranking.py``.
"""

from __future__ import annotations

import gc
import json
import threading
import warnings
from pathlib import Path

import pytest
from shorthands import article, ids

from newsindex import (
    Analyzer,
    AnalyzerMismatchError,
    Article,
    IndexExistsError,
    IndexNotFoundError,
    NewsIndex,
    NewsIndexError,
    SearchResults,
)

# -- creating and opening --------------------------------------------------------


def test_create_and_open(tmp_path: Path, analyzer: Analyzer) -> None:
    path = tmp_path / "new" / "index"  # parents are made
    with NewsIndex.create(path, analyzer=analyzer) as index:
        assert index.count() == 0
        assert index.path == path
        assert index.analyzer is analyzer
        assert repr(index) == f"NewsIndex({str(path)!r})"
        index.add(article("a"))
    with NewsIndex.open(path) as reopened:  # the recorded analyzer
        assert reopened.analyzer == analyzer
        assert reopened.count() == 1
        assert reopened.get("a") == article("a")
    with NewsIndex.open(str(path), analyzer=Analyzer()) as reopened:
        assert reopened.count() == 1


def test_create_in_an_existing_empty_directory(
    tmp_path: Path, analyzer: Analyzer
) -> None:
    with NewsIndex.create(tmp_path, analyzer=analyzer) as index:
        assert index.count() == 0


@pytest.mark.parametrize(
    "other",
    [
        {"stemmer": "tala"},
        {"stemmer": "none"},
        {"extra_stopwords": ["harga"]},
        {"extra_protected_words": ["relawan"]},
    ],
)
def test_open_with_another_analyzer(
    tmp_path: Path, analyzer: Analyzer, other: dict
) -> None:
    NewsIndex.create(tmp_path / "index", analyzer=analyzer).close()
    with pytest.raises(AnalyzerMismatchError, match="built with analyzer"):
        NewsIndex.open(tmp_path / "index", analyzer=Analyzer(**other))
    with pytest.raises(ValueError, match="re-index"):  # a ValueError too
        NewsIndex.open(tmp_path / "index", analyzer=Analyzer(**other))


def test_create_over_an_index(tmp_path: Path, analyzer: Analyzer) -> None:
    NewsIndex.create(tmp_path / "index", analyzer=analyzer).close()
    with pytest.raises(IndexExistsError, match="already holds an index"):
        NewsIndex.create(tmp_path / "index", analyzer=analyzer)
    with pytest.raises(FileExistsError):
        NewsIndex.create(tmp_path / "index", analyzer=analyzer)


def test_create_over_other_files(tmp_path: Path, analyzer: Analyzer) -> None:
    (tmp_path / "notes.txt").write_text("bukan indeks")
    with pytest.raises(IndexExistsError, match="already holds files"):
        NewsIndex.create(tmp_path, analyzer=analyzer)
    with pytest.raises(IndexExistsError, match="not a directory"):
        NewsIndex.create(tmp_path / "notes.txt", analyzer=analyzer)


@pytest.mark.parametrize("make", ["missing", "empty directory", "file"])
def test_open_where_there_is_no_index(tmp_path: Path, make: str) -> None:
    path = tmp_path / "index"
    if make == "empty directory":
        path.mkdir()
    elif make == "file":
        path.write_text("x")
    with pytest.raises(IndexNotFoundError, match="no newsindex index"):
        NewsIndex.open(path)
    with pytest.raises(FileNotFoundError):
        NewsIndex.open(path)


def test_open_or_create(tmp_path: Path, analyzer: Analyzer) -> None:
    with NewsIndex.open_or_create(tmp_path / "index", analyzer=analyzer) as index:
        index.add(article("a"))
    with NewsIndex.open_or_create(tmp_path / "index", analyzer=analyzer) as index:
        assert index.count() == 1


def test_closed_index_refuses_to_search(tmp_path: Path, analyzer: Analyzer) -> None:
    index = NewsIndex.create(tmp_path / "index", analyzer=analyzer)
    index.close()
    with pytest.raises(NewsIndexError, match="closed"):
        index.search("harga")


# -- stats -------------------------------------------------------------------------


def test_stats(tmp_path: Path, analyzer: Analyzer) -> None:
    with NewsIndex.create(tmp_path / "index", analyzer=analyzer) as index:
        for i in range(3):
            index.add(
                article(
                    f"a{i}", source="Kabar Nusantara", published=f"2024-0{i + 1}-15"
                )
            )
        index.add(article("b", source=" warta  HARIAN"))
        stats = index.stats()
        assert stats.articles == index.count() == 4
        assert stats.segments == 4
        assert stats.deleted == 0
        # As written (the most common form of each), counted case-blind.
        assert stats.sources == (("Kabar Nusantara", 3), ("warta HARIAN", 1))
        assert (stats.earliest, stats.latest) == ("2024-01-15", "2024-03-15")
        assert stats.analyzer == analyzer.fingerprint()
        assert stats.size_bytes > 0
        assert json.loads(json.dumps(stats.to_dict()))["sources"] == {
            "Kabar Nusantara": 3,
            "warta HARIAN": 1,
        }


# -- freshness and threads ------------------------------------------------------------


def test_searches_see_new_commits_without_reopening(empty_index: NewsIndex) -> None:
    empty_index.add(article("a", "Banjir Bekasi"))
    assert empty_index.search("banjir").total == 1
    empty_index.add(article("b", "Banjir Semarang"))
    assert empty_index.search("banjir").total == 2
    # Another NewsIndex on the same directory (another process, say) too.
    with NewsIndex.open(empty_index.path, analyzer=empty_index.analyzer) as other:
        assert other.search("banjir").total == 2
        empty_index.add(article("c", "Banjir Medan"))
        assert other.search("banjir").total == 3
        assert other.count() == 3


def test_searches_see_deletes_from_another_index_object(empty_index: NewsIndex) -> None:
    empty_index.add_many(
        [article("a", "Banjir Bekasi"), article("b", "Banjir Semarang")]
    )
    with NewsIndex.open(empty_index.path, analyzer=empty_index.analyzer) as other:
        assert other.search("banjir").total == 2
        empty_index.delete("a")
        assert ids(other.search("banjir")) == ["b"]


def test_replaced_snapshots_are_closed(empty_index: NewsIndex) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        empty_index.add(article("a", "Versi pertama"))
        empty_index.search("versi")
        empty_index.add(article("a", "Versi kedua"))  # changes a segment
        empty_index.search("versi")  # loads a new snapshot
        gc.collect()
    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []


QUERIES = [
    ("naik", {}),
    ("kenaikan harga", {}),
    ('"harga beras"', {}),
    ("banjir OR longsor", {}),
    ("harga -beras", {"sources": ["Warta Harian", "Kabar Nusantara"]}),
    ("anak-anak", {"since": "2024-06-01"}),
    ("harga", {"sort": "newest"}),
    ("naik", {"categories": "Ekonomi", "sort": "newest"}),
]


def _fingerprint(results: SearchResults) -> tuple:
    """What must not change while unrelated articles are committed.

    Scores (and so the order of relevance ranking) legitimately move with
    the collection's size and average lengths; the set of hits, their
    snippets and the order by date do not.
    """
    hits = sorted((h.id, h.snippet, h.title_snippet) for h in results)
    order = ids(results) if results.sort == "newest" else None
    return (results.total, tuple(hits), order)


@pytest.mark.parametrize(
    "commits",
    [
        # The sample is one segment; six more stay below the merge threshold.
        6,
        12,
    ],
)
def test_threads_search_while_another_commits(
    tmp_path: Path, analyzer: Analyzer, sample_articles: list[Article], commits: int
) -> None:
    index = NewsIndex.create(tmp_path / "index", analyzer=analyzer)
    index.add_many(sample_articles)
    baseline = [_fingerprint(index.search(q, limit=50, **kw)) for q, kw in QUERIES]
    # Errors as text: a kept exception would keep its frames (and the segment
    # readers they hold) alive past the end of the test.
    errors: list[str] = []
    mismatches: list[tuple[int, str]] = []
    searching = threading.Event()
    start = threading.Barrier(9)

    def search(worker: int) -> None:
        try:
            start.wait()
            for i in range(50):
                k = (worker + i) % len(QUERIES)
                query, kw = QUERIES[k]
                if _fingerprint(index.search(query, limit=50, **kw)) != baseline[k]:
                    mismatches.append((worker, query))
                searching.set()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    def commit() -> None:
        try:
            start.wait()
            searching.wait(timeout=10)
            for batch in range(commits):
                # Unrelated articles (none of the queries' words); the first
                # of each batch replaces the last of the batch before.
                index.add_many(
                    article(f"kucing-{batch * 2 + j}", f"Kucing peliharaan {batch}")
                    for j in range(3)
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=search, args=(w,)) for w in range(8)]
    threads.append(threading.Thread(target=commit))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not errors
        assert not mismatches
        assert index.count() == len(sample_articles) + 2 * commits + 1
        final = [_fingerprint(index.search(q, limit=50, **kw)) for q, kw in QUERIES]
        assert final == baseline
    finally:
        index.close()
