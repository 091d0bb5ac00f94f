"""The :class:`NewsIndex` facade: open or create an index, write, search.

Everything here forwards to the index's engine (``_engine.py``): the
embedded one for a directory, Xapian for a ``xapian:`` location.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from newsindex._analysis import Analyzer
from newsindex._article import Article
from newsindex._engine import Engine, Settings, Writer, WriteSummary
from newsindex._expansions import ExpansionsArg
from newsindex._locations import open_engine
from newsindex._options import (
    DEFAULT_TYPOS,
    DateBound,
    FacetName,
    Names,
    SearchOptions,
    Sort,
    Typos,
)
from newsindex._query import QueryLimits
from newsindex._ranking import Ranking
from newsindex._results import SearchResults

if TYPE_CHECKING:  # imported where used: a search needs none of them
    from newsindex._checking import CheckReport
    from newsindex._merging import MergeSummary
    from newsindex._stats import IndexStats

from newsindex.errors import IndexLockedError

Location = str | os.PathLike[str]


class NewsIndex:
    """An index of news articles.

    Create one with :meth:`create` or open one with :meth:`open`. A
    ``NewsIndex`` may be shared by any number of threads: searches see each
    new commit (by this or any other process) on their next call, without
    reopening. Writing takes the index's lock, so one process writes at a
    time while others keep searching.

    Args (of :meth:`open` and :meth:`create`):
        location: the index directory; or ``xapian:PATH`` for one Xapian
            database, ``xapian+tcp://HOST:PORT[,HOST:PORT...]`` for Xapian
            shards served by ``xapian-tcpsrv`` (see the README, "Beyond one
            machine").
        analyzer: the analyzer; when opening, it must equal the one the
            index was built with (default: the recorded one).
        ranking: ranking constants (default: the tuned ones).
        limits: bounds on the cost of a query (default: :class:`QueryLimits`).
        expansions: other forms of words that queries also search (an
            ``Expansions``, or a mapping ``{"KPK": "Komisi ..."}`` to add).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- construction --------------------------------------------------------

    @classmethod
    def create(
        cls,
        location: Location,
        *,
        analyzer: Analyzer | None = None,
        ranking: Ranking | None = None,
        limits: QueryLimits | None = None,
        expansions: ExpansionsArg = None,
    ) -> NewsIndex:
        """Create a new, empty index at ``location`` (a directory is made if
        missing).

        Raises:
            IndexExistsError: ``location`` is not an empty directory (or an
                empty Xapian database).
        """
        settings = _settings(analyzer, ranking, limits, expansions)
        return cls(open_engine(location, settings, create=True))

    @classmethod
    def open(
        cls,
        location: Location,
        *,
        analyzer: Analyzer | None = None,
        ranking: Ranking | None = None,
        limits: QueryLimits | None = None,
        expansions: ExpansionsArg = None,
    ) -> NewsIndex:
        """Open the index at ``location``.

        Raises:
            IndexNotFoundError: there is no index there.
            IndexFormatError: it was written by an incompatible version.
            AnalyzerMismatchError: ``analyzer`` differs from the index's.
        """
        settings = _settings(analyzer, ranking, limits, expansions)
        return cls(open_engine(location, settings, create=False))

    @classmethod
    def open_or_create(
        cls,
        location: Location,
        *,
        analyzer: Analyzer | None = None,
        ranking: Ranking | None = None,
        limits: QueryLimits | None = None,
        expansions: ExpansionsArg = None,
    ) -> NewsIndex:
        """Open the index at ``location``, creating it if there is none."""
        settings = _settings(analyzer, ranking, limits, expansions)
        return cls(open_engine(location, settings, create=None))

    # -- properties ------------------------------------------------------------

    @property
    def location(self) -> str:
        """Where the index is, as given (a directory, or a Xapian location)."""
        return self._engine.location

    @property
    def path(self) -> Path:
        """The index directory (for a Xapian location, the location as a
        path: prefer :attr:`location`)."""
        return Path(self._engine.location)

    @property
    def analyzer(self) -> Analyzer:
        """The analyzer this index is built and searched with."""
        return self._engine.analyzer

    # -- writing -------------------------------------------------------------------

    def writer(self, *, timeout: float = 10.0, jobs: int = 1) -> Writer:
        """Start an atomic batch of changes (see :class:`IndexWriter`).

        Args:
            timeout: seconds to wait for another writer to finish.
            jobs: processes that analyse articles. More than one pays off
                for bulk loads (thousands of articles); each worker starts
                in about half a second and warms its own stemming cache.

        Raises:
            IndexLockedError: the lock stayed taken for ``timeout`` seconds.
            ConfigurationError: ``jobs`` is not a positive integer.
        """
        return self._engine.writer(timeout, jobs)

    def add(self, article: Article, *, timeout: float = 10.0) -> WriteSummary:
        """Add or replace one article and commit (see :meth:`writer`)."""
        return self.add_many([article], timeout=timeout)

    def add_many(
        self, articles: Iterable[Article], *, timeout: float = 10.0, jobs: int = 1
    ) -> WriteSummary:
        """Add or replace articles in one atomic commit (see :meth:`writer`).

        With ``jobs`` above 1 (a bulk load), :meth:`merge` follows the commit.
        """
        with self.writer(timeout=timeout, jobs=jobs) as writer:
            writer.add_many(articles)
            summary = writer.commit()
        if jobs > 1:  # committed: a writer that came meanwhile postpones it
            with contextlib.suppress(IndexLockedError):
                self.merge(timeout=timeout)
        return summary

    def delete(self, article_id: str, *, timeout: float = 10.0) -> bool:
        """Delete one article and commit; return whether it existed."""
        with self.writer(timeout=timeout) as writer:
            found = writer.delete(article_id)
        return found

    def merge(self, *, timeout: float = 10.0) -> MergeSummary:
        """Do the merges that commits left for later, so that searches read
        few segments (see the README, "Threads, processes and failures").

        Commits merge only small segments, to stay quick; call this after a
        bulk load, or every so often from a background thread or a scheduled
        job while articles stream in. Other processes keep searching and
        writing meanwhile: the write lock is held only to publish each merge.
        One process merges an index at a time; another caller returns at
        once, having merged nothing.

        Args:
            timeout: seconds to wait for a writer before publishing a merge.

        Raises:
            IndexLockedError: a writer held the lock for ``timeout`` seconds.
        """
        return self._engine.merge(timeout, everything=False)

    def optimize(self, *, timeout: float = 10.0) -> MergeSummary:
        """Merge all segments into one and drop deleted articles' data, like
        :meth:`merge` holding the write lock only to publish the result."""
        return self._engine.merge(timeout, everything=True)

    # -- reading -------------------------------------------------------------------

    def count(self) -> int:
        """Number of articles in the latest commit."""
        return self._engine.count()

    def get(self, article_id: str) -> Article | None:
        """Return the article with ``article_id``, or ``None``."""
        return self._engine.get(article_id)

    def __contains__(self, article_id: object) -> bool:
        return isinstance(article_id, str) and self.get(article_id) is not None

    # Long: the signature and docstring list every search option; the body
    # is one call.
    def search(
        self,
        query: str,
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
        facets: Iterable[FacetName] = (),
        typos: Typos = DEFAULT_TYPOS,
        collapse: bool = False,
        recency: float | None = None,
    ) -> SearchResults:
        """Search the latest commit.

        Args:
            query: free text; ``"phrases"``, ``-word`` and ``OR`` work (see
                the README's query language). Any string is accepted.
            limit: hits per page, 1 to 1,000 (default 10).
            offset: hits to skip; or give ``page`` instead.
            page: 1-based page number (``offset = (page - 1) * limit``).
            since: earliest publication date (date, datetime or ISO
                string), inclusive.
            until: latest publication date, inclusive (a date means the
                whole day).
            sources: keep only these publishers (case-insensitive).
            categories: keep only these sections (case-insensitive).
            sort: ``"relevance"`` or ``"newest"`` (newest first among the
                articles that match the most query words).
            snippets: highlight query words (set ``False`` for a plain
                lead snippet, slightly faster).
            facets: count the matching articles by ``"source"``,
                ``"category"`` and/or ``"month"`` (``results.facets``).
            typos: ``"auto"`` (the default) lets a query word that matches
                nothing match close words too (1 typo from 5 letters, 2 from
                9), ranked below the words as typed; ``"off"`` does not.
                Either way ``results.suggestion`` offers a corrected query.
            collapse: keep one hit of each group of near-copies (syndicated
                stories), listing the others in ``hit.duplicates``; ``total``
                then counts the groups, and a note the articles folded.
            recency: a half-life in days: the score is multiplied by 0.5 for
                each half-life an article is older than the newest match.

        Returns:
            a :class:`SearchResults`; an unsearchable query gives empty
            results with the reason in ``notes``.

        Raises:
            QueryError: a bad limit, offset, page, sort, or date.
        """
        options = SearchOptions(
            limit=limit,
            offset=offset,
            page=page,
            since=since,
            until=until,
            sources=sources,
            categories=categories,
            sort=sort,
            snippets=snippets,
            facets=facets,
            typos=typos,
            collapse=collapse,
            recency=recency,
        )
        return self._engine.search(query, options)

    def suggest(self, prefix: str, limit: int = 10) -> tuple[str, ...]:
        """Autocomplete: ``prefix`` with its last word completed by the index's
        words, most used first (``"harga ba"``: ``("harga baru", ...)``).

        Raises:
            QueryError: ``prefix`` is not text, or a bad ``limit``.
        """
        return self._engine.suggest(prefix, limit)

    def related(
        self,
        article_id: str,
        *,
        limit: int = 10,
        since: DateBound = None,
        until: DateBound = None,
    ) -> SearchResults:
        """Articles about the same story as ``article_id`` (more like this:
        its most distinctive words, searched under the date filters), never
        the article itself or its near-copies; near-copies among them are
        collapsed into ``hit.duplicates``, and ``results.query`` holds the
        words searched.

        Raises:
            QueryError: no article has ``article_id``; a bad limit or date.
        """
        return self._engine.related(article_id, limit, since, until)

    def check(self) -> CheckReport:
        """Read the whole latest commit and report any damage (see
        :func:`newsindex.check_index`); never raises for damage."""
        return self._engine.check()

    def stats(self) -> IndexStats:
        """Counts, size on disk, date range, sources and categories of the
        index (see :class:`IndexStats`)."""
        return self._engine.stats()

    def __iter__(self) -> Iterator[Article]:
        """Every article of the latest commit (as of the call), in index
        order; commits made while iterating do not change what it yields."""
        return self._engine.articles()

    # -- lifetime ----------------------------------------------------------------

    def close(self) -> None:
        """Close the index's files. Searching afterwards raises."""
        self._engine.close()

    def __enter__(self) -> NewsIndex:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"NewsIndex({self._engine.location!r})"


def _settings(
    analyzer: Analyzer | None,
    ranking: Ranking | None,
    limits: QueryLimits | None,
    expansions: ExpansionsArg,
) -> Settings:
    return Settings(
        analyzer=analyzer,
        ranking=ranking or Ranking(),
        limits=limits or QueryLimits(),
        expansions=expansions,
    )
