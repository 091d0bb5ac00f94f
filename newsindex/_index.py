"""The :class:`NewsIndex` facade: open or create an index, write, search."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import numpy as np

from newsindex._analysis import Analyzer
from newsindex._article import Article
from newsindex._directory import MANIFEST_NAME, IndexDirectory, prepare_new
from newsindex._expansions import ExpansionsArg, expansions_of
from newsindex._lexicon import complete
from newsindex._manifest import Manifest
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
from newsindex._searching import search
from newsindex._snapshot import Snapshot, load_snapshot
from newsindex._stemtable import attach_stem_table

if TYPE_CHECKING:  # imported where used: a search needs none of them
    from newsindex._checking import CheckReport
    from newsindex._merging import MergeSummary
    from newsindex._stats import IndexStats
    from newsindex._writing import IndexWriter, WriteSummary

from newsindex.errors import (
    IndexClosedError,
    IndexLockedError,
    IndexNotFoundError,
)


class NewsIndex:
    """An on-disk index of news articles.

    Create one with :meth:`create` or open one with :meth:`open`. A
    ``NewsIndex`` may be shared by any number of threads: searches see each
    new commit (by this or any other process) on their next call, without
    reopening. Writing takes the index's lock, so one process writes at a
    time while others keep searching.

    Args (of :meth:`open` and :meth:`create`):
        path: the index directory.
        analyzer: the analyzer; when opening, it must equal the one the
            index was built with (default: the recorded one).
        ranking: ranking constants (default: the tuned ones).
        limits: bounds on the cost of a query (default: :class:`QueryLimits`).
        expansions: other forms of words that queries also search (an
            ``Expansions``, or a mapping ``{"KPK": "Komisi ..."}`` to add).
    """

    def __init__(
        self,
        path: Path,
        analyzer: Analyzer,
        ranking: Ranking | None,
        limits: QueryLimits | None,
        expansions: ExpansionsArg = None,
    ) -> None:
        self._expansions = expansions_of(expansions)
        self._path = path
        self._analyzer = analyzer
        self._ranking = ranking or Ranking()
        self._limits = limits or QueryLimits()
        self._directory = IndexDirectory(os.path.realpath(path))
        attach_stem_table(self._analyzer, self._directory)
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._closed = False

    # -- construction --------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        analyzer: Analyzer | None = None,
        ranking: Ranking | None = None,
        limits: QueryLimits | None = None,
        expansions: ExpansionsArg = None,
    ) -> NewsIndex:
        """Create a new, empty index in ``path`` (made if missing).

        Raises:
            IndexExistsError: ``path`` is not an empty directory.
        """
        root = Path(path)
        prepare_new(root)
        analyzer = analyzer or Analyzer()
        from newsindex.schema import build_schema

        IndexDirectory(str(root)).create(build_schema())
        # The manifest comes last: its presence marks a complete index.
        Manifest.create(root, analyzer)
        return cls(root, analyzer, ranking, limits, expansions)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        analyzer: Analyzer | None = None,
        ranking: Ranking | None = None,
        limits: QueryLimits | None = None,
        expansions: ExpansionsArg = None,
    ) -> NewsIndex:
        """Open the index in ``path``.

        Raises:
            IndexNotFoundError: there is no index there.
            IndexFormatError: it was written by an incompatible version.
            AnalyzerMismatchError: ``analyzer`` differs from the index's.
        """
        root = Path(path)
        if not root.is_dir():
            raise IndexNotFoundError(f"no newsindex index at {root}")
        chosen = Manifest.read(root).analyzer(analyzer)
        index = cls(root, chosen, ranking, limits, expansions)
        index._current()  # fail now, not at the first search, if it is damaged
        return index

    @classmethod
    def open_or_create(
        cls,
        path: str | os.PathLike[str],
        *,
        analyzer: Analyzer | None = None,
        ranking: Ranking | None = None,
        limits: QueryLimits | None = None,
        expansions: ExpansionsArg = None,
    ) -> NewsIndex:
        """Open the index in ``path``, creating it if there is none."""
        root = Path(path)
        make = cls.open if (root / MANIFEST_NAME).exists() else cls.create
        return make(
            root, analyzer=analyzer, ranking=ranking, limits=limits,
            expansions=expansions,
        )  # fmt: skip

    # -- properties ------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The index directory."""
        return self._path

    @property
    def analyzer(self) -> Analyzer:
        """The analyzer this index is built and searched with."""
        return self._analyzer

    @property
    def ranking(self) -> Ranking:
        """The ranking constants searches use."""
        return self._ranking

    # -- snapshots ---------------------------------------------------------------

    def _current(self) -> Snapshot:
        """The snapshot of the latest commit, reopened if it changed.

        Follows a newer commit, and a swap of the directory behind a
        symbolic link (see :func:`swap_index`).
        """
        if self._closed:
            raise IndexClosedError(f"the index at {self._path} was closed")
        real = os.path.realpath(self._path)
        if real != self._directory.folder:
            self._follow_swap(real)
        latest = self._directory.latest_generation()
        snapshot = self._snapshot
        if snapshot is not None and snapshot.generation == latest:
            return snapshot
        with self._lock:
            snapshot = self._snapshot
            if snapshot is None or snapshot.generation != latest:
                snapshot = load_snapshot(self._directory, snapshot)
                # Replaced snapshots are not closed here: a search in another
                # thread may still be reading them. Their files close when the
                # last reference goes.
                self._snapshot = snapshot
            return snapshot

    def _follow_swap(self, real: str) -> None:
        """Switch to the index a swapped symbolic link now points at."""
        with self._lock:
            if real == self._directory.folder:
                return
            Manifest.read(Path(real)).analyzer(self._analyzer)
            self._directory = IndexDirectory(real)
            attach_stem_table(self._analyzer, self._directory)
            # Drop the old snapshot (searches still using it keep it alive);
            # generations of two indexes are not comparable.
            self._snapshot = None

    # -- writing -------------------------------------------------------------------

    def writer(self, *, timeout: float = 10.0, jobs: int = 1) -> IndexWriter:
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
        from newsindex._writing import IndexWriter

        return IndexWriter(self._writable(), self._analyzer, timeout=timeout, jobs=jobs)

    def _writable(self) -> IndexDirectory:
        """The directory to write to: the one a swapped link points at now."""
        if self._closed:
            raise IndexClosedError(f"the index at {self._path} was closed")
        real = os.path.realpath(self._path)
        if real != self._directory.folder:
            self._follow_swap(real)
        return self._directory

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
        from newsindex._merging import merge_committed

        return merge_committed(self._writable(), timeout=timeout)

    def optimize(self, *, timeout: float = 10.0) -> MergeSummary:
        """Merge all segments into one and drop deleted articles' data, like
        :meth:`merge` holding the write lock only to publish the result."""
        from newsindex._merging import merge_committed

        return merge_committed(self._writable(), everything=True, timeout=timeout)

    # -- reading -------------------------------------------------------------------

    def count(self) -> int:
        """Number of articles in the latest commit."""
        return self._current().doc_count

    def get(self, article_id: str) -> Article | None:
        """Return the article with ``article_id``, or ``None``."""
        for segment in self._current().segments:
            docnums = segment.docnums_for_id(article_id)
            if docnums:
                return segment.article(docnums[-1])
        return None

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
        snapshot = self._current()
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
        return search(
            snapshot, self._analyzer, self._ranking, self._limits, query, options,
            self._expansions,
        )  # fmt: skip

    def suggest(self, prefix: str, limit: int = 10) -> tuple[str, ...]:
        """Autocomplete: ``prefix`` with its last word completed by the index's
        words, most used first (``"harga ba"``: ``("harga baru", ...)``).

        Raises:
            QueryError: ``prefix`` is not text, or a bad ``limit``.
        """
        return complete(self._current(), prefix, limit, self._limits.max_limit)

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
        snapshot, analyzer = self._current(), self._analyzer
        from newsindex._related import related_articles

        return related_articles(
            snapshot, analyzer, self._ranking, self._limits, article_id,
            limit=limit, since=since, until=until,
        )  # fmt: skip

    def check(self) -> CheckReport:
        """Read the whole latest commit and report any damage (see
        :func:`newsindex.check_index`); never raises for damage."""
        from newsindex._checking import check_index

        return check_index(self._path)

    def stats(self) -> IndexStats:
        """Counts, size on disk, date range, sources and categories of the
        index (see :class:`IndexStats`)."""
        snapshot = self._current()
        # From the files as opened: a commit may delete them meanwhile.
        size = snapshot.size_bytes + self._manifest_size()
        from newsindex._stats import index_stats

        return index_stats(snapshot, str(self._path), size, self._analyzer)

    def _manifest_size(self) -> int:
        try:
            return os.stat(os.path.join(self._directory.folder, MANIFEST_NAME)).st_size
        except OSError:  # swapped away meanwhile
            return 0

    def __iter__(self) -> Iterator[Article]:
        """Every article of the latest commit (as of the call), in index
        order; commits made while iterating do not change what it yields."""
        snapshot = self._current()
        for segment in snapshot.segments:
            for docnum in np.flatnonzero(segment.live).tolist():
                yield segment.article(docnum)

    # -- lifetime ----------------------------------------------------------------

    def close(self) -> None:
        """Close the index's files. Searching afterwards raises."""
        with self._lock:
            if self._snapshot is not None:
                self._snapshot.close()
                self._snapshot = None
            self._closed = True

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
        return f"NewsIndex({str(self._path)!r})"
