"""The :class:`Article` value: what goes into an index and comes back out."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from typing import Any, Final

from newsindex._values import Value
from newsindex.errors import ArticleError

#: Longest accepted article id, in characters.
MAX_ID_LENGTH: Final = 512

#: Deepest nesting of lists and objects in :attr:`Article.extra` (the extra
#: mapping itself is level 0).
MAX_EXTRA_DEPTH: Final = 32

#: Keys of :meth:`Article.to_dict` that are not extras.
ARTICLE_KEYS: Final = frozenset(
    {"id", "title", "body", "published", "source", "category", "url"}
)
#: Keys an extra may not use: the article keys, and ``date``, which
#: :meth:`Article.from_dict` reads as ``published``.
RESERVED_KEYS: Final = ARTICLE_KEYS | {"date"}


def parse_published(value: object) -> dt.date | dt.datetime | None:
    """Convert a publication date from the forms articles arrive in.

    Accepts ``None``/empty, :class:`datetime.date`, :class:`datetime.datetime`
    and ISO 8601 strings (``2024-05-01``, ``2024-05-01T08:30:00+07:00``; a
    trailing ``Z`` is understood).

    Raises:
        ArticleError: any other value, or a string that is not ISO 8601.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):  # datetime is a subclass of date
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            raise ArticleError(
                f"published date {value!r} is not ISO 8601 (yyyy-mm-dd)"
            ) from None
    raise ArticleError(
        f"published must be a date, datetime or ISO string, not {type(value).__name__}"
    )


def _text(value: str | None) -> str:
    # Typed for callers (mypy reports Article(title=1)); checked for the rest.
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ArticleError(f"expected text, got {type(value).__name__}: {value!r:.60}")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ArticleError(
                "text contains a lone surrogate code point, which is not valid Unicode"
            ) from None
    return value


def _check_json(value: object, where: str, depth: int = 0) -> None:
    if value is None or isinstance(value, (str, bool, int)):
        return
    if depth > MAX_EXTRA_DEPTH:
        # Deeper values would overflow the stack of whoever reads them back.
        raise ArticleError(f"extra is nested more than {MAX_EXTRA_DEPTH} levels deep")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ArticleError(f"{where} is not a finite number")
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_json(item, f"{where}[{i}]", depth + 1)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ArticleError(f"{where} has a non-text key {key!r}")
            _check_json(item, f"{where}.{key}", depth + 1)
        return
    raise ArticleError(f"{where} holds {type(value).__name__}, which JSON cannot")


def _extra(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ArticleError(f"extra must be a mapping, not {type(value).__name__}")
    for key in value:
        if key in RESERVED_KEYS:
            raise ArticleError(f"extra may not use the reserved key {key!r}")
    _check_json(value, "extra")
    # A JSON round trip gives a deep copy that the caller's later changes
    # cannot reach (a plain dict, so that articles pickle for worker processes).
    copied: dict[str, Any] = json.loads(json.dumps(dict(value)))
    return copied


def _check_id(value: str) -> None:
    if not value.strip():
        raise ArticleError("article id is empty")
    if len(value) > MAX_ID_LENGTH:
        raise ArticleError(f"article id is longer than {MAX_ID_LENGTH} characters")
    if not value.isprintable():
        raise ArticleError(f"article id {value!r} contains control characters")


class Article(Value):
    """A news article.

    Attributes:
        id: unique identifier; adding an article with an id already in the
            index replaces that article.
        title: headline; may be empty (some corpora have none).
        body: the article text.
        published: publication date or datetime, or ``None``. Filters and
            sorting compare times as written, in the article's own time
            zone (see :func:`published_timestamp`).
        source: publisher, such as ``kompas.com``. Filters on it ignore case.
        category: section, such as ``Ekonomi``. Filters on it ignore case.
        url: address of the article.
        extra: further JSON-compatible metadata, stored and returned as is,
            nested at most :data:`MAX_EXTRA_DEPTH` (32) levels deep.

    Raises:
        ArticleError: a field has the wrong type, the id is empty, or the
            date is not ISO 8601.
    """

    __slots__ = (
        "body",
        "category",
        "extra",
        "id",
        "published",
        "source",
        "title",
        "url",
    )
    _unhashed = frozenset({"extra"})
    id: str
    title: str
    body: str
    published: dt.date | dt.datetime | None
    source: str
    category: str
    url: str
    extra: Mapping[str, Any]

    def __init__(
        self,
        *,
        id: str,
        title: str = "",
        body: str = "",
        published: dt.date | dt.datetime | str | None = None,
        source: str = "",
        category: str = "",
        url: str = "",
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self._set(
            _text(id),
            _text(title),
            _text(body),
            parse_published(published),
            _text(source),
            _text(category),
            _text(url),
            _extra(extra),
        )
        _check_id(self.id)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-compatible dict (``published`` as an ISO string).

        Extras appear beside the article keys, as in input files.
        """
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "body": self.body,
            "published": None if self.published is None else self.published.isoformat(),
            "source": self.source,
            "category": self.category,
            "url": self.url,
        }
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> Article:
        """Build an article from a mapping such as a JSON object.

        ``date`` is accepted as another name for ``published``; keys that
        are not article fields go to :attr:`extra`.

        Raises:
            ArticleError: as for the constructor, or both ``date`` and
                ``published`` are given.
        """
        known = {k: v for k, v in record.items() if k in ARTICLE_KEYS}
        extra = {k: v for k, v in record.items() if k not in ARTICLE_KEYS}
        if "date" in extra:
            date = extra.pop("date")
            if date not in (None, ""):
                if known.get("published") not in (None, ""):
                    raise ArticleError("both 'date' and 'published' are given")
                known["published"] = date
        if "id" not in known:
            raise ArticleError("the record has no 'id'")
        return cls(**known, extra=extra)

    def timestamp(self) -> float | None:
        """The sort key of :attr:`published` (see :func:`published_timestamp`)."""
        return published_timestamp(self.published)


_FIELD_ORDER: Final = ("id", "title", "body", "source", "category", "url")


def article_from_stored(record: dict[str, Any]) -> Article:
    """Rebuild an article that was validated when it was indexed.

    The index stores :meth:`Article.to_dict` of a valid article, so reading
    one back skips validation (a third of a search's time otherwise). The
    record is freshly decoded JSON, owned by no one else.
    """
    article = object.__new__(Article)
    published = record.pop("published")
    values = {key: record.pop(key) for key in _FIELD_ORDER}
    values["published"] = None if published is None else parse_published(published)
    values["extra"] = record
    for key, value in values.items():
        object.__setattr__(article, key, value)
    return article


def published_timestamp(value: dt.date | dt.datetime | None) -> float | None:
    """The sort and filter key of a publication time: its wall-clock time.

    Times are compared as written, in the article's own time zone (an
    article of ``2024-05-01T03:00+07:00`` belongs to 1 May, as its readers
    in Jakarta saw it), so a filter date always means that calendar day.
    Dates count as midnight. The key is in seconds since 1970-01-01.
    """
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=dt.timezone.utc).timestamp()
