"""What a search returns: :class:`SearchResults` holding :class:`Hit` values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from newsindex._article import Article
from newsindex._highlighting import Snippet
from newsindex._options import Sort
from newsindex._values import Value


class FacetCount(Value):
    """How many of the matching articles have one value of a facet.

    Attributes:
        value: the source or category as written in the articles, or the
            month as ``YYYY-MM``.
        count: articles that match the query and filters with that value.
    """

    __slots__ = ("count", "value")
    value: str
    count: int

    def __init__(self, value: str, count: int) -> None:
        self._set(value, count)

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible form."""
        return {"value": self.value, "count": self.count}


class Hit(Value):
    """One article in a page of results.

    Attributes:
        rank: 1-based position in the whole result list (not the page).
        score: relevance score (higher is better; comparable within one
            search only).
        article: the stored article.
        snippet: the passage of the body that best matches the query.
        title_snippet: the title, with the query's words highlighted.
        duplicates: with ``collapse``, the ids of the near-copies of this
            article (syndicated copies) that the results leave out.
    """

    __slots__ = ("article", "duplicates", "rank", "score", "snippet", "title_snippet")
    rank: int
    score: float
    article: Article
    snippet: Snippet
    title_snippet: Snippet
    duplicates: tuple[str, ...]

    def __init__(
        self,
        rank: int,
        score: float,
        article: Article,
        snippet: Snippet,
        title_snippet: Snippet,
        duplicates: tuple[str, ...] = (),
    ) -> None:
        self._set(rank, score, article, snippet, title_snippet, duplicates)

    @property
    def id(self) -> str:
        """The article id."""
        return self.article.id

    @property
    def title(self) -> str:
        """The article title."""
        return self.article.title

    @property
    def published(self) -> dt.date | dt.datetime | None:
        """The publication date."""
        return self.article.published

    @property
    def source(self) -> str:
        """The publisher."""
        return self.article.source

    @property
    def category(self) -> str:
        """The section."""
        return self.article.category

    @property
    def url(self) -> str:
        """The article address."""
        return self.article.url

    @property
    def extra(self) -> Mapping[str, Any]:
        """Further stored metadata."""
        return self.article.extra

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible summary; snippets are rendered as HTML."""
        published = self.article.published
        return {
            "id": self.id,
            "rank": self.rank,
            "score": round(self.score, 6),
            "title": self.title,
            "title_html": self.title_snippet.html(),
            "snippet": self.snippet.html(),
            "date": None if published is None else published.isoformat(),
            "source": self.source,
            "category": self.category,
            "url": self.url,
            "duplicates": list(self.duplicates),
        }


class SearchResults(Value):
    """A page of search results.

    Iterating yields the hits of the page; ``len()`` is their number.

    Attributes:
        query: the query text as given.
        total: how many articles match in all.
        hits: this page's hits, best first.
        took: seconds spent, snippets included.
        offset: hits skipped before this page.
        limit: the page size asked for.
        sort: ``"relevance"`` or ``"newest"``.
        notes: what the search ignored, cut or could not do, in words
            (for example, why a query matches nothing, or which of its words
            matched nothing).
        facets: for each facet asked for, the matching articles counted by
            value, most first (see :class:`FacetCount`).
        suggestion: a corrected query when a word of this one is unknown to
            the index or far rarer than a close word, else ``None``.
    """

    __slots__ = (
        "facets",
        "hits",
        "limit",
        "notes",
        "offset",
        "query",
        "sort",
        "suggestion",
        "took",
        "total",
    )
    #: A mapping is not hashable: the facets are compared, not hashed.
    _unhashed = frozenset({"facets"})
    query: str
    total: int
    hits: tuple[Hit, ...]
    took: float
    offset: int
    limit: int
    sort: Sort
    notes: tuple[str, ...]
    facets: Mapping[str, tuple[FacetCount, ...]]
    suggestion: str | None

    def __init__(
        self,
        query: str,
        total: int,
        hits: tuple[Hit, ...],
        took: float,
        offset: int = 0,
        limit: int = 10,
        sort: Sort = "relevance",
        notes: tuple[str, ...] = (),
        facets: Mapping[str, tuple[FacetCount, ...]] | None = None,
        suggestion: str | None = None,
    ) -> None:
        if facets is None:
            facets = {}
        self._set(
            query, total, hits, took, offset, limit, sort, notes, facets, suggestion
        )

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    @property
    def took_ms(self) -> float:
        """:attr:`took` in milliseconds."""
        return self.took * 1000.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible form (the ``newsindex search --json`` output)."""
        return {
            "query": self.query,
            "total": self.total,
            "took_ms": round(self.took_ms, 3),
            "offset": self.offset,
            "sort": self.sort,
            "notes": list(self.notes),
            "suggestion": self.suggestion,
            "facets": {
                name: [count.to_dict() for count in counts]
                for name, counts in self.facets.items()
            },
            "hits": [hit.to_dict() for hit in self.hits],
        }
