"""Tests of newsindex._article: the Article value and date parsing."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from newsindex import Article, ArticleError, NewsIndexError
from newsindex._article import MAX_EXTRA_DEPTH, MAX_ID_LENGTH, parse_published

UTC = dt.timezone.utc
WIB = dt.timezone(dt.timedelta(hours=7))


# -- validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    "article_id",
    [
        "",
        "   ",
        None,
        "a\x00b",
        "a\tb",
        "a\nb",
        "a\x1fb",
        "x" * (MAX_ID_LENGTH + 1),
        5,
        b"bytes",
    ],
)
def test_invalid_ids(article_id: object) -> None:
    with pytest.raises(ArticleError):
        Article(id=article_id)  # type: ignore[arg-type]


@pytest.mark.parametrize("control", ["\x7f", "\x85", "\x9b"])
def test_ids_with_other_control_characters(control: str) -> None:
    with pytest.raises(ArticleError):
        Article(id=f"a{control}b")


@pytest.mark.parametrize(
    "article_id", ["a", "x" * MAX_ID_LENGTH, "berita/2024/01", "é"]
)
def test_valid_ids(article_id: str) -> None:
    assert Article(id=article_id).id == article_id


@pytest.mark.parametrize("field", ["title", "body", "source", "category", "url"])
@pytest.mark.parametrize("value", [5, 1.5, b"teks", ["teks"], True])
def test_text_fields_reject_other_types(field: str, value: object) -> None:
    with pytest.raises(ArticleError, match="expected text"):
        Article(id="a", **{field: value})


def test_text_fields_accept_none_as_empty() -> None:
    article = Article(id="a", title=None, body=None)  # type: ignore[arg-type]
    assert (article.title, article.body) == ("", "")


def test_errors_are_value_errors_too() -> None:
    with pytest.raises(ValueError, match="empty"):
        Article(id="")
    assert issubclass(ArticleError, NewsIndexError)


# -- dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        (dt.date(2024, 5, 1), dt.date(2024, 5, 1)),
        (dt.datetime(2024, 5, 1, 8, 30), dt.datetime(2024, 5, 1, 8, 30)),
        ("2024-05-01", dt.date(2024, 5, 1)),
        (" 2024-05-01 ", dt.date(2024, 5, 1)),
        ("2024-05-01T08:30:00", dt.datetime(2024, 5, 1, 8, 30)),
        ("2024-05-01T08:30:00Z", dt.datetime(2024, 5, 1, 8, 30, tzinfo=UTC)),
        ("2024-05-01T08:30:00z", dt.datetime(2024, 5, 1, 8, 30, tzinfo=UTC)),
        ("2024-05-01T08:30:00+07:00", dt.datetime(2024, 5, 1, 8, 30, tzinfo=WIB)),
    ],
)
def test_published_forms(value: object, expected: object) -> None:
    parsed = parse_published(value)
    assert parsed == expected
    assert type(parsed) is type(expected)
    assert Article(id="a", published=value).published == expected


@pytest.mark.parametrize(
    "value", ["kemarin", "2024-13-01", "01-05-2024", "2024/05/01", "2024-05-01T25:00"]
)
def test_bad_date_strings(value: str) -> None:
    with pytest.raises(ArticleError, match="ISO 8601"):
        Article(id="a", published=value)


@pytest.mark.parametrize("value", [20240501, 1.5, True, ["2024-05-01"]])
def test_bad_date_types(value: object) -> None:
    with pytest.raises(ArticleError, match="date, datetime or ISO string"):
        Article(id="a", published=value)


def test_timestamp() -> None:
    assert Article(id="a").timestamp() is None
    assert Article(id="a", published="1970-01-02").timestamp() == 86_400.0
    # Times compare as written, in the article's own time zone.
    assert Article(id="a", published="1970-01-01T07:00:00").timestamp() == 25_200.0
    assert (
        Article(id="a", published="1970-01-01T07:00:00+07:00").timestamp() == 25_200.0
    )


# -- dicts -----------------------------------------------------------------------


def test_round_trip_through_dict_and_json() -> None:
    article = Article(
        id="eko-1",
        title="Kenaikan Harga BBM",
        body="Harga BBM naik.",
        published=dt.datetime(2024, 9, 1, 8, 0, tzinfo=WIB),
        source="Kabar Nusantara",
        category="Ekonomi",
        url="https://example.com/eko-1",
        extra={"tags": ["bbm", "harga"], "rating": 4.5, "nested": {"a": None}},
    )
    record = article.to_dict()
    assert record["published"] == "2024-09-01T08:00:00+07:00"
    assert record["tags"] == ["bbm", "harga"]  # extras sit beside the fields
    assert Article.from_dict(record) == article
    assert Article.from_dict(json.loads(json.dumps(record))) == article


def test_from_dict_accepts_date_and_collects_extras() -> None:
    article = Article.from_dict({"id": "a", "date": "2024-01-02", "penulis": "Rina"})
    assert article.published == dt.date(2024, 1, 2)
    assert article.extra == {"penulis": "Rina"}
    assert article.to_dict()["published"] == "2024-01-02"


def test_from_dict_rejects_date_and_published_together() -> None:
    with pytest.raises(ArticleError, match="both"):
        Article.from_dict({"id": "a", "date": "2024-01-02", "published": "2024-01-03"})


def test_from_dict_needs_an_id() -> None:
    with pytest.raises(ArticleError, match="no 'id'"):
        Article.from_dict({"title": "Tanpa id"})


def test_sample_articles_round_trip(sample_articles: list[Article]) -> None:
    assert len(sample_articles) >= 36
    for article in sample_articles:
        assert Article.from_dict(article.to_dict()) == article
        assert isinstance(article.published, dt.date)


# -- extras ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        {"k": float("nan")},
        {"k": float("inf")},
        {"k": {1: "a"}},
        {"k": object()},
        {"k": {"a": [1, {2, 3}]}},
        {"k": b"bytes"},
        ["not", "a", "mapping"],
    ],
)
def test_extras_must_be_json(extra: object) -> None:
    with pytest.raises(ArticleError):
        Article(id="a", extra=extra)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["id", "title", "body", "published", "source", "url"])
def test_extras_may_not_use_article_keys(key: str) -> None:
    with pytest.raises(ArticleError, match="reserved key"):
        Article(id="a", extra={key: "x"})


def test_extras_are_copied() -> None:
    given = {"tags": ["a"], "pair": (1, 2)}
    article = Article(id="a", extra=given)
    given["tags"].append("b")
    assert article.extra == {"tags": ["a"], "pair": [1, 2]}


def test_extra_named_date_is_rejected() -> None:
    # from_dict() reads "date" as the publication date, so an extra of that
    # name could not survive to_dict()/from_dict().
    with pytest.raises(ArticleError, match="reserved key 'date'"):
        Article(id="a", published="2024-01-01", extra={"date": "kemarin"})


# -- value semantics -------------------------------------------------------------


def test_articles_are_frozen() -> None:
    article = Article(id="a", title="Judul")
    with pytest.raises(AttributeError, match="immutable"):
        article.title = "Lain"
    with pytest.raises(AttributeError, match="immutable"):
        del article.id
    assert article.evolve(title="Lain") == Article(id="a", title="Lain")


def test_equality_and_hash() -> None:
    one = Article(id="a", title="Judul", published="2024-01-01")
    same = Article(id="a", title="Judul", published=dt.date(2024, 1, 1))
    assert one == same
    assert hash(one) == hash(same)
    assert one != one.evolve(title="Lain")
    assert len({one, same}) == 1


def test_extra_nesting_is_bounded() -> None:
    deepest: object = "daun"
    for _ in range(MAX_EXTRA_DEPTH):
        deepest = [deepest]
    assert Article(id="a", extra={"m": deepest}).extra["m"] == deepest
    with pytest.raises(ArticleError, match="nested more than 32 levels"):
        Article(id="a", extra={"m": [deepest]})
    value: object = 1
    for _ in range(5_000):
        value = {"a": value}
    with pytest.raises(ArticleError, match="nested"):  # no RecursionError
        Article(id="a", extra={"m": value})
