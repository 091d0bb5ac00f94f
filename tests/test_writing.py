"""IndexWriter: upserts without duplicates, parallel jobs, cancel, merges."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsindex import Analyzer, Article, NewsIndex
from newsindex._parallel import BATCH_SIZE


@pytest.fixture
def plain_index(tmp_path: Path) -> NewsIndex:
    # No stemming: these tests are about bookkeeping, not language.
    return NewsIndex.create(tmp_path / "index", analyzer=Analyzer(stemmer="none"))


def article(i: int, version: int = 0) -> Article:
    return Article(
        id=f"a{i}",
        title=f"judul {i} versi{version}",
        body=f"isi berita nomor{i} versi{version} kata{i % 7}",
    )


def test_same_id_twice_in_one_writer_leaves_one_copy(plain_index: NewsIndex) -> None:
    with plain_index.writer() as writer:
        assert writer.add(article(1, 0)) is False
        assert writer.add(article(1, 1)) is True
        assert writer.add(article(1, 2)) is True
    assert plain_index.count() == 1
    assert plain_index.get("a1") == article(1, 2)
    assert plain_index.search("versi0").total == 0
    assert plain_index.search("versi2").total == 1


def test_updates_across_commits_and_flushes_never_duplicate(
    plain_index: NewsIndex,
) -> None:
    # A tiny flush threshold puts every few articles in a segment of its own,
    # so copies of one id sit in different unfinished segments.
    for round_ in range(3):
        writer = plain_index.writer()
        writer._flush_tokens = 20
        with writer:
            for i in range(30):
                writer.add(article(i % 10, round_ * 100 + i))
    assert plain_index.count() == 10
    for i in range(10):
        found = plain_index.search(f"nomor{i}")
        assert found.total == 1
        assert found.hits[0].id == f"a{i}"
        assert plain_index.get(f"a{i}") == article(i, 200 + 20 + i)


def test_parallel_jobs_build_the_same_index(tmp_path: Path) -> None:
    analyzer = Analyzer(stemmer="none")
    count = BATCH_SIZE * 2 + 50  # enough to start the worker processes
    articles = [article(i) for i in range(count)]
    # Ids repeated across batches: the later copy must win.
    articles += [article(i, 1) for i in range(0, count, 97)]
    serial = NewsIndex.create(tmp_path / "serial", analyzer=analyzer)
    serial.add_many(articles)
    parallel = NewsIndex.create(tmp_path / "parallel", analyzer=analyzer)
    summary = parallel.add_many(articles, jobs=2)
    assert summary.added == count
    assert summary.updated == len(range(0, count, 97))
    assert parallel.count() == serial.count() == count
    for query in ("versi1", "nomor5", "kata3", "judul"):
        # Same scores; ties may come in another order (segments differ).
        got, want = (
            sorted((round(h.score, 9), h.id) for h in index.search(query, limit=1000))
            for index in (parallel, serial)
        )
        assert got == want


def test_jobs_must_be_positive(plain_index: NewsIndex) -> None:
    with pytest.raises(ValueError, match="jobs"):
        plain_index.writer(jobs=0)


def test_failed_add_leaves_the_batch_unchanged(plain_index: NewsIndex) -> None:
    class Broken:
        name = "broken"

        def stem(self, word: str) -> str:
            if word == "meledak":
                raise RuntimeError("stemmer failed")
            return word

    index = NewsIndex.create(
        plain_index.path.parent / "broken", analyzer=Analyzer(stemmer=Broken())
    )
    with index.writer() as writer:
        writer.add(Article(id="a", body="pertama"))
        with pytest.raises(RuntimeError):
            writer.add(Article(id="a", body="meledak"))
        writer.add(Article(id="c", body="ketiga"))
    assert index.count() == 2
    assert index.get("a") == Article(id="a", body="pertama")


def test_cancel_removes_the_writers_files(plain_index: NewsIndex) -> None:
    plain_index.add(article(1))
    before = sorted(p.name for p in plain_index.path.iterdir())
    writer = plain_index.writer()
    writer._flush_tokens = 5
    for i in range(20):
        writer.add(article(i))
    writer.cancel()
    assert sorted(p.name for p in plain_index.path.iterdir()) == before
    assert plain_index.count() == 1


def test_deletes_and_merges_keep_counts(plain_index: NewsIndex) -> None:
    for i in range(12):  # one segment per commit: the eighth triggers a merge
        plain_index.add(article(i))
    assert plain_index.count() == 12
    assert plain_index.stats().segments < 12
    for i in range(0, 12, 2):
        assert plain_index.delete(f"a{i}")
    assert not plain_index.delete("a0")
    assert plain_index.count() == 6
    plain_index.optimize()
    stats = plain_index.stats()
    assert (stats.segments, stats.deleted, stats.articles) == (1, 0, 6)
    assert sorted(h.id for h in plain_index.search("judul", limit=20)) == sorted(
        f"a{i}" for i in range(1, 12, 2)
    )
