"""Related articles: ``NewsIndex.related`` and ``newsindex related``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from shorthands import ids

from newsindex import Analyzer, Article, NewsIndex, QueryError
from newsindex.cli import EXIT_ERROR, EXIT_OK, main

#: A rewrite of the sample article ``eko-bbm-nonsubsidi``: the same story in
#: other words (not a near-copy).
REWRITE = Article(
    id="bbm-ditulis-ulang",
    title="Bensin Nonsubsidi Lebih Mahal, Ojek Daring Mengeluh",
    body="Mulai 1 September 2024 pengendara membayar Rp13.700 untuk seliter "
    "bensin beroktan 92, naik Rp600. Kementerian Energi menyebut minyak "
    "mentah dunia yang terus naik sebagai alasan. Para pengemudi ojek daring "
    "di Jakarta menilai pendapatan mereka tidak bertambah.",
    published=dt.date(2024, 9, 2),
    source="Warta Kota",
    category="Ekonomi",
)
#: A near-copy of the same sample article (syndicated under a new headline).
COPY_ID = "bbm-salinan"


@pytest.fixture(scope="module")
def index(
    tmp_path_factory: pytest.TempPathFactory,
    analyzer: Analyzer,
    sample_articles: list[Article],
    sample_by_id: dict[str, Article],
) -> Iterator[NewsIndex]:
    """The sample articles, the rewrite, and a near-copy (read-only)."""
    original = sample_by_id["eko-bbm-nonsubsidi"]
    copy = Article(
        id=COPY_ID,
        title="BBM Nonsubsidi Naik Mulai Minggu",
        body=original.body,
        published=original.published,
        source="Kabar Lain",
    )
    path = tmp_path_factory.mktemp("related") / "index"
    built = NewsIndex.create(path, analyzer=analyzer)
    built.add_many([*sample_articles, REWRITE])
    built.add(copy)
    yield built
    built.close()


def test_never_the_article_itself(
    index: NewsIndex, sample_articles: list[Article]
) -> None:
    for article in sample_articles:
        found = ids(index.related(article.id, limit=50))
        assert article.id not in found
        assert len(found) == len(set(found))


def test_a_rewrite_comes_first_and_a_copy_not_at_all(index: NewsIndex) -> None:
    results = index.related("eko-bbm-nonsubsidi")
    assert ids(results)[0] == REWRITE.id
    assert COPY_ID not in ids(results)
    assert all(COPY_ID not in hit.duplicates for hit in results)
    assert "nonsubsidi" in results.query.split()  # the words it was found by
    assert results.hits[0].rank == 1
    assert results.hits[0].score > 0
    # The copy's related articles leave out the original the same way.
    assert "eko-bbm-nonsubsidi" not in ids(index.related(COPY_ID))


def test_limit_and_dates_are_respected(index: NewsIndex) -> None:
    assert len(index.related("eko-bbm-nonsubsidi", limit=3)) == 3
    since, until = dt.date(2024, 9, 2), dt.date(2024, 12, 31)
    results = index.related("eko-bbm-nonsubsidi", since=since, until=until)
    assert results.hits
    for hit in results:
        assert hit.published is not None
        assert since <= hit.published <= until
    # The article itself may lie outside the window.
    none = index.related("eko-bbm-nonsubsidi", since="2030-01-01")
    assert none.total == 0
    assert not none.hits
    assert none.notes


@pytest.mark.parametrize(
    ("article_id", "message"),
    [("no-such-article", "no article with id"), (42, "must be a string")],
)
def test_an_unknown_id_is_a_query_error(
    index: NewsIndex, article_id: object, message: str
) -> None:
    with pytest.raises(QueryError, match=message) as caught:
        index.related(article_id)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "arguments", [{"limit": 0}, {"since": "kemarin"}, {"until": "2024-13-01"}]
)
def test_bad_arguments_are_query_errors(index: NewsIndex, arguments: dict) -> None:
    with pytest.raises(QueryError):
        index.related("eko-bbm-nonsubsidi", **arguments)


def test_the_command_prints_related_articles(
    index: NewsIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(index.path)
    argv = ["related", "--index", path, "eko-bbm-nonsubsidi", "--limit", "2"]
    assert main(argv) == EXIT_OK
    out = capsys.readouterr().out
    assert REWRITE.title in out
    assert "2 of " in out
    assert main([*argv, "--json", "--since", "2024-09-02"]) == EXIT_OK
    printed = json.loads(capsys.readouterr().out)
    assert printed["hits"][0]["id"] == REWRITE.id
    assert all(hit["date"] >= "2024-09-02" for hit in printed["hits"])
    assert main(["related", "--index", path, "no-such-article"]) == EXIT_ERROR
    assert "no article with id" in capsys.readouterr().err


def test_an_empty_index_has_no_related_articles(tmp_path: Path) -> None:
    with NewsIndex.create(tmp_path / "index") as empty, pytest.raises(QueryError):
        empty.related("anything")
