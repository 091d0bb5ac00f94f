"""Abbreviations and colloquial words (``_expansions.py``): a query also
searches, and highlights, the other forms of its words."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsindex import Analyzer, Article, NewsIndex
from newsindex._expansions import (
    BUILTIN,
    DEFAULT_EXPANSIONS,
    Expansions,
    _parse_groups,
    expand_query,
)
from newsindex._query import parse_query
from newsindex.errors import ConfigurationError

ARTICLES = [
    Article(id="short", title="KPK Periksa Bupati", body="KPK memeriksa bupati."),
    Article(
        id="long",
        title="Penyidik Komisi Pemberantasan Korupsi Datang",
        body="Komisi Pemberantasan Korupsi menggeledah kantor bupati.",
    ),
    Article(id="other", title="Komisi Tiga Rapat", body="Komisi membahas anggaran."),
    Article(id="duit", title="Duit Warga Hilang", body="Warga kehilangan duit."),
    Article(id="jabar", title="Banjir di Jabar", body="Banjir melanda Jawa Barat."),
    Article(id="nggak", title="Warga Nggak Mau Pindah", body="Mereka tidak pindah."),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, analyzer: Analyzer) -> NewsIndex:
    path = tmp_path_factory.mktemp("expansions") / "index"
    with NewsIndex.create(path, analyzer=analyzer) as created:
        created.add_many(ARTICLES)
    opened = NewsIndex.open(path)
    return opened


def _marked(index: NewsIndex, query: str, article_id: str) -> str:
    hit = next(h for h in index.search(query) if h.id == article_id)
    return hit.title_snippet.html() + " | " + hit.snippet.html()


def test_an_abbreviation_finds_and_highlights_what_it_stands_for(
    index: NewsIndex,
) -> None:
    ids = [hit.id for hit in index.search("kpk")]
    assert set(ids[:2]) == {"short", "long"}
    assert "other" not in ids
    shown = _marked(index, "KPK", "long")
    assert (
        "<mark>Komisi</mark> <mark>Pemberantasan</mark> <mark>Korupsi</mark>" in shown
    )


def test_the_words_spelled_out_find_and_highlight_the_abbreviation(
    index: NewsIndex,
) -> None:
    results = index.search("komisi pemberantasan korupsi")
    assert {hit.id for hit in results.hits[:2]} == {"short", "long"}
    assert "<mark>KPK</mark> memeriksa" in _marked(
        index, "komisi pemberantasan korupsi", "short"
    )
    quoted = index.search('"Komisi Pemberantasan Korupsi"')
    assert {hit.id for hit in quoted} == {"short", "long"}


def test_region_abbreviations_and_colloquial_words(index: NewsIndex) -> None:
    assert "<mark>Jawa</mark> <mark>Barat</mark>" in _marked(index, "jabar", "jabar")
    assert [hit.id for hit in index.search("uang warga")][:1] == ["duit"]


@pytest.mark.parametrize("slang", ["gak", "nggak", "enggak", "Gak", "tdk"])
def test_colloquial_negations_match_each_other_and_tidak_stays_a_stopword(
    index: NewsIndex, slang: str
) -> None:
    results = index.search(slang)
    assert [hit.id for hit in results] == ["nggak"]
    assert "<mark>Nggak</mark>" in results.hits[0].title_snippet.html()
    assert index.search("tidak").total == 0  # a stopword, as before


def test_expansions_are_applied_by_term(analyzer: Analyzer) -> None:
    parsed = expand_query(
        parse_query("Jabar -KPK bikin", analyzer), analyzer, DEFAULT_EXPANSIONS
    )
    (jabar, bikin), (kpk,) = parsed.positive, parsed.negative
    assert ("jawa", "barat") in jabar.alternatives
    # A colloquial word also finds the standard one, not the other way round.
    assert ("buat",) in bikin.alternatives
    standard = parse_query("membuat", analyzer)
    assert expand_query(standard, analyzer, DEFAULT_EXPANSIONS) is standard
    assert ("komisi", "berantas", "korupsi") in kpk.alternatives


def test_users_add_their_own_and_can_leave_out_the_builtin(
    tmp_path: Path, analyzer: Analyzer
) -> None:
    path = tmp_path / "index"
    body = "Kementerian Kesehatan dan Komisi Pemberantasan Korupsi bertemu."
    with NewsIndex.create(path, analyzer=analyzer) as created:
        created.add(Article(id="a", body=body))
    with NewsIndex.open(path, expansions={"Kemenkes": "Kementerian Kesehatan"}) as mine:
        assert mine.search("kemenkes").total == 1
        assert mine.search("kpk").total == 1  # the built-in ones stay
    custom = Expansions(extra=[("kemkes", "Kementerian Kesehatan")], builtin=False)
    with NewsIndex.open(path, expansions=custom) as only:
        assert only.search("kemkes").total == 1
        assert only.search("kpk").total == 0
    with NewsIndex.open(path, expansions=Expansions(builtin=False)) as none:
        assert none.search("kemenkes").total == 0


@pytest.mark.parametrize("bad", [{"KPK": 3}, {"KPK": ["", "x"]}, ["KPK"], 42])
def test_bad_expansions_are_refused(tmp_path: Path, bad: object) -> None:
    with pytest.raises(ConfigurationError):
        NewsIndex.create(tmp_path / "index", expansions=bad)  # type: ignore[arg-type]


def test_the_builtin_list_is_well_formed(analyzer: Analyzer) -> None:
    groups = _parse_groups(BUILTIN)
    assert len(groups) > 150
    assert all(len(group) >= 2 for group in groups)
    assert Expansions().table(analyzer, "harga beras naik") is None
    table = Expansions().table(analyzer, "gak KPK")
    assert table is not None
    (group,) = (g for g in table.groups.values() if ("gak",) in g)
    assert ("nggak",) in group
    assert ("tidak",) not in table.forms  # a stopword has no terms
    assert ("kpk",) in table.forms
    assert ("komisi", "berantas", "korupsi") in table.forms
