"""The Xapian engine: one Xapian database, or shards served by ``xapian-tcpsrv``.

Imported only when a ``xapian:`` or ``xapian+tcp://`` location is opened
(see ``_locations.py``): Xapian's Python bindings are GPL-2+ and come from
the system's packages, not from pip (see the README, "Beyond one machine").

What a document holds (one per article):

* its terms, from newsindex's :class:`Analyzer`, with positions: body terms
  as they are, title terms with Xapian's title prefix ``S``;
* boolean terms: ``Q`` + id (the unique id, so that an upsert replaces),
  ``XS`` and ``XC`` + the source's and category's facet key (for filters);
* values: the publication key (:data:`_DATE`), the source and category as
  written, the month, and the two fields' lengths;
* its data: the article as JSON (:meth:`Article.to_dict`).

Each database's metadata records the analyzer, the shard's place among the
shards (articles are routed by a CRC-32 of their id, fixed at creation), and
the total length of each field, so that the average lengths are the same
whether the articles sit in one database or in several.

A search asks Xapian (BM25, titles weighted) for the best candidates, then
scores them as the embedded engine does (BM25F with the index-wide
statistics, coordination, proximity and lead; see ``_ranking.py``), from
the candidates' stored text analysed again; the same analysis gives the
snippets' offsets, so hits and snippets are built as the embedded engine
builds them.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs
import xapian

from newsindex._analysis import Analyzer
from newsindex._article import Article, article_from_stored
from newsindex._engine import Settings
from newsindex._expansions import expand_query, expansions_of
from newsindex._fields import facet_key
from newsindex._highlighting import highlight_matches, snippet_from_matches, spans_at
from newsindex._options import DateBound, Filters, SearchOptions
from newsindex._query import Clause, ParsedQuery, parse_query
from newsindex._ranking import Ranking
from newsindex._results import FacetCount, Hit, SearchResults
from newsindex.errors import (
    AnalyzerMismatchError,
    ArticleError,
    ConfigurationError,
    IndexClosedError,
    IndexExistsError,
    IndexLockedError,
    IndexNotFoundError,
    NewsIndexError,
    QueryError,
    WriterClosedError,
)

if TYPE_CHECKING:
    from newsindex._checking import CheckReport
    from newsindex._merging import MergeSummary
    from newsindex._stats import IndexStats
    from newsindex._writing import WriteSummary

LOCAL: Final = "xapian:"
TCP: Final = "xapian+tcp://"

# Values.
_DATE: Final = 0
_SOURCE: Final = 1
_CATEGORY: Final = 2
_MONTH: Final = 3
_TITLE_LENGTH: Final = 4
_BODY_LENGTH: Final = 5
_FACET_SLOTS: Final = {"source": _SOURCE, "category": _CATEGORY, "month": _MONTH}

# Metadata keys.
_FORMAT_KEY: Final = "newsindex.format"
_FORMAT: Final = "1"
_ANALYZER_KEY: Final = "newsindex.analyzer"
_SHARD_KEY: Final = "newsindex.shard"
_LENGTHS_KEY: Final = "newsindex.lengths"

#: Articles counted exactly for ``total``; beyond, Xapian's estimate (as
#: Elasticsearch counts up to 10,000 by default).
EXACT_TOTAL: Final = 10_000
#: Seconds to wait for a shard's server to answer.
_TIMEOUT: Final = 10.0

_T = TypeVar("_T")


class ShardUnavailableError(NewsIndexError, ConnectionError):
    """A shard (or the one database) did not answer."""


# -- locations ---------------------------------------------------------------


@attrs.frozen
class Place:
    """Where one database is: a local path, or a ``xapian-tcpsrv`` endpoint."""

    path: str | None = None
    host: str | None = None
    port: int = 0

    def __str__(self) -> str:
        return self.path if self.path is not None else f"{self.host}:{self.port}"


def parse_places(location: str) -> list[Place]:
    """The databases of a Xapian location, in shard order."""
    if location.startswith(TCP):
        places = []
        for part in location[len(TCP) :].split(","):
            host, sep, port = part.strip().rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ConfigurationError(
                    f"bad shard {part!r} in {location!r}: give HOST:PORT"
                )
            places.append(Place(host=host.strip("[]"), port=int(port)))
        return places
    path = location[len(LOCAL) :]
    if not path:
        raise ConfigurationError(f"{location!r} names no database: give xapian:PATH")
    return [Place(path=os.path.expanduser(path))]


def shard_of(article_id: str, shards: int) -> int:
    """The shard an article lives in: fixed by its id and the shard count."""
    return zlib.crc32(article_id.encode("utf-8")) % shards


def _connect(place: Place) -> xapian.Database:
    if place.path is not None:
        return xapian.Database(place.path)
    return xapian.remote_open(place.host, place.port, int(_TIMEOUT * 1000))


def _connect_writable(place: Place, create: bool) -> xapian.WritableDatabase:
    if place.path is not None:
        flags = xapian.DB_CREATE_OR_OPEN if create else xapian.DB_OPEN
        return xapian.WritableDatabase(place.path, flags)
    return xapian.remote_open_writable(place.host, place.port, int(_TIMEOUT * 1000))


# -- opening -----------------------------------------------------------------


def open_xapian(
    location: str, settings: Settings, *, create: bool | None
) -> XapianEngine:
    """The Xapian index at ``location`` (see ``_locations.open_engine``)."""
    places = parse_places(location)
    records = []
    for i, place in enumerate(places):
        if place.path is not None and not create and not os.path.isdir(place.path):
            if create is None:
                records.append(None)
                continue
            raise IndexNotFoundError(f"no Xapian database at {place.path}")
        db = _writable_or_fail(place, create=create is not False)
        try:
            records.append(_read_record(db, place, i, len(places)))
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
            _initialise(place, analyzer, i, len(places))
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


def _writable_or_fail(place: Place, create: bool) -> xapian.Database:
    """A handle to read one database's metadata (made if missing, locally)."""
    try:
        if place.path is not None:
            if create:
                os.makedirs(place.path, exist_ok=True)
                if not os.path.exists(os.path.join(place.path, "iamglass")):
                    _connect_writable(place, create=True).close()
            return xapian.Database(place.path)
        return _connect(place)
    except xapian.DatabaseOpeningError as exc:
        raise IndexNotFoundError(f"no Xapian database at {place}: {exc}") from None
    except xapian.NetworkError as exc:
        raise ShardUnavailableError(f"shard {place} is not answering: {exc}") from None


def _read_record(
    db: xapian.Database, place: Place, i: int, shards: int
) -> dict[str, Any] | None:
    """A database's analyzer record, after checking its format and place;
    ``None`` for an empty database that newsindex never initialised."""
    fmt = db.get_metadata(_FORMAT_KEY).decode()
    if not fmt:
        if db.get_doccount():
            raise ConfigurationError(
                f"the Xapian database at {place} is not newsindex's"
            )
        return None
    if fmt != _FORMAT:
        from newsindex.errors import IndexFormatError

        raise IndexFormatError(f"{place}: newsindex Xapian format {fmt}, not {_FORMAT}")
    shard = json.loads(db.get_metadata(_SHARD_KEY))
    if shard != {"index": i, "count": shards, "routing": "crc32"}:
        raise ConfigurationError(
            f"{place} is shard {shard['index'] + 1} of {shard['count']}, "
            f"but was given as shard {i + 1} of {shards}; give the shards in the "
            "order the index was created with"
        )
    record: dict[str, Any] = json.loads(db.get_metadata(_ANALYZER_KEY))
    return record


def _initialise(place: Place, analyzer: Analyzer, i: int, shards: int) -> None:
    db = _lock_writable(place, create=True, timeout=_TIMEOUT)
    try:
        db.set_metadata(_FORMAT_KEY, _FORMAT)
        db.set_metadata(_ANALYZER_KEY, json.dumps(analyzer.describe(), sort_keys=True))
        db.set_metadata(
            _SHARD_KEY, json.dumps({"index": i, "count": shards, "routing": "crc32"})
        )
        db.set_metadata(_LENGTHS_KEY, json.dumps({"title": 0, "body": 0}))
        db.commit()
    finally:
        db.close()


def _lock_writable(
    place: Place, create: bool, timeout: float
) -> xapian.WritableDatabase:
    """One database opened for writing, waiting up to ``timeout`` seconds for
    its lock (one writer per database)."""
    deadline = time.monotonic() + timeout
    waited = 0.0
    while True:
        try:
            return _connect_writable(place, create)
        except xapian.DatabaseLockError:
            if time.monotonic() >= deadline:
                raise IndexLockedError(
                    f"another writer holds the Xapian database at {place}",
                    waited=waited,
                ) from None
            time.sleep(0.05)
            waited += 0.05
        except xapian.NetworkError as exc:
            raise ShardUnavailableError(
                f"shard {place} is not answering: {exc}"
            ) from None


# -- documents ---------------------------------------------------------------


def _document(article: Article, analyzer: Analyzer) -> tuple[xapian.Document, int, int]:
    """The Xapian document of ``article``, and its title and body lengths."""
    doc = xapian.Document()
    title_terms, _ = analyzer.terms_and_starts(article.title)
    body_terms, _ = analyzer.terms_and_starts(article.body)
    for pos, term in enumerate(title_terms):
        doc.add_posting("S" + term, pos + 1)
    for pos, term in enumerate(body_terms):
        doc.add_posting(term, pos + 1)
    doc.add_boolean_term("Q" + article.id)
    if article.source:
        doc.add_boolean_term("XS" + facet_key(article.source))
        doc.add_value(_SOURCE, article.source)
    if article.category:
        doc.add_boolean_term("XC" + facet_key(article.category))
        doc.add_value(_CATEGORY, article.category)
    stamp = article.timestamp()
    if stamp is not None:
        doc.add_value(_DATE, xapian.sortable_serialise(stamp))
        doc.add_value(_MONTH, time.strftime("%Y-%m", time.gmtime(stamp)))
    doc.add_value(_TITLE_LENGTH, xapian.sortable_serialise(len(title_terms)))
    doc.add_value(_BODY_LENGTH, xapian.sortable_serialise(len(body_terms)))
    doc.set_data(json.dumps(article.to_dict(), ensure_ascii=False))
    return doc, len(title_terms), len(body_terms)


def _article(doc: xapian.Document) -> Article:
    return article_from_stored(json.loads(doc.get_data()))


def _lengths(doc: xapian.Document) -> tuple[int, int]:
    return (
        int(xapian.sortable_unserialise(doc.get_value(_TITLE_LENGTH))),
        int(xapian.sortable_unserialise(doc.get_value(_BODY_LENGTH))),
    )


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
        if shards is None:
            shards = []
            for place in self._places:
                try:
                    shards.append(_connect(place))
                except xapian.NetworkError as exc:
                    raise ShardUnavailableError(
                        f"shard {place} of {self._location} is not answering: {exc}"
                    ) from None
                except xapian.DatabaseOpeningError as exc:
                    raise IndexNotFoundError(
                        f"no Xapian database at {place}: {exc}"
                    ) from None
            combined = xapian.Database()
            for shard in shards:
                combined.add_database(shard)
            self._local.shards, self._local.combined = shards, combined
        else:
            for shard in shards:
                shard.reopen()
            self._local.combined.reopen()
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

    def _dead_shard(self, exc: Exception) -> str:
        """Which shard failed, in words (each is tried on its own)."""
        for place in self._places:
            try:
                _connect(place).close()
            except (xapian.NetworkError, xapian.DatabaseOpeningError):
                return f"shard {place} of {self._location} is not answering"
        return f"{self._location}: {exc}"

    # -- reading --------------------------------------------------------------

    def count(self) -> int:
        return self._read(lambda db, _: int(db.get_doccount()))

    def get(self, article_id: str) -> Article | None:
        def find(db: xapian.Database, _: object) -> Article | None:
            for item in db.postlist("Q" + article_id):
                return _article(db.get_document(item.docid))
            return None

        return self._read(find)

    def articles(self) -> Iterator[Article]:
        def every(db: xapian.Database, _: object) -> list[Article]:
            return [_article(db.get_document(item.docid)) for item in db.postlist("")]

        yield from self._read(every)

    def search(self, query: str, options: SearchOptions) -> SearchResults:
        started = time.perf_counter()
        if not isinstance(query, str):
            raise QueryError(f"query must be a string, not {type(query).__name__}")
        limit, offset = options.window(self._limits)
        filters, notes = options.filters(self._limits)
        parsed = expand_query(
            parse_query(query, self._analyzer, self._limits),
            self._analyzer,
            self._expansions,
        )
        notes = [*parsed.notes, *notes]
        if options.collapse:
            notes.append(
                "collapse is not available on Xapian locations; nothing folded"
            )
        found: _Found = _Found(0, [], {})
        if parsed.empty_reason is not None:
            notes.append(parsed.empty_reason)
        else:
            found = self._read(
                lambda db, shards: _Search(
                    db, shards, self._analyzer, self._ranking, parsed, options, filters
                ).run(offset, limit)
            )
            if found.total == 0:
                notes.append("no article matches the query and filters")
        return SearchResults(
            query,
            found.total,
            tuple(found.hits),
            time.perf_counter() - started,
            offset,
            limit,
            options.sort,
            tuple(notes),
            facets=found.facets,
        )

    def suggest(self, prefix: str, limit: int) -> tuple[str, ...]:
        if not isinstance(prefix, str):
            raise QueryError(f"prefix must be a string, not {type(prefix).__name__}")
        return ()

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
            counted = _count_values(db, xapian.Query.MatchAll, (_SOURCE, _CATEGORY), n)
            terms = sum(1 for item in db.allterms() if not item.term[:1].isupper())
            dated = db.get_value_freq(_DATE) if n else 0
            return IndexStats(
                path=self._location,
                articles=n,
                deleted=0,
                segments=len(shards),
                terms=terms,
                size_bytes=sum(_size(p) for p in self._places),
                earliest=_iso(db.get_value_lower_bound(_DATE)) if dated else None,
                latest=_iso(db.get_value_upper_bound(_DATE)) if dated else None,
                sources=_ranked(counted[_SOURCE]),
                categories=_ranked(counted[_CATEGORY]),
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
                    record = _read_record(shard, place, i, len(shards))
                except NewsIndexError as exc:
                    problems.append(str(exc))
                    continue
                if record != self._analyzer.describe():
                    problems.append(f"shard {place} records another analyzer")
                for item in shard.postlist(""):
                    doc = shard.get_document(item.docid)
                    try:
                        article = _article(doc)
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
            revision = sum(int(s.get_revision()) for s in shards)
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
        return XapianWriter(self._places, self._analyzer, timeout)

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


# -- one search --------------------------------------------------------------


@attrs.frozen
class _Found:
    total: int
    hits: list[Hit]
    facets: dict[str, tuple[FacetCount, ...]]


@attrs.define
class _Candidate:
    """One article Xapian found, analysed again for scoring and snippets."""

    key: int  # its order in Xapian's answer, the last tie-break
    article: Article
    fields: dict[str, tuple[list[str], list[int]]]  # field -> (terms, starts)
    score: float = 0.0
    matched: int = 0


class _Search:
    def __init__(
        self,
        db: xapian.Database,
        shards: list[xapian.Database],
        analyzer: Analyzer,
        ranking: Ranking,
        parsed: ParsedQuery,
        options: SearchOptions,
        filters: Filters,
    ) -> None:
        self.db, self.shards = db, shards
        self.analyzer, self.ranking = analyzer, ranking
        self.parsed, self.options, self.filters = parsed, options, filters
        self.n = max(int(db.get_doccount()), 1)
        totals = Counter[str]()
        for shard in shards:
            totals.update(json.loads(shard.get_metadata(_LENGTHS_KEY) or b"{}"))
        self.avg = {f: (totals[f] / self.n) or 1.0 for f in ("title", "body")}
        self.weight = {"title": ranking.title_weight, "body": 1.0}
        self.b = {"title": ranking.b_title, "body": ranking.b_body}
        self._idf: dict[str | tuple[str, ...], float] = {}

    # -- Xapian's part --------------------------------------------------------

    def _alternative(self, alt: tuple[str, ...]) -> xapian.Query:
        boost = self.ranking.title_weight / 2
        if len(alt) == 1:
            body, title = xapian.Query(alt[0]), xapian.Query("S" + alt[0])
        else:
            body = xapian.Query(xapian.Query.OP_PHRASE, list(alt), len(alt))
            title = xapian.Query(
                xapian.Query.OP_PHRASE, ["S" + t for t in alt], len(alt)
            )
        scaled = xapian.Query(xapian.Query.OP_SCALE_WEIGHT, title, boost)
        return xapian.Query(xapian.Query.OP_OR, [body, scaled])

    def _clause(self, clause: Clause) -> xapian.Query:
        return xapian.Query(
            xapian.Query.OP_OR, [self._alternative(a) for a in clause.alternatives]
        )

    def _query(self, all_clauses: bool) -> xapian.Query:
        positive = [self._clause(c) for c in self.parsed.positive]
        required = [
            q for c, q in zip(self.parsed.positive, positive, strict=True) if c.required
        ]
        if all_clauses:
            query = xapian.Query(xapian.Query.OP_AND, positive)
        elif required:
            query = xapian.Query(
                xapian.Query.OP_AND_MAYBE,
                xapian.Query(xapian.Query.OP_AND, required),
                xapian.Query(xapian.Query.OP_OR, positive),
            )
        else:
            query = xapian.Query(xapian.Query.OP_OR, positive)
        if self.parsed.negative:
            excluded = [self._clause(c) for c in self.parsed.negative]
            query = xapian.Query(
                xapian.Query.OP_AND_NOT,
                query,
                xapian.Query(xapian.Query.OP_OR, excluded),
            )
        kept = self._filter()
        if kept is not None:
            query = xapian.Query(xapian.Query.OP_FILTER, query, kept)
        return query

    def _filter(self) -> xapian.Query | None:
        parts = []
        for prefix, keys in (
            ("XS", self.filters.sources),
            ("XC", self.filters.categories),
        ):
            if keys is not None:
                terms = [xapian.Query(prefix + k) for k in sorted(keys)]
                parts.append(xapian.Query(xapian.Query.OP_OR, terms))
        since, until = self.filters.since, self.filters.until
        if since is not None or until is not None:
            low = xapian.sortable_serialise(since if since is not None else -1e18)
            high = xapian.sortable_serialise(until if until is not None else 1e18)
            parts.append(xapian.Query(xapian.Query.OP_VALUE_RANGE, _DATE, low, high))
        if not parts:
            return None
        return xapian.Query(xapian.Query.OP_AND, parts)

    def _enquire(self, query: xapian.Query) -> xapian.Enquire:
        enquire = xapian.Enquire(self.db)
        enquire.set_query(query)
        enquire.set_weighting_scheme(xapian.BM25Weight(1.2, 0, 1, 0.75, 0.5))
        enquire.set_docid_order(xapian.Enquire.DONT_CARE)
        return enquire

    # -- newsindex's part -----------------------------------------------------

    def run(self, offset: int, limit: int) -> _Found:
        query = self._query(all_clauses=False)
        if self.options.sort == "newest":
            # Newest among the articles that match the most clauses: all of
            # them when some article does (else any of them).
            every = self._query(all_clauses=True)
            if self._enquire(every).get_mset(0, 1).size():
                query = every
        enquire = self._enquire(query)
        spies = {
            name: xapian.ValueCountMatchSpy(_FACET_SLOTS[name])
            for name in self.options.facets
        }
        for spy in spies.values():
            enquire.add_matchspy(spy)
        check = int(self.db.get_doccount()) if spies else EXACT_TOTAL
        if self.options.sort == "newest":
            enquire.set_sort_by_value_then_relevance(_DATE, True)
            mset = enquire.get_mset(offset, limit, check)
            cands = [self._candidate(i, item) for i, item in enumerate(mset)]
            for cand in cands:
                self._score(cand)
            page = cands
        else:
            depth = max(self.ranking.rerank_depth, offset + limit)
            mset = enquire.get_mset(0, depth, check)
            cands = [self._candidate(i, item) for i, item in enumerate(mset)]
            for cand in cands:
                self._score(cand)
            if self.options.recency is not None:
                self._age(cands, self.options.recency)
            page = self._ordered(cands)[offset : offset + limit]
        facets = {name: _facet(spy, name) for name, spy in spies.items()}
        hits = [self._hit(offset + 1 + i, cand) for i, cand in enumerate(page)]
        return _Found(int(mset.get_matches_estimated()), hits, facets)

    def _candidate(self, key: int, item: Any) -> _Candidate:
        article = _article(item.document)
        fields = {
            "title": self.analyzer.terms_and_starts(article.title),
            "body": self.analyzer.terms_and_starts(article.body),
        }
        return _Candidate(key, article, fields)

    def idf(self, alt: str | tuple[str, ...]) -> float:
        """As the embedded engine's: from the index-wide document frequency
        (the larger of the title's and the body's)."""
        found = self._idf.get(alt)
        if found is None:
            if isinstance(alt, str) or len(alt) == 1:
                term = alt if isinstance(alt, str) else alt[0]
                df = max(self.db.get_termfreq(term), self.db.get_termfreq("S" + term))
            else:
                df = max(self._phrase_df(alt, ""), self._phrase_df(alt, "S"))
            key = alt if isinstance(alt, str) or len(alt) > 1 else alt[0]
            weight = self.parsed.weights.get(key)
            if weight is not None and df:  # as _spelling.weigh does
                idf = math.log((self.n + 1) / (df + 0.5))
                df = min(self.n, round((self.n + 1) / math.exp(weight * idf) - 0.5))
            found = math.log(1.0 + (self.n - df + 0.5) / (df + 0.5))
            self._idf[alt] = found
        return found

    def _phrase_df(self, alt: tuple[str, ...], prefix: str) -> int:
        query = xapian.Query(
            xapian.Query.OP_PHRASE, [prefix + t for t in alt], len(alt)
        )
        enquire = xapian.Enquire(self.db)
        enquire.set_query(query)
        enquire.set_weighting_scheme(xapian.BoolWeight())
        return int(enquire.get_mset(0, 0, self.n).get_matches_estimated())

    def _score(self, cand: _Candidate) -> None:
        """BM25F with coordination, as ``_ranking.Scorer`` and ``candidates``."""
        k1 = self.ranking.k1
        total, matched = 0.0, 0
        for clause in self.parsed.positive:
            clause_score, hit = 0.0, False
            for alt in clause.alternatives:
                tf = 0.0
                for field, (terms, _) in cand.fields.items():
                    count = _occurrences(terms, alt)
                    if count:
                        norm = (1.0 - self.b[field]) + self.b[field] * len(
                            terms
                        ) / self.avg[field]
                        tf += self.weight[field] * count / norm
                if tf:
                    hit = True
                    clause_score += self.idf(alt) * tf * (k1 + 1.0) / (tf + k1)
            if hit:
                total += clause_score
                matched += 1
        n_clauses = len(self.parsed.positive)
        coordination = self.ranking.coordination
        if n_clauses > self.ranking.coordination_max_clauses:
            coordination = 0.0
        if coordination and matched:
            total *= (matched / n_clauses) ** coordination
        cand.score, cand.matched = total, matched

    def _age(self, cands: list[_Candidate], half_life: float) -> None:
        stamps = [c.article.timestamp() for c in cands]
        dated = [s for s in stamps if s is not None]
        if not dated:
            return
        newest, oldest = max(dated), min(dated)
        for cand, stamp in zip(cands, stamps, strict=True):
            age = (newest - (oldest if stamp is None else stamp)) / 86_400.0
            cand.score *= 2.0 ** (-age / half_life)

    def _ordered(self, cands: list[_Candidate]) -> list[_Candidate]:
        """Best first: the bonuses for the best ``rerank_depth``, which stay
        above the rest (as ``_ranking.relevance_order``); ties by id."""
        ranked = sorted(cands, key=lambda c: (-c.score, c.article.id))
        depth = self.ranking.rerank_depth
        top, rest = ranked[:depth], ranked[depth:]
        for cand in top:
            cand.score += self._bonus(cand)
        top.sort(key=lambda c: (-c.score, c.article.id))
        return top + rest

    def _bonus(self, cand: _Candidate) -> float:
        """Proximity and lead bonuses (as ``_ranking._bonuses``)."""
        ranking = self.ranking
        sequence = self.parsed.sequence
        if not (ranking.proximity or ranking.lead) or not sequence:
            return 0.0
        terms = cand.fields["body"][0]
        body: dict[str, list[int]] = {}
        wanted = set(sequence)
        for pos, term in enumerate(terms):
            if term in wanted:
                body.setdefault(term, []).append(pos)
        present = [t for t in sequence if t in body]
        bonus = 0.0
        untitled = not cand.fields["title"][0] or ranking.lead_with_title
        if ranking.lead and untitled:
            for term in present:
                early = sum(1 for p in body[term] if p < ranking.lead_length)
                bonus += ranking.lead * self.idf(term) * early / (early + 1.0)
        if ranking.proximity:
            for i, a in enumerate(present):
                for b in present[i + 1 :]:
                    near = sum(
                        1
                        for pa in body[a]
                        for pb in body[b]
                        if abs(pa - pb) <= ranking.window
                    )
                    weight = min(self.idf(a), self.idf(b))
                    bonus += ranking.proximity * weight * near / (near + 1.0)
        return bonus

    def _hit(self, rank: int, cand: _Candidate) -> Hit:
        article, wanted = cand.article, self.parsed.terms
        shown = {}
        for field in ("title", "body"):
            terms, starts = cand.fields[field]
            matches = (
                [(s, t) for t, s in zip(terms, starts, strict=True) if t in wanted]
                if self.options.snippets
                else []
            )
            shown[field] = spans_at(self.analyzer, getattr(article, field), matches)
        return Hit(
            rank,
            cand.score,
            article,
            snippet_from_matches(article.body, shown["body"]),
            highlight_matches(article.title, shown["title"]),
        )


def _occurrences(terms: Sequence[str], alt: tuple[str, ...]) -> int:
    if len(alt) == 1:
        return terms.count(alt[0])
    n, first = len(alt), alt[0]
    return sum(
        1
        for i, term in enumerate(terms)
        if term == first and tuple(terms[i : i + n]) == alt
    )


def _count_values(
    db: xapian.Database, query: xapian.Query, slots: Iterable[int], check: int
) -> dict[int, Counter[str]]:
    enquire = xapian.Enquire(db)
    enquire.set_query(query)
    spies = {slot: xapian.ValueCountMatchSpy(slot) for slot in slots}
    for spy in spies.values():
        enquire.add_matchspy(spy)
    enquire.get_mset(0, 0, check)
    return {
        slot: Counter({item.term.decode(): item.termfreq for item in spy.values()})
        for slot, spy in spies.items()
    }


def _facet(spy: xapian.ValueCountMatchSpy, name: str) -> tuple[FacetCount, ...]:
    counts: Counter[str] = Counter()
    for item in spy.values():
        value = item.term.decode()
        counts[value] += item.termfreq
    if name != "month":  # as written, one form per key (the most common)
        merged: dict[str, Counter[str]] = {}
        for value, n in counts.items():
            merged.setdefault(facet_key(value), Counter())[value] += n
        counts = Counter(
            {forms.most_common(1)[0][0]: forms.total() for forms in merged.values()}
        )
    return _ranked(counts)


def _ranked(counts: Counter[str]) -> tuple[Any, ...]:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(FacetCount(value, n) for value, n in ordered if n)


def _iso(value: bytes) -> str:
    stamp = xapian.sortable_unserialise(value)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp))


def _size(place: Place) -> int:
    if place.path is None:
        return 0  # a remote shard's size is not known here
    return sum(
        os.path.getsize(os.path.join(place.path, name))
        for name in os.listdir(place.path)
    )


# -- writing -----------------------------------------------------------------


class XapianWriter:
    """An atomic batch of changes per database (see :class:`IndexWriter`):
    each shard applies its part of a batch entirely or not at all."""

    def __init__(self, places: list[Place], analyzer: Analyzer, timeout: float) -> None:
        self._started = time.perf_counter()
        self._places = places
        self._analyzer = analyzer
        self._dbs: list[xapian.WritableDatabase] = []
        try:
            for place in places:
                self._dbs.append(_lock_writable(place, create=False, timeout=timeout))
            for db in self._dbs:
                db.begin_transaction(True)
        except BaseException:
            self._release()
            raise
        self._lengths = [Counter[str]() for _ in places]
        # Each id this batch touched: whether it was in the index before.
        self._before: dict[str, bool] = {}
        self._present: set[str] = set()
        self._deleted = 0
        self._closed_because: str | None = None

    def __enter__(self) -> XapianWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.closed:
            return
        if exc_type is None:
            self.commit()
        else:
            self.cancel()

    @property
    def closed(self) -> bool:
        return self._closed_because is not None

    def _check_open(self) -> None:
        if self._closed_because is not None:
            raise WriterClosedError(f"this writer is closed: {self._closed_because}")

    def _old(self, i: int, article_id: str) -> xapian.Document | None:
        db = self._dbs[i]
        for item in db.postlist("Q" + article_id):
            return db.get_document(item.docid)
        return None

    def add(self, article: Article) -> bool:
        """Add or replace ``article``; whether it was new to the index."""
        self._check_open()
        if not isinstance(article, Article):
            raise ArticleError(f"expected an Article, not {type(article).__name__}")
        doc, title, body = _document(article, self._analyzer)
        i = shard_of(article.id, len(self._dbs))
        with self._all_or_nothing():
            old = self._old(i, article.id)
            if old is not None:
                old_title, old_body = _lengths(old)
                self._lengths[i].update({"title": -old_title, "body": -old_body})
            self._dbs[i].replace_document("Q" + article.id, doc)
        self._lengths[i].update({"title": title, "body": body})
        self._before.setdefault(article.id, old is not None)
        self._present.add(article.id)
        return old is None

    def add_many(self, articles: Iterable[Article]) -> int:
        """Add each article in turn (see :meth:`add`); return how many."""
        count = 0
        for article in articles:
            self.add(article)
            count += 1
        return count

    def delete(self, article_id: str) -> bool:
        self._check_open()
        i = shard_of(article_id, len(self._dbs))
        with self._all_or_nothing():
            old = self._old(i, article_id)
            if old is None:
                return False
            old_title, old_body = _lengths(old)
            self._lengths[i].update({"title": -old_title, "body": -old_body})
            self._dbs[i].delete_document("Q" + article_id)
        self._before.setdefault(article_id, True)
        self._present.discard(article_id)
        self._deleted += 1
        return True

    def commit(self, *, optimize: bool = False) -> WriteSummary:
        from newsindex._writing import WriteSummary

        self._check_open()
        with self._all_or_nothing():
            for db, change in zip(self._dbs, self._lengths, strict=True):
                totals = Counter(json.loads(db.get_metadata(_LENGTHS_KEY) or b"{}"))
                totals.update(change)
                db.set_metadata(_LENGTHS_KEY, json.dumps(dict(totals)))
                db.commit_transaction()
        self._closed_because = "it committed"
        self._release()
        added = sum(1 for i in self._present if not self._before[i])
        return WriteSummary(
            added,
            len(self._present) - added,
            self._deleted,
            time.perf_counter() - self._started,
        )

    def cancel(self) -> None:
        if self._closed_because is None:
            self._closed_because = "it was cancelled"
        for db in self._dbs:
            # Committed already, or the connection is gone: nothing to undo.
            with contextlib.suppress(xapian.Error):
                db.cancel_transaction()
        self._release()

    def _all_or_nothing(self) -> Any:
        return _Failing(self)

    def _release(self) -> None:
        for db in self._dbs:
            with contextlib.suppress(xapian.Error):
                db.close()
        self._dbs = []


class _Failing:
    """Cancels the writer's batch when a change fails in Xapian."""

    def __init__(self, writer: XapianWriter) -> None:
        self.writer = writer

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc is None or not isinstance(exc, xapian.Error):
            return False
        self.writer._closed_because = f"a change failed: {exc}"
        self.writer.cancel()
        raise ShardUnavailableError(
            f"writing failed, nothing committed: {exc}"
        ) from None
