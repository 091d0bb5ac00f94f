"""Facets, stats and recency: counts equal brute force over every match."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsindex import (
    Analyzer,
    Article,
    FacetCount,
    NewsIndex,
    QueryError,
    SearchResults,
)
from newsindex.cli import main

WORDS = ("banjir", "gempa", "harga", "beras", "pemilu", "vaksin")
SOURCES = ("Kompas.com", "kompas.com", "Tempo", "Detik", "")
CATEGORIES = ("Ekonomi", "ekonomi", "Olahraga", "")


@st.composite
def corpora(draw: st.DrawFn) -> list[Article]:
    count = draw(st.integers(1, 40))
    articles = []
    for i in range(count):
        words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=5))
        day = draw(st.one_of(st.none(), st.integers(0, 800)))
        articles.append(
            Article(
                id=f"a{i}",
                title=words[0],
                body=" ".join(words),
                source=draw(st.sampled_from(SOURCES)),
                category=draw(st.sampled_from(CATEGORIES)),
                published=None
                if day is None
                else dt.date(2023, 1, 1) + dt.timedelta(days=day),
            )
        )
    return articles


def brute_force(
    articles: list[Article], results: SearchResults, name: str
) -> tuple[FacetCount, ...]:
    """Count the matching articles by hand: each value as most often written
    among all the articles (a name is shown as the index writes it)."""
    matched = {hit.id for hit in results}
    if name == "month":
        values = [
            a.published.strftime("%Y-%m")
            for a in articles
            if a.id in matched and a.published is not None
        ]
    else:
        written: dict[str, Counter[str]] = {}
        for a in articles:
            value = getattr(a, name)
            if value:
                written.setdefault(value.casefold(), Counter())[value] += 1
        shown = {key: forms.most_common(1)[0][0] for key, forms in written.items()}
        values = [
            shown[getattr(a, name).casefold()]
            for a in articles
            if a.id in matched and getattr(a, name)
        ]
    counts = Counter(values)
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(FacetCount(value, n) for value, n in ordered)


@settings(max_examples=40)
@given(articles=corpora(), query=st.sampled_from(WORDS), splits=st.integers(1, 3))
def test_facet_counts_equal_brute_force(
    tmp_path_factory: pytest.TempPathFactory,
    articles: list[Article],
    query: str,
    splits: int,
) -> None:
    path = tmp_path_factory.mktemp("facets") / "index"
    with NewsIndex.create(path, analyzer=Analyzer(stemmer="none")) as index:
        step = -(-len(articles) // splits)  # several segments
        for start in range(0, len(articles), step):
            index.add_many(articles[start : start + step])
        names = ("source", "category", "month")
        results = index.search(query, limit=1000, facets=names)
        assert len(results) == results.total
        for name in names:
            assert results.facets[name] == brute_force(articles, results, name)
        filtered = index.search(
            query, limit=1000, facets=["source"], since="2024-01-01"
        )
        assert filtered.facets["source"] == brute_force(articles, filtered, "source")


def test_facets_in_the_json_and_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "index"
    with NewsIndex.create(path, analyzer=Analyzer(stemmer="none")) as index:
        index.add_many(
            Article(id=f"a{i}", body="banjir", source=("Kompas", "Tempo")[i % 3 == 0])
            for i in range(6)
        )
        results = index.search("banjir", facets="source")
        assert results.to_dict()["facets"] == {
            "source": [{"value": "Kompas", "count": 4}, {"value": "Tempo", "count": 2}]
        }
        assert index.search("banjir").to_dict()["facets"] == {}
        with pytest.raises(QueryError, match="facets"):
            index.search("banjir", facets=["author"])  # type: ignore[list-item]
    assert main(["search", "--index", str(path), "banjir", "--facets", "source"]) == 0
    assert "source: Kompas 4, Tempo 2" in capsys.readouterr().out
    assert main(["search", "--index", str(path), "banjir", "--facets", "x"]) == 2


def test_stats_report_names_as_written_and_distinct_terms(tmp_path: Path) -> None:
    analyzer = Analyzer(stemmer="none")
    with NewsIndex.create(tmp_path / "index", analyzer=analyzer) as index:
        index.add(Article(id="a", title="Banjir", body="banjir jakarta", source="BBC"))
        index.add(Article(id="b", title="Gempa", body="banjir", category="Sains"))
        index.add(Article(id="c", body="gempa bumi", source="bbc", category="Sains"))
        stats = index.stats()
    assert stats.segments == 3
    assert stats.sources == (("BBC", 2),)
    assert stats.categories == (("Sains", 2),)
    assert stats.terms == len({"banjir", "jakarta", "gempa", "bumi"})
    assert stats.to_dict()["categories"] == {"Sains": 2}


def test_recency_puts_newer_equal_matches_first(tmp_path: Path) -> None:
    with NewsIndex.create(
        tmp_path / "index", analyzer=Analyzer(stemmer="none")
    ) as index:
        index.add_many(
            Article(id=f"d{day}", body="pemilu", published=dt.date(2024, 1, 1 + day))
            for day in (0, 10, 20)
        )
        index.add(Article(id="undated", body="pemilu"))
        index.add(
            Article(id="strong", body="pemilu pemilu pemilu", published="2024-01-01")
        )
        plain = [hit.id for hit in index.search("pemilu")]
        assert plain[0] == "strong"
        recent = index.search("pemilu", recency=5)
        # Half-lives of 5 days: d10 scores a quarter of d20, and the strong
        # match of the first day, 1/16 of its own; undated counts as oldest.
        assert [hit.id for hit in recent] == ["d20", "d10", "strong", "d0", "undated"]
        d20, d10 = recent.hits[0].score, recent.hits[1].score
        assert d10 == pytest.approx(d20 / 4)
        for bad in (0, -1, float("inf"), "week"):
            with pytest.raises(QueryError, match="recency"):
                index.search("pemilu", recency=bad)  # type: ignore[arg-type]
