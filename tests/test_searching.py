"""Tests of newsindex._searching: search orchestration over the sample index.

Morphology, reduplication, protected names, quoted phrases, exclusion and OR
over the sample articles (checked against an oracle built from the analyzer);
filters by date, source and category; sorting by newest; paging; checking of
arguments and of the query's type; notes for queries that match nothing; hits
that carry escaped, highlighted snippets (or none, when snippets are off); extra
fields that survive the index; and, as an invariant, no query text makes
``search()`` raise. The order of relevance ranking is tested in
``test_ranking.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from shorthands import ids
from strategies import query_texts

from newsindex import (
    Analyzer,
    Article,
    NewsIndex,
    QueryError,
    SearchResults,
)


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


# -- filters, sorting, paging, arguments, hits -------------------------------------


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


def test_extras_survive_the_index(empty_index: NewsIndex) -> None:
    stored = Article(id="a", published="2024-01-01", extra={"tanggal": "kemarin"})
    empty_index.add(stored)
    assert empty_index.get("a") == stored
