"""Tests of newsindex._writing: IndexWriter and the merge policy.

Adding, counting and getting articles, stored articles that come back whole,
upserts without duplicates (in one writer, across flushed segments and across
commits), deletes, parallel jobs, cancelling (explicitly or on an exception) and
the files it removes, a closed writer, one writer at a time, optimize, and
automatic merges that keep counts and every article findable.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from shorthands import article, ids

from newsindex import (
    Analyzer,
    Article,
    ArticleError,
    IndexLockedError,
    IndexWriter,
    NewsIndex,
    WriterClosedError,
    _segment_builder,
    _vocabulary,
)
from newsindex._parallel import BATCH_SIZE


@pytest.fixture
def plain_index(tmp_path: Path) -> NewsIndex:
    # No stemming: these tests are about bookkeeping, not language.
    return NewsIndex.create(tmp_path / "index", analyzer=Analyzer(stemmer="none"))


def numbered_article(i: int, version: int = 0) -> Article:
    return Article(
        id=f"a{i}",
        title=f"judul {i} versi{version}",
        body=f"isi berita nomor{i} versi{version} kata{i % 7}",
    )


def test_same_id_twice_in_one_writer_leaves_one_copy(plain_index: NewsIndex) -> None:
    with plain_index.writer() as writer:
        assert writer.add(numbered_article(1, 0)) is False
        assert writer.add(numbered_article(1, 1)) is True
        assert writer.add(numbered_article(1, 2)) is True
    assert plain_index.count() == 1
    assert plain_index.get("a1") == numbered_article(1, 2)
    assert plain_index.search("versi0").total == 0
    assert plain_index.search("versi2").total == 1


def test_updates_across_commits_and_flushes_never_duplicate(
    plain_index: NewsIndex,
) -> None:
    # A tiny flush threshold puts every few articles in a segment of its own,
    # so copies of one id sit in different unfinished segments.
    for round_ in range(3):
        writer = plain_index.writer()
        writer._flush_words = 20
        with writer:
            for i in range(30):
                writer.add(numbered_article(i % 10, round_ * 100 + i))
    assert plain_index.count() == 10
    for i in range(10):
        found = plain_index.search(f"nomor{i}")
        assert found.total == 1
        assert found.hits[0].id == f"a{i}"
        assert plain_index.get(f"a{i}") == numbered_article(i, 200 + 20 + i)


def test_parallel_jobs_build_the_same_index(tmp_path: Path) -> None:
    analyzer = Analyzer(stemmer="none")
    count = BATCH_SIZE * 2 + 50  # enough to start the worker processes
    articles = [numbered_article(i) for i in range(count)]
    # Ids repeated across batches: the later copy must win.
    articles += [numbered_article(i, 1) for i in range(0, count, 97)]
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


def test_workers_merge_what_they_flushed(tmp_path: Path) -> None:
    # Workers that flush every few articles end with one segment each; the
    # copies their batches replaced are still deleted in the merged ones.
    analyzer = Analyzer(stemmer="none")
    count = BATCH_SIZE * 4
    articles = [numbered_article(i) for i in range(count)]
    articles += [numbered_article(i, 1) for i in range(0, count, 37)]
    index = NewsIndex.create(tmp_path / "index", analyzer=analyzer)
    writer = index.writer(jobs=2)
    writer._flush_words = 300  # a few batches a segment
    with writer:
        writer.add_many(articles)
    assert index.stats().segments == 2
    assert index.count() == count
    for i in range(0, count, 37):
        assert index.get(f"a{i}") == numbered_article(i, 1)
        assert index.search(f"nomor{i}").total == 1


def test_a_segment_is_the_same_written_in_small_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_articles: list[Article]
) -> None:
    # A flush writes posting records a batch of tokens at a time, and counts
    # written words a block of articles at a time, to bound its memory; the
    # files must not depend on where the batches end.
    def build(name: str) -> dict[str, bytes]:
        index = NewsIndex.create(tmp_path / name)
        index.add_many(sample_articles)
        index.close()
        return {
            path.suffix: path.read_bytes() for path in (tmp_path / name).glob("MAIN_*")
        }

    whole = build("whole")
    monkeypatch.setattr(_segment_builder, "_BATCH_TOKENS", 7)
    monkeypatch.setattr(_vocabulary, "_BLOCK_ARTICLES", 3)
    batched = build("batched")
    assert len(whole) >= 7  # one segment: every file once
    assert batched == whole


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
    plain_index.add(numbered_article(1))
    before = sorted(p.name for p in plain_index.path.iterdir())
    writer = plain_index.writer()
    writer._flush_words = 5
    for i in range(20):
        writer.add(numbered_article(i))
    writer.cancel()
    assert sorted(p.name for p in plain_index.path.iterdir()) == before
    assert plain_index.count() == 1


def test_deletes_and_merges_keep_counts(plain_index: NewsIndex) -> None:
    for i in range(12):  # one segment per commit: the eighth triggers a merge
        plain_index.add(numbered_article(i))
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


# -- writing through NewsIndex -----------------------------------------------------


def test_add_count_get(empty_index: NewsIndex) -> None:
    summary = empty_index.add_many([article("a"), article("b")])
    assert (summary.added, summary.updated, summary.deleted) == (2, 0, 0)
    assert empty_index.count() == 2
    assert empty_index.get("a") == article("a")
    assert empty_index.get("c") is None
    assert "a" in empty_index
    assert "c" not in empty_index
    assert 5 not in empty_index


def test_stored_article_comes_back_whole(empty_index: NewsIndex) -> None:
    original = Article(
        id="a",
        title='Harga "naik" & <turun>',
        body="Badan\tdan kepala.\nBaris baru.",
        published=dt.datetime(
            2024, 9, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=7))
        ),
        source="Kabar Nusantara",
        category="Ekonomi",
        url="https://example.com/a",
        extra={"tags": ["bbm"], "nilai": 1.5},
    )
    empty_index.add(original)
    assert empty_index.get("a") == original


def test_upsert_in_one_writer_keeps_the_newest(empty_index: NewsIndex) -> None:
    with empty_index.writer() as writer:
        assert writer.add(article("a", "Versi pertama")) is False
        assert writer.add(article("b")) is False
        assert writer.add(article("a", "Versi kedua")) is True
        assert writer.add(article("a", "Versi ketiga")) is True
        summary = writer.commit()
    assert (summary.added, summary.updated) == (2, 2)
    assert empty_index.count() == 2
    assert empty_index.get("a").title == "Versi ketiga"
    assert ids(empty_index.search("versi")) == ["a"]
    assert empty_index.search("pertama").total == 0


def test_upsert_across_flushed_segments(empty_index: NewsIndex) -> None:
    # A tiny flush threshold puts every article in a segment of its own.
    with IndexWriter(
        empty_index._engine._directory, empty_index.analyzer, flush_words=1
    ) as writer:
        writer.add(article("a", "Versi pertama"))
        writer.add(article("b"))
        writer.add(article("a", "Versi kedua"))
    assert empty_index.count() == 2
    assert empty_index.get("a").title == "Versi kedua"
    assert empty_index.search("pertama").total == 0


def test_upsert_across_commits(empty_index: NewsIndex) -> None:
    empty_index.add(article("a", "Versi pertama"))
    assert empty_index.search("pertama").total == 1
    summary = empty_index.add(article("a", "Versi kedua"))
    assert (summary.added, summary.updated) == (0, 1)
    assert empty_index.count() == 1
    assert empty_index.get("a").title == "Versi kedua"
    assert empty_index.search("pertama").total == 0
    assert ids(empty_index.search("versi")) == ["a"]


def test_delete(empty_index: NewsIndex) -> None:
    empty_index.add_many(
        [article("a", "Banjir Bekasi"), article("b", "Banjir Semarang")]
    )
    assert empty_index.search("banjir").total == 2
    assert empty_index.delete("a") is True
    assert empty_index.delete("a") is False
    assert empty_index.delete("tidak-ada") is False
    assert empty_index.count() == 1
    assert empty_index.get("a") is None
    assert ids(empty_index.search("banjir")) == ["b"]
    stats = empty_index.stats()
    assert stats.articles == 1


def test_delete_in_the_same_writer(empty_index: NewsIndex) -> None:
    with empty_index.writer() as writer:
        writer.add(article("a"))
        writer.add(article("b"))
        assert writer.delete("a") is True
        assert writer.delete("a") is False
        summary = writer.commit()
    assert (summary.added, summary.deleted) == (2, 1)
    assert empty_index.count() == 1
    assert empty_index.get("a") is None


def test_writer_cancels_on_exception(empty_index: NewsIndex) -> None:
    empty_index.add(article("a", "Asli"))
    files = sorted(os.listdir(empty_index.path))
    writers: list[IndexWriter] = []

    def failing_batch() -> None:
        with empty_index.writer() as writer:
            writers.append(writer)
            writer.add(article("b"))
            writer.add(article("a", "Diganti"))
            writer.delete("a")
            raise RuntimeError("gagal")

    with pytest.raises(RuntimeError, match="gagal"):
        failing_batch()
    assert writers[0].closed
    assert empty_index.count() == 1
    assert empty_index.get("a").title == "Asli"
    assert empty_index.get("b") is None
    assert sorted(os.listdir(empty_index.path)) == files
    with empty_index.writer(timeout=0.5) as again:  # the lock was released
        again.add(article("c"))
    assert empty_index.count() == 2


def test_explicit_cancel(empty_index: NewsIndex) -> None:
    writer = empty_index.writer()
    writer.add(article("a"))
    writer.cancel()
    writer.cancel()  # harmless
    assert empty_index.count() == 0


@pytest.mark.parametrize("end", ["commit", "cancel"])
def test_writer_closed_after_commit_or_cancel(empty_index: NewsIndex, end: str) -> None:
    writer = empty_index.writer()
    writer.add(article("a"))
    getattr(writer, end)()
    assert writer.closed
    with pytest.raises(WriterClosedError):
        writer.add(article("b"))
    with pytest.raises(WriterClosedError):
        writer.delete("a")
    with pytest.raises(RuntimeError):  # it is a RuntimeError too
        writer.commit()


def test_writer_accepts_only_articles(empty_index: NewsIndex) -> None:
    with empty_index.writer() as writer, pytest.raises(ArticleError, match="Article"):
        writer.add({"id": "a"})  # type: ignore[arg-type]
    assert empty_index.count() == 0


def test_one_writer_at_a_time(empty_index: NewsIndex) -> None:
    with empty_index.writer():
        with pytest.raises(IndexLockedError, match="another writer"):
            empty_index.writer(timeout=0.05)
        with pytest.raises(TimeoutError):  # it is a TimeoutError too
            empty_index.add_many([article("a")], timeout=0.05)


def test_optimize_makes_one_segment(empty_index: NewsIndex) -> None:
    for name in ("banjir", "gempa", "longsor"):
        empty_index.add(article(name))
    assert empty_index.stats().segments == 3
    summary = empty_index.optimize()
    assert (summary.merges, summary.articles, summary.segments) == (1, 3, 1)
    assert empty_index.stats().segments == 1
    assert empty_index.count() == 3


TOPICS = (
    "banjir",
    "gempa",
    "longsor",
    "pemilu",
    "vaksin",
    "konser",
    "maraton",
    "inflasi",
)


def test_optimize_keeps_every_article_findable(empty_index: NewsIndex) -> None:
    for topic in TOPICS[:3]:
        empty_index.add(article(topic, f"Berita {topic} hari ini"))
    empty_index.optimize()
    assert [ids(empty_index.search(topic)) for topic in TOPICS[:3]] == [
        [topic] for topic in TOPICS[:3]
    ]


def test_automatic_merge_keeps_every_article_findable(empty_index: NewsIndex) -> None:
    # One commit per article: the eighth small segment triggers a merge.
    for topic in TOPICS:
        empty_index.add(article(topic, f"Berita {topic} hari ini"))
    assert empty_index.stats().segments < len(TOPICS)
    assert [empty_index.get(topic).id for topic in TOPICS] == list(TOPICS)
    assert [ids(empty_index.search(topic)) for topic in TOPICS] == [
        [topic] for topic in TOPICS
    ]
