"""Tests of newsindex._index (NewsIndex), with its writer and searches."""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from hypothesis import given, settings
from strategies import query_texts

from newsindex import (
    Analyzer,
    AnalyzerMismatchError,
    Article,
    IndexExistsError,
    IndexLockedError,
    IndexNotFoundError,
    IndexWriter,
    NewsIndex,
    NewsIndexError,
    QueryError,
    SearchResults,
    WriterClosedError,
)


def ids(results: Iterable) -> list[str]:
    return [hit.id for hit in results]


def article(
    article_id: str, text: str = "Kucing peliharaan warga", **fields
) -> Article:
    return Article(id=article_id, title=text, body=text, **fields)


def with_term(articles: list[Article], analyzer: Analyzer, term: str) -> set[str]:
    """Ids of the articles whose title or body holds ``term`` (the oracle)."""
    return {
        a.id
        for a in articles
        if term in analyzer.terms(a.title) or term in analyzer.terms(a.body)
    }


def with_phrase(
    articles: list[Article], analyzer: Analyzer, phrase: tuple[str, ...]
) -> set[str]:
    found = set()
    n = len(phrase)
    for a in articles:
        for field in (a.title, a.body):
            terms = analyzer.terms(field)
            if any(tuple(terms[i : i + n]) == phrase for i in range(len(terms))):
                found.add(a.id)
    return found


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


# -- writing -----------------------------------------------------------------------


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
    with IndexWriter(empty_index, flush_tokens=1) as writer:
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
    with empty_index.writer() as writer, pytest.raises(TypeError, match="Article"):
        writer.add({"id": "a"})  # type: ignore[arg-type]
    assert empty_index.count() == 0


def test_one_writer_at_a_time(empty_index: NewsIndex) -> None:
    with empty_index.writer():
        with pytest.raises(IndexLockedError, match="another writer"):
            empty_index.writer(timeout=0.05)
        with pytest.raises(TimeoutError):  # it is a TimeoutError too
            empty_index.add_many([article("a")], timeout=0.05)


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
        assert stats.sources == (("kabar nusantara", 3), ("warta harian", 1))
        assert (stats.earliest, stats.latest) == ("2024-01-15", "2024-03-15")
        assert stats.analyzer == analyzer.fingerprint()
        assert stats.size_bytes > 0
        assert json.loads(json.dumps(stats.to_dict()))["sources"] == {
            "kabar nusantara": 3,
            "warta harian": 1,
        }


def test_optimize_makes_one_segment(empty_index: NewsIndex) -> None:
    for name in ("banjir", "gempa", "longsor"):
        empty_index.add(article(name))
    assert empty_index.stats().segments == 3
    summary = empty_index.optimize()
    assert summary.added == summary.updated == summary.deleted == 0
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


# -- searching the sample ----------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["naik", "kenaikan", "menaikkan", "dinaikkan", "NAIK"]
)
def test_morphology(
    sample_index: NewsIndex,
    sample_articles: list[Article],
    analyzer: Analyzer,
    query: str,
) -> None:
    results = sample_index.search(query, limit=100)
    expected = with_term(sample_articles, analyzer, "naik")
    assert set(ids(results)) == expected
    assert results.total == len(expected)
    # Articles that say only "kenaikan", or only "dinaikkan", are found too.
    assert "pol-kenaikan-ppn" in ids(results)
    assert "eko-elpiji-tetap" in ids(results)


def test_reduplication_and_base_find_the_same(sample_index: NewsIndex) -> None:
    assert ids(sample_index.search("anak", limit=50)) == ids(
        sample_index.search("anak-anak", limit=50)
    )
    assert "kes-dbd-anak" in ids(sample_index.search("anak-anak"))


def test_protected_place_name_is_not_its_mangled_stem(sample_index: NewsIndex) -> None:
    bekasi = set(ids(sample_index.search("Bekasi")))
    assert bekasi == {"daerah-banjir-bekasi", "daerah-sampah-bekasi", "kes-rsud-bekasi"}
    assert "kes-dbd-anak" not in bekasi  # says "barang bekas"
    assert ids(sample_index.search("bekas")) == ["kes-dbd-anak"]


@pytest.mark.parametrize(
    ("query", "phrase"),
    [('"harga beras"', ("harga", "beras")), ('"kenaikan harga"', ("naik", "harga"))],
)
def test_quoted_phrase(
    sample_index: NewsIndex,
    sample_articles: list[Article],
    analyzer: Analyzer,
    query: str,
    phrase: tuple[str, ...],
) -> None:
    results = sample_index.search(query, limit=100)
    expected = with_phrase(sample_articles, analyzer, phrase)
    assert expected
    assert set(ids(results)) == expected
    assert results.total == len(expected)


def test_exclusion(sample_index: NewsIndex) -> None:
    assert set(ids(sample_index.search("banjir"))) == {
        "daerah-banjir-bekasi",
        "daerah-banjir-semarang",
    }
    assert ids(sample_index.search("banjir -Semarang")) == ["daerah-banjir-bekasi"]
    assert ids(sample_index.search("banjir NOT semarang")) == ["daerah-banjir-bekasi"]
    assert sample_index.search('banjir -"kota semarang"').total == 1


def test_or(sample_index: NewsIndex) -> None:
    both = set(ids(sample_index.search("banjir OR longsor")))
    assert both == set(ids(sample_index.search("banjir"))) | set(
        ids(sample_index.search("longsor"))
    )
    assert len(both) == 3


def test_hits_are_ranked_by_score(sample_index: NewsIndex) -> None:
    results = sample_index.search("harga beras", limit=10)
    assert [hit.rank for hit in results] == list(range(1, 11))
    scores = [hit.score for hit in results]
    assert scores == sorted(scores, reverse=True)
    assert all(score > 0 for score in scores)


def test_articles_with_all_the_words_rank_first(empty_index: NewsIndex) -> None:
    filler = "pedagang sayur ramai sekali " * 10
    empty_index.add_many(
        [
            Article(id="beras-saja", title="Beras", body="beras beras beras premium"),
            Article(
                id="keduanya", title="Pasar pagi", body=f"harga beras di pasar {filler}"
            ),
            *(Article(id=f"harga-{i}", body="harga cabai") for i in range(5)),
        ]
    )
    assert ids(empty_index.search("harga beras"))[0] == "keduanya"


@pytest.mark.parametrize(
    ("filters", "check"),
    [
        ({"since": "2025-01-01"}, lambda a: a.published >= dt.date(2025, 1, 1)),
        ({"until": "2024-06-30"}, lambda a: a.published <= dt.date(2024, 6, 30)),
        (
            {"since": dt.date(2024, 9, 1), "until": dt.date(2024, 9, 1)},
            lambda a: a.published == dt.date(2024, 9, 1),
        ),
        (
            {"since": "2024-09-01T00:00:00Z", "until": "2024-09-15"},
            lambda a: dt.date(2024, 9, 1) <= a.published <= dt.date(2024, 9, 15),
        ),
        ({"sources": "KABAR  NUSANTARA "}, lambda a: a.source == "Kabar Nusantara"),
        (
            {"sources": ["warta harian", "Suara Pesisir"]},
            lambda a: a.source in ("Warta Harian", "Suara Pesisir"),
        ),
        ({"categories": "daerah"}, lambda a: a.category == "Daerah"),
        (
            {"categories": ["Daerah", "ekonomi"], "since": "2025-01-01"},
            lambda a: (
                a.category in ("Daerah", "Ekonomi")
                and a.published >= dt.date(2025, 1, 1)
            ),
        ),
        ({"sources": "Tidak Ada"}, lambda a: False),
    ],
)
def test_filters(
    sample_index: NewsIndex,
    sample_articles: list[Article],
    analyzer: Analyzer,
    filters: dict,
    check: Callable[[Article], bool],
) -> None:
    results = sample_index.search("harga", limit=100, **filters)
    expected = {a.id for a in sample_articles if check(a)} & with_term(
        sample_articles, analyzer, "harga"
    )
    assert set(ids(results)) == expected
    assert results.total == len(expected)


def test_sort_newest(sample_index: NewsIndex) -> None:
    results = sample_index.search("naik", sort="newest", limit=100)
    dates = [hit.published for hit in results]
    assert dates == sorted(dates, reverse=True)
    assert set(ids(results)) == set(ids(sample_index.search("naik", limit=100)))
    assert results.sort == "newest"


def test_pages_are_disjoint_and_consecutive(sample_index: NewsIndex) -> None:
    everything = sample_index.search("naik", limit=100)
    assert everything.total > 10
    pages = [sample_index.search("naik", limit=4, page=p) for p in range(1, 7)]
    seen = [hit.id for page in pages for hit in page]
    assert seen == ids(everything)
    assert len(set(seen)) == len(seen)
    assert [hit.rank for page in pages for hit in page] == list(range(1, len(seen) + 1))
    assert all(page.total == everything.total for page in pages)
    by_offset = sample_index.search("naik", limit=4, offset=4)
    assert ids(by_offset) == ids(pages[1])
    assert by_offset.offset == pages[1].offset == 4
    assert len(sample_index.search("naik", limit=4, offset=100)) == 0


@pytest.mark.parametrize(
    "arguments",
    [
        {"limit": 0},
        {"limit": 1001},
        {"limit": True},
        {"limit": 2.5},
        {"limit": "10"},
        {"page": 0},
        {"page": -1},
        {"page": True},
        {"offset": -1},
        {"offset": 1.0},
        {"page": 2, "offset": 10},
        {"offset": 9_995, "limit": 10},
        {"sort": "oldest"},
        {"sort": "Newest"},
        {"since": "kemarin"},
        {"until": 2024},
        {"since": "2025-01-01", "until": "2024-01-01"},
        {"sources": [5]},
        {"categories": [None]},
    ],
)
def test_bad_arguments(sample_index: NewsIndex, arguments: dict) -> None:
    with pytest.raises(QueryError):
        sample_index.search("harga", **arguments)


@pytest.mark.parametrize("query", [None, 5, b"harga", ["harga"]])
def test_query_must_be_text(sample_index: NewsIndex, query: object) -> None:
    with pytest.raises(QueryError, match="string"):
        sample_index.search(query)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("", "empty"),
        ("yang dan", "no searchable words"),
        ("-banjir", "only excludes"),
        ("zzzqqq", "no article matches"),
    ],
)
def test_queries_that_match_nothing_say_why(
    sample_index: NewsIndex, query: str, note: str
) -> None:
    results = sample_index.search(query)
    assert results.total == 0
    assert len(results) == 0
    assert any(note in n for n in results.notes)


def test_hits_carry_highlighted_snippets(sample_index: NewsIndex) -> None:
    results = sample_index.search("kenaikan harga", limit=5)
    for hit in results:
        marked = {hit.snippet.text[s:e].lower() for s, e in hit.snippet.highlights}
        assert marked
        assert marked <= {
            "harga",
            "naik",
            "kenaikan",
            "menaikkan",
            "dinaikkan",
            "naikkan",
        }
        assert hit.snippet.plain()
    record = json.loads(json.dumps(results.to_dict()))
    assert record["total"] == results.total
    assert [h["id"] for h in record["hits"]] == ids(results)
    assert "<mark>" in record["hits"][0]["snippet"]


def test_titles_are_escaped_in_results(sample_index: NewsIndex) -> None:
    (hit,) = sample_index.search('"target inflasi"')
    assert hit.id == "eko-target-inflasi-ekonom"
    title_html = hit.to_dict()["title_html"]
    assert "&quot;&lt;5%&quot; &amp;" in title_html
    assert "<mark>Target</mark> <mark>Inflasi</mark>" in title_html


def test_snippets_off(sample_index: NewsIndex) -> None:
    hit = sample_index.search("banjir", snippets=False).hits[0]
    assert hit.snippet.highlights == ()
    assert hit.title_snippet.highlights == ()


@settings(max_examples=60)
@given(query_texts())
def test_no_query_text_makes_search_raise(sample_index: NewsIndex, query: str) -> None:
    results = sample_index.search(query, limit=5)
    assert isinstance(results, SearchResults)
    assert results.total >= len(results)


# -- sort and paging edge cases ------------------------------------------------------


def test_undated_articles_sort_last(empty_index: NewsIndex) -> None:
    empty_index.add_many(
        [
            article("undated", "Harga naik"),
            article("dated", "Harga naik", published="2024-05-01"),
        ]
    )
    assert ids(empty_index.search("harga", sort="newest")) == ["dated", "undated"]


def test_deep_pages_with_tied_scores_are_disjoint(tmp_path: Path) -> None:
    with NewsIndex.create(
        tmp_path / "index", analyzer=Analyzer(stemmer="none")
    ) as index:
        # Four distinct scores over 240 articles: large groups of ties.
        index.add_many(
            Article(
                id=f"a{i:03d}",
                body=" ".join(["banjir"] * (1 + i % 4) + ["kota"] * (4 - i % 4)),
            )
            for i in range(240)
        )
        everything = ids(index.search("banjir", limit=240))
        paged = [
            hit_id
            for page in range(1, 25)
            for hit_id in ids(index.search("banjir", limit=10, page=page))
        ]
        assert len(set(paged)) == 240
        assert paged == everything


def test_extras_survive_the_index(empty_index: NewsIndex) -> None:
    stored = Article(id="a", published="2024-01-01", extra={"tanggal": "kemarin"})
    empty_index.add(stored)
    assert empty_index.get("a") == stored


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


# -- the example -------------------------------------------------------------------


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
