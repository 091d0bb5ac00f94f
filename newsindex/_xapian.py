"""The Xapian engine: one Xapian database, or shards served by ``xapian-tcpsrv``.

Imported only when a ``xapian:`` or ``xapian+tcp://`` location is opened
(see ``_locations.py``): Xapian's Python bindings are GPL-2+ and come from
the system's packages, not from pip (see the README, "Beyond one machine").

What a document holds (one per article):

* its terms, from newsindex's :class:`Analyzer`, with positions: body terms
  as they are, title terms with Xapian's title prefix ``S``;
* boolean terms: ``Q`` + id (the unique id, so that an upsert replaces),
  ``XS`` and ``XC`` + the source's and category's facet key (for filters);
* values: the publication key (``DATE``), the source and category as
  written, the month, the two fields' lengths, the id, and the analysed
  title and body (their terms in order, compressed);
* its data: the article as compressed JSON (:meth:`Article.to_dict`).

The modules: ``_xapian_store.py`` (places, documents, metadata),
``_xapian_search.py`` (one search), ``_xapian_writer.py`` (batches), this
one (opening, and the engine). They alone import the bindings.

Each database's metadata records the analyzer, the shard's place among the
shards (articles are routed by a CRC-32 of their id, fixed at creation), and
the total length of each field, so that the average lengths are the same
whether the articles sit in one database or in several.

A search asks Xapian (BM25, titles weighted) for its best candidates, then
scores them as the embedded engine does (BM25F with the index-wide
statistics, coordination, proximity and lead; see ``_ranking.py``) from
their stored analysed fields; the page's text is analysed again for the
snippets' offsets, so hits and snippets are built as the embedded engine
builds them.
"""

from __future__ import annotations

import heapq
import os
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import xapian  # type: ignore[import-not-found,unused-ignore]

from newsindex._analysis import Analyzer
from newsindex._article import Article
from newsindex._engine import Settings
from newsindex._expansions import expansions_of
from newsindex._lexicon import complete_last_word
from newsindex._options import DateBound, SearchOptions
from newsindex._results import FacetCount, SearchResults
from newsindex._searching import Request
from newsindex._stats import iso_day
from newsindex._xapian_search import Found, Search
from newsindex._xapian_store import (
    CATEGORY,
    DATE,
    PARTIAL,
    SOURCE,
    Place,
    article_of,
    combined,
    connect,
    count_values,
    facet_counts,
    initialise,
    open_checked,
    parse_places,
    read_record,
    shard_of,
)
from newsindex._xapian_writer import XapianWriter
from newsindex.errors import (
    AnalyzerMismatchError,
    ConfigurationError,
    IndexClosedError,
    IndexExistsError,
    IndexNotFoundError,
    NewsIndexError,
    ShardUnavailableError,
)

if TYPE_CHECKING:
    from newsindex._checking import CheckReport
    from newsindex._merging import MergeSummary
    from newsindex._stats import IndexStats


# -- opening -----------------------------------------------------------------

_T = TypeVar("_T")

#: Words read for one completion, in alphabetical order from the prefix: a
#: one-letter prefix may miss a much used word further on.
COMPLETION_SCAN = 20_000


def open_xapian(
    location: str, settings: Settings, *, create: bool | None
) -> XapianEngine:
    """The Xapian index at ``location`` (see ``_locations.open_engine``)."""
    places = parse_places(location)
    records: list[dict[str, Any] | None] = []
    for i, place in enumerate(places):
        if place.path is not None and not create and not os.path.isdir(place.path):
            if create is None:
                records.append(None)
                continue
            raise IndexNotFoundError(f"no Xapian database at {place.path}")
        db = open_checked(place, create=create is not False)
        try:
            records.append(read_record(db, place, i, len(places)))
        finally:
            db.close()
    made = [r is not None for r in records]
    if any(made) and create:
        raise IndexExistsError(f"{location} already holds a newsindex index")
    if not all(made) and any(made):
        missing = [str(p) for p, r in zip(places, records, strict=True) if r is None]
        raise ConfigurationError(
            f"{location}: shards {', '.join(missing)} are empty while the others "
            "hold an index; give the shards the index was created with"
        )
    if not any(made):
        if create is False:
            raise IndexNotFoundError(f"no newsindex index at {location}")
        analyzer = settings.analyzer or Analyzer()
        for i, place in enumerate(places):
            initialise(place, analyzer, i, len(places))
        return XapianEngine(location, places, analyzer, settings)
    described = records[0]
    assert described is not None
    recorded = Analyzer.from_description(described)
    if settings.analyzer is not None and settings.analyzer != recorded:
        raise AnalyzerMismatchError(
            f"the index at {location} was built with another analyzer "
            f"({recorded.fingerprint()}); open it without an analyzer, or re-index"
        )
    for place, record in zip(places, records, strict=True):
        if record != described:
            raise AnalyzerMismatchError(
                f"shard {place} of {location} was built with another analyzer "
                "than the first shard"
            )
    return XapianEngine(location, places, recorded, settings)


# -- the engine --------------------------------------------------------------


class XapianEngine:
    """A Xapian database or shards behind newsindex's API; thread-safe
    (each thread reads through its own connections)."""

    def __init__(
        self, location: str, places: list[Place], analyzer: Analyzer, settings: Settings
    ) -> None:
        self._location = location
        self._places = places
        self._analyzer = analyzer
        self._ranking = settings.ranking
        self._limits = settings.limits
        self._expansions = expansions_of(settings.expansions)
        self._local = threading.local()
        self._closed = False
        self._partial = location.endswith(PARTIAL)

    @property
    def location(self) -> str:
        return self._location

    @property
    def analyzer(self) -> Analyzer:
        return self._analyzer

    # -- connections ----------------------------------------------------------

    def _shards(self) -> list[xapian.Database]:
        """This thread's connection to each database, up to date."""
        if self._closed:
            raise IndexClosedError(f"the index at {self._location} was closed")
        shards: list[xapian.Database] | None = getattr(self._local, "shards", None)
        # After a fork (a web server's workers), the parent's sockets are not
        # this process's to use.
        if shards is not None and self._local.pid == os.getpid():
            # The shards share their connections with the combined database.
            self._local.combined.reopen()
            return shards
        shards = [connect(place) for place in self._places]
        self._local.shards, self._local.combined = shards, combined(shards)
        self._local.pid = os.getpid()
        return shards

    def _read(
        self, action: Callable[[xapian.Database, list[xapian.Database]], _T]
    ) -> _T:
        """``action(combined, shards)`` on fresh connections, tried again once
        on new connections if a shard moved on or the network failed."""
        for attempt in (1, 2):
            try:
                shards = self._shards()
                return action(self._local.combined, shards)
            except (xapian.DatabaseModifiedError, xapian.NetworkError) as exc:
                self._local.shards = None
                if attempt == 2:
                    raise ShardUnavailableError(self._dead_shard(exc)) from None
        raise AssertionError("unreachable")

    def _read_live(
        self, action: Callable[[xapian.Database, list[xapian.Database]], _T]
    ) -> tuple[_T, list[str]]:
        """``action`` on the shards that answer, and the others' names."""
        live, dead = [], []
        for place in self._places:
            try:
                live.append(connect(place))
            except (ShardUnavailableError, IndexNotFoundError):
                dead.append(str(place))
        if not live:
            raise ShardUnavailableError(f"no shard of {self._location} is answering")
        try:
            return action(combined(live), live), dead
        except (xapian.DatabaseModifiedError, xapian.NetworkError) as exc:
            raise ShardUnavailableError(self._dead_shard(exc)) from None

    def _dead_shard(self, exc: Exception) -> str:
        """Which shard failed, in words (each is tried on its own)."""
        for place in self._places:
            try:
                connect(place).close()
            except (ShardUnavailableError, IndexNotFoundError):
                return f"shard {place} of {self._location} is not answering"
        return f"{self._location}: {exc}"

    # -- reading --------------------------------------------------------------

    def count(self) -> int:
        return self._read(lambda db, _: int(db.get_doccount()))

    def get(self, article_id: str) -> Article | None:
        def find(db: xapian.Database, _: object) -> Article | None:
            for item in db.postlist("Q" + article_id):
                return article_of(db.get_document(item.docid))
            return None

        return self._read(find)

    def articles(self) -> Iterator[Article]:
        """Every article, read as they are yielded (an archive need not fit
        in memory), through connections of its own (so that searches
        meanwhile, which reopen theirs, leave it at the revision it began)."""
        self._read(lambda db, _: None)  # fails now, naming a dead shard
        db = combined(connect(place) for place in self._places)
        try:
            for item in db.postlist(""):
                yield article_of(db.get_document(item.docid))
        except (xapian.DatabaseModifiedError, xapian.NetworkError) as exc:
            raise ShardUnavailableError(
                f"reading every article of {self._location} stopped: {exc} "
                "(writers moved the index on meanwhile, or a shard stopped "
                "answering); start again"
            ) from None

    def search(self, query: str, options: SearchOptions) -> SearchResults:
        request = Request.of(
            query, options, self._analyzer, self._limits, self._expansions
        )
        if options.collapse:
            request.notes.append(
                "collapse is not available on Xapian locations; nothing folded"
            )
        if request.parsed.empty_reason is not None:
            return request.results(0, ())

        def run(db: xapian.Database, shards: list[xapian.Database]) -> Found:
            search = Search(
                db, shards, self._analyzer, self._ranking, request.parsed, options,
                request.filters,
            )  # fmt: skip
            return search.run(request.offset, request.limit)

        try:
            found = self._read(run)
        except ShardUnavailableError:
            if not self._partial:
                raise
            found, dead = self._read_live(run)
            request.notes.append(
                f"shard {', '.join(dead)} did not answer: these results come "
                "from the other shards only"
            )
        return request.results(found.total, tuple(found.hits), found.facets)

    def suggest(self, prefix: str, limit: int) -> tuple[str, ...]:
        def words(word: str, n: int) -> list[str]:
            def most_used(db: xapian.Database, _: object) -> list[str]:
                found = []
                for item in db.allterms("W" + word):
                    found.append((-item.termfreq, item.term[1:].decode("utf-8")))
                    if len(found) == COMPLETION_SCAN:
                        break
                return [w for _, w in heapq.nsmallest(n, found)]

            return self._read(most_used)

        return complete_last_word(prefix, words, limit, self._limits.max_limit)

    def related(
        self, article_id: str, limit: int, since: DateBound, until: DateBound
    ) -> SearchResults:
        raise ConfigurationError(
            "related articles are not available on Xapian locations"
        )

    def stats(self) -> IndexStats:
        from newsindex._stats import IndexStats

        def gather(db: xapian.Database, shards: list[xapian.Database]) -> IndexStats:
            n = int(db.get_doccount())
            counted = count_values(db, xapian.Query.MatchAll, (SOURCE, CATEGORY), n)
            # Body terms as they are, title terms after their prefix S; the
            # other capitals prefix ids, sources and categories.
            terms = {
                t[1:] if t[:1] == b"S" else t
                for t in (item.term for item in db.allterms())
                if t[:1] == b"S" or not t[:1].isupper()
            }
            dated = db.get_value_freq(DATE) if n else 0
            return IndexStats(
                path=self._location,
                articles=n,
                deleted=0,
                segments=len(shards),
                terms=len(terms),
                size_bytes=sum(_size(p) for p in self._places),
                earliest=_iso(db.get_value_lower_bound(DATE)) if dated else None,
                latest=_iso(db.get_value_upper_bound(DATE)) if dated else None,
                sources=_pairs(facet_counts(counted[SOURCE], "source")),
                categories=_pairs(facet_counts(counted[CATEGORY], "category")),
                analyzer=self._analyzer.fingerprint(),
            )

        return self._read(gather)

    def check(self) -> CheckReport:
        from newsindex._checking import CheckReport

        def inspect(db: xapian.Database, shards: list[xapian.Database]) -> CheckReport:
            problems: list[str] = []
            live = 0
            for i, (place, shard) in enumerate(zip(self._places, shards, strict=True)):
                try:
                    record = read_record(shard, place, i, len(shards))
                except NewsIndexError as exc:
                    problems.append(str(exc))
                    continue
                if record != self._analyzer.describe():
                    problems.append(f"shard {place} records another analyzer")
                for item in shard.postlist(""):
                    doc = shard.get_document(item.docid)
                    try:
                        article = article_of(doc)
                    except (ValueError, KeyError, TypeError) as exc:
                        problems.append(
                            f"{place}: document {item.docid} does not decode: {exc}"
                        )
                        continue
                    live += 1
                    if shard.get_termfreq("Q" + article.id) != 1:
                        problems.append(f"{place}: id {article.id!r} is there twice")
                    if shard_of(article.id, len(shards)) != i:
                        problems.append(
                            f"{place}: id {article.id!r} belongs to another shard"
                        )
            revision = sum(_revision(s) for s in shards)
            return CheckReport(
                self._location, revision, len(shards), live, tuple(problems)
            )

        return self._read(inspect)

    # -- writing --------------------------------------------------------------

    def writer(self, timeout: float, jobs: int) -> XapianWriter:
        if self._closed:
            raise IndexClosedError(f"the index at {self._location} was closed")
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise ConfigurationError(f"jobs must be a positive integer, not {jobs!r}")
        return XapianWriter(self._places, self._analyzer, timeout, jobs)

    def merge(self, timeout: float, everything: bool) -> MergeSummary:
        """Xapian keeps its own files compact; nothing to do."""
        from newsindex._merging import MergeSummary

        return MergeSummary(0, 0, len(self._places), 0.0)

    def close(self) -> None:
        self._closed = True
        shards = getattr(self._local, "shards", None)
        if shards:
            for shard in shards:
                shard.close()
        self._local = threading.local()


def _iso(value: bytes) -> str | None:
    """A date key's day, as the embedded engine's stats give it."""
    return iso_day(int(xapian.sortable_unserialise(value)))


def _pairs(counts: tuple[FacetCount, ...]) -> tuple[tuple[str, int], ...]:
    return tuple((c.value, c.count) for c in counts)


def _revision(db: xapian.Database) -> int:
    """A database's revision (remote databases do not tell: 0)."""
    try:
        return int(db.get_revision())
    except xapian.UnimplementedError:
        return 0


def _size(place: Place) -> int:
    if place.path is None:
        return 0  # a remote shard's size is not known here
    return sum(
        os.path.getsize(os.path.join(place.path, name))
        for name in os.listdir(place.path)
    )
