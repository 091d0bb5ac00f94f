"""Tests of the order of hits (newsindex._ranking): scoring and ordering.

Hits come ranked by descending score, articles that hold all the query's words
rank first, sorting by newest puts undated articles last, and deep pages stay
disjoint and consecutive when many hits tie on score.
"""

from __future__ import annotations

from pathlib import Path

from shorthands import article, ids

from newsindex import Analyzer, Article, NewsIndex


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


# -- ties and undated articles -----------------------------------------------------


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


# -- several segments ---------------------------------------------------------------


def test_matching_spans_every_segment(empty_index: NewsIndex) -> None:
    # Each commit writes a segment of its own: one query is scored over all
    # of them at once, with filters, required and excluded words, and a
    # deletion in an older segment.
    batches = [
        [
            article("a1", "Harga beras naik", source="Alpha", category="Ekonomi"),
            article("a2", "Harga cabai turun", source="Beta", category="Ekonomi"),
        ],
        [
            article("b1", "Harga beras impor", source="Beta", category="Nasional"),
            article("b2", "Banjir di kota", source="Alpha", category="Nasional"),
        ],
        [
            article("c1", "Harga gula dan beras", source="Alpha", category="Ekonomi"),
            article("c2", "Beras langka", source="Gamma", category="Daerah"),
        ],
    ]
    for batch in batches:
        empty_index.add_many(batch)
    assert empty_index.stats().segments == 3
    empty_index.delete("a2")

    def found(query: str, **options) -> set[str]:
        return set(ids(empty_index.search(query, limit=50, **options)))

    assert found("harga") == {"a1", "b1", "c1"}
    assert found("harga beras", sources=["Alpha"]) == {"a1", "c1"}
    assert found("beras", categories=["Ekonomi", "Daerah"]) == {"a1", "c1", "c2"}
    assert found("+beras harga") == {"a1", "b1", "c1", "c2"}
    assert found("beras -harga") == {"c2"}
    assert found('"harga beras"') == {"a1", "b1"}
    assert found("cabai") == set()
    scores = {h.id: h.score for h in empty_index.search("harga beras", limit=50)}
    assert set(scores) == {"a1", "b1", "c1", "c2"}
    assert min(scores["a1"], scores["b1"], scores["c1"]) > scores["c2"]
