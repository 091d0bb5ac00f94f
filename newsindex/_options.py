"""The options of one search, checked once and passed down as one value.

:meth:`NewsIndex.search` takes its options as keywords, turns them into a
:class:`SearchOptions` (which checks and converts each one, raising
:class:`~newsindex.errors.QueryError`), and hands that value to the search.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Literal, TypeAlias, get_args

from newsindex._article import parse_published, published_timestamp
from newsindex._fields import facet_key
from newsindex._query import FILTER_VALUES_CEILING, QueryLimits
from newsindex._values import Value
from newsindex.errors import ArticleError, QueryError

#: The orders of results: best first, or newest first among the articles
#: that match the most query words.
Sort: TypeAlias = Literal["relevance", "newest"]
SORTS: tuple[Sort, ...] = get_args(Sort)
#: A date bound of a filter: a date, a datetime, or an ISO 8601 string.
DateBound: TypeAlias = dt.date | dt.datetime | str | None
#: Names of publishers or sections: one, or several.
Names: TypeAlias = str | Iterable[str] | None
#: What results can be counted by (``month`` as ``YYYY-MM``).
FacetName: TypeAlias = Literal["source", "category", "month"]
FACET_NAMES: tuple[FacetName, ...] = get_args(FacetName)
#: Whether a query word that matches nothing also matches close words.
Typos: TypeAlias = Literal["auto", "off"]
TYPOS: tuple[Typos, ...] = get_args(Typos)
#: The default of ``typos`` (chosen by measurement; see the README): a word
#: is widened only when it matches nothing, so no clean development query set
#: lost MRR@10, and queries with a typo gained 0.20-0.30.
DEFAULT_TYPOS: Typos = "auto"

#: Hits per page when no limit is given.
DEFAULT_LIMIT = 10


def _bound(value: object, name: str, end_of_day: bool) -> float | None:
    if value is None:
        return None
    try:
        parsed = parse_published(value)
    except ArticleError:
        raise QueryError(
            f"{name}: {value!r} is not a date (use yyyy-mm-dd or an ISO 8601 time)"
        ) from None
    if parsed is None:
        return None
    if end_of_day and not isinstance(parsed, dt.datetime):
        parsed = dt.datetime.combine(parsed, dt.time.max)
    return published_timestamp(parsed)


def _since(value: DateBound) -> float | None:
    return _bound(value, "since", end_of_day=False)


def _until(value: DateBound) -> float | None:
    return _bound(value, "until", end_of_day=True)


def _keys(values: object, name: str) -> tuple[str, ...] | None:
    """The distinct indexed forms of ``values``, in order, read no further
    than one beyond :data:`FILTER_VALUES_CEILING` (so a caller's endless list
    costs nothing; :meth:`SearchOptions.filters` cuts and says so)."""
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    elif not isinstance(values, Iterable):
        raise QueryError(
            f"{name} must be a string or strings, not {type(values).__name__}"
        )
    keys: dict[str, None] = {}
    for value in itertools.islice(values, FILTER_VALUES_CEILING + 1):
        if not isinstance(value, str):
            raise QueryError(f"{name} must be strings, not {type(value).__name__}")
        key = facet_key(value)
        if key:
            keys[key] = None
    return tuple(keys) if keys else None


def _sources(values: Names) -> tuple[str, ...] | None:
    return _keys(values, "sources")


def _categories(values: Names) -> tuple[str, ...] | None:
    return _keys(values, "categories")


def _facet_names(names: str | Iterable[str]) -> tuple[FacetName, ...]:
    if isinstance(names, str):
        names = [names]
    found: list[FacetName] = []
    for name in names:
        if name not in FACET_NAMES:
            raise QueryError(f"facets are {', '.join(FACET_NAMES)}, not {name!r}")
        if name not in found:
            found.append(name)
    return tuple(found)


def _check_typos(value: object) -> None:
    if value not in TYPOS:
        raise QueryError(f"typos must be one of {', '.join(TYPOS)}, not {value!r}")


def _check_recency(value: float | None) -> None:
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 < value < float("inf")
    ):
        raise QueryError(
            f"recency is a half-life in days (a positive number), not {value!r}"
        )


def _whole(value: object, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        kind = "positive" if minimum == 1 else "non-negative"
        raise QueryError(f"{name} must be a {kind} integer, not {value!r}")


def _check_sort(value: object) -> None:
    if value not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)}, not {value!r}")


class Filters(Value):
    """What a search keeps: publication times (as the index's date keys),
    and sources and categories (in their indexed form); ``None`` keeps all."""

    __slots__ = ("categories", "since", "sources", "until")
    since: float | None
    until: float | None
    sources: frozenset[str] | None
    categories: frozenset[str] | None

    def __init__(
        self,
        since: float | None,
        until: float | None,
        sources: frozenset[str] | None,
        categories: frozenset[str] | None,
    ) -> None:
        self._set(since, until, sources, categories)


class SearchOptions(Value):
    """Everything about a search but its query text (see :meth:`NewsIndex.search`).

    Dates become the keys the index compares (see ``_article.py``); sources and
    categories their indexed form. Bounds that depend on the index's
    :class:`QueryLimits` are applied by :meth:`window`.

    Raises:
        QueryError: an option of the wrong type or value.
    """

    __slots__ = (
        "categories",
        "collapse",
        "facets",
        "limit",
        "offset",
        "page",
        "recency",
        "since",
        "snippets",
        "sort",
        "sources",
        "typos",
        "until",
    )
    limit: int | None
    offset: int
    page: int | None
    since: float | None
    until: float | None
    sources: tuple[str, ...] | None
    categories: tuple[str, ...] | None
    sort: Sort
    snippets: bool
    facets: tuple[FacetName, ...]
    typos: Typos
    collapse: bool
    recency: float | None

    def __init__(
        self,
        *,
        limit: int | None = None,
        offset: int = 0,
        page: int | None = None,
        since: DateBound = None,
        until: DateBound = None,
        sources: Names = None,
        categories: Names = None,
        sort: Sort = "relevance",
        snippets: bool = True,
        facets: str | Iterable[str] = (),
        typos: Typos = DEFAULT_TYPOS,
        collapse: bool = False,
        recency: float | None = None,
    ) -> None:
        # Every conversion, then every check, so that of several bad options
        # the same one is reported as ever.
        self._set(
            limit,
            offset,
            page,
            _since(since),
            _until(until),
            _sources(sources),
            _categories(categories),
            sort,
            snippets,
            _facet_names(facets),
            typos,
            collapse,
            recency,
        )
        self._check()

    def _check(self) -> None:
        _check_sort(self.sort)
        _check_typos(self.typos)
        _check_recency(self.recency)
        _whole(self.offset, "offset", 0)
        if self.page is not None:
            _whole(self.page, "page", 1)
            if self.offset:
                raise QueryError("give either page or offset, not both")
        if (
            self.since is not None
            and self.until is not None
            and self.since > self.until
        ):
            raise QueryError("since is later than until")

    def filters(self, limits: QueryLimits) -> tuple[Filters, list[str]]:
        """What the search keeps, its lists cut to ``limits``, and a note for
        each cut."""
        most = limits.max_filter_values
        kept: dict[str, frozenset[str] | None] = {}
        notes = []
        for name in ("sources", "categories"):
            keys: tuple[str, ...] | None = getattr(self, name)
            if keys is not None and len(keys) > most:
                keys = keys[:most]
                notes.append(f"only the first {most} {name} were used")
            kept[name] = None if keys is None else frozenset(keys)
        return Filters(self.since, self.until, **kept), notes

    def window(self, limits: QueryLimits) -> tuple[int, int]:
        """``(limit, offset)`` of the page asked for, within ``limits``.

        Raises:
            QueryError: the page is larger or deeper than ``limits`` allow.
        """
        limit = self.limit
        if limit is None:
            limit = min(DEFAULT_LIMIT, limits.max_limit)
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or not 1 <= limit <= limits.max_limit
        ):
            raise QueryError(
                f"limit must be an integer from 1 to {limits.max_limit}, not {limit!r}"
            )
        offset = self.offset if self.page is None else (self.page - 1) * limit
        if offset + limit > limits.max_depth:
            raise QueryError(
                f"results deeper than {limits.max_depth} cannot be paged to"
            )
        return limit, offset
