"""The Xapian engine's storage: where databases are, what a document and
a database's metadata hold (see ``_xapian.py``), and counting values."""

from __future__ import annotations

import contextlib
import json
import os
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, Final

import attrs
import xapian  # type: ignore[import-not-found,unused-ignore]

from newsindex._analysis import Analyzer
from newsindex._article import Article, article_from_stored
from newsindex._engine import XAPIAN_LOCAL, XAPIAN_TCP
from newsindex._facets import ranked
from newsindex._fields import facet_key
from newsindex._results import FacetCount
from newsindex._vocabulary import written_words
from newsindex.errors import (
    ConfigurationError,
    IndexLockedError,
    IndexNotFoundError,
    ShardUnavailableError,
)

# Values.
DATE: Final = 0
SOURCE: Final = 1
CATEGORY: Final = 2
MONTH: Final = 3
TITLE_LENGTH: Final = 4
BODY_LENGTH: Final = 5
#: The analysed title and body: their terms joined by spaces, the two
#: fields by a line break, compressed (scoring reads them instead of
#: analysing each candidate's text again).
TERMS: Final = 6
ARTICLE_ID: Final = 8
FACET_SLOTS: Final = {"source": SOURCE, "category": CATEGORY, "month": MONTH}

# Metadata keys.
FORMAT_KEY: Final = "newsindex.format"
FORMAT: Final = "1"
ANALYZER_KEY: Final = "newsindex.analyzer"
SHARD_KEY: Final = "newsindex.shard"
LENGTHS_KEY: Final = "newsindex.lengths"

#: Articles counted exactly for ``total``; beyond, Xapian's estimate (as
#: Elasticsearch counts up to 10,000 by default).
EXACT_TOTAL: Final = 10_000
#: Seconds to wait for a shard's server to answer.
TIMEOUT: Final = 10.0
#: Seconds to wait for a shard to answer a writer (commits of large batches).
WRITE_TIMEOUT: Final = 600.0


# -- locations ---------------------------------------------------------------


@attrs.frozen
class Place:
    """Where one database is: a local path, or a ``xapian-tcpsrv`` endpoint."""

    path: str | None = None
    host: str | None = None
    port: int = 0

    def __str__(self) -> str:
        return self.path if self.path is not None else f"{self.host}:{self.port}"


#: The location's suffix that asks a search to answer from the live shards
#: when one does not answer (with a note), rather than fail.
PARTIAL: Final = "?partial"


def parse_places(location: str) -> list[Place]:
    """The databases of a Xapian location, in shard order."""
    location = location.removesuffix(PARTIAL)
    if location.startswith(XAPIAN_TCP):
        places = []
        for part in location[len(XAPIAN_TCP) :].split(","):
            host, sep, port = part.strip().rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ConfigurationError(
                    f"bad shard {part!r} in {location!r}: give HOST:PORT"
                )
            places.append(Place(host=host.strip("[]"), port=int(port)))
        return places
    path = location[len(XAPIAN_LOCAL) :]
    if not path:
        raise ConfigurationError(f"{location!r} names no database: give xapian:PATH")
    return [Place(path=os.path.expanduser(path))]


def shard_of(article_id: str, shards: int) -> int:
    """The shard an article lives in: fixed by its id and the shard count."""
    return zlib.crc32(article_id.encode("utf-8")) % shards


@contextlib.contextmanager
def _opening(place: Place) -> Iterator[None]:
    """Xapian's errors on opening ``place``, as newsindex's."""
    try:
        yield
    except xapian.DatabaseOpeningError as exc:
        raise IndexNotFoundError(f"no Xapian database at {place}: {exc}") from None
    except xapian.NetworkError as exc:
        raise ShardUnavailableError(f"shard {place} is not answering: {exc}") from None


def connect(place: Place) -> xapian.Database:
    """``place`` opened for reading.

    Raises:
        IndexNotFoundError: there is no database there.
        ShardUnavailableError: its server does not answer.
    """
    with _opening(place):
        if place.path is not None:
            return xapian.Database(place.path)
        return xapian.remote_open(place.host, place.port, int(TIMEOUT * 1000))


def connect_writable(place: Place, create: bool) -> xapian.WritableDatabase:
    """``place`` opened for writing (see :func:`connect`; the lock's error,
    ``DatabaseLockError``, is left to the caller)."""
    with _opening(place):
        if place.path is not None:
            flags = xapian.DB_CREATE_OR_OPEN if create else xapian.DB_OPEN
            return xapian.WritableDatabase(place.path, flags)
        # A commit of a large batch may take a shard minutes.
        timeout = int(WRITE_TIMEOUT * 1000)
        return xapian.remote_open_writable(place.host, place.port, timeout)


def open_checked(place: Place, create: bool) -> xapian.Database:
    """A handle to read one database's metadata (made if missing, locally)."""
    if place.path is not None and create:
        os.makedirs(place.path, exist_ok=True)
        if not os.path.exists(os.path.join(place.path, "iamglass")):
            connect_writable(place, create=True).close()
    return connect(place)


def read_record(
    db: xapian.Database, place: Place, i: int, shards: int
) -> dict[str, Any] | None:
    """A database's analyzer record, after checking its format and place;
    ``None`` for an empty database that newsindex never initialised."""
    fmt = db.get_metadata(FORMAT_KEY).decode()
    if not fmt:
        if db.get_doccount():
            raise ConfigurationError(
                f"the Xapian database at {place} is not newsindex's"
            )
        return None
    if fmt != FORMAT:
        from newsindex.errors import IndexFormatError

        raise IndexFormatError(f"{place}: newsindex Xapian format {fmt}, not {FORMAT}")
    shard = json.loads(db.get_metadata(SHARD_KEY))
    if shard != {"index": i, "count": shards, "routing": "crc32"}:
        raise ConfigurationError(
            f"{place} is shard {shard['index'] + 1} of {shard['count']}, "
            f"but was given as shard {i + 1} of {shards}; give the shards in the "
            "order the index was created with"
        )
    record: dict[str, Any] = json.loads(db.get_metadata(ANALYZER_KEY))
    return record


def initialise(place: Place, analyzer: Analyzer, i: int, shards: int) -> None:
    db = lock_writable(place, create=True, timeout=TIMEOUT)
    try:
        db.set_metadata(FORMAT_KEY, FORMAT)
        db.set_metadata(ANALYZER_KEY, json.dumps(analyzer.describe(), sort_keys=True))
        db.set_metadata(
            SHARD_KEY, json.dumps({"index": i, "count": shards, "routing": "crc32"})
        )
        db.set_metadata(LENGTHS_KEY, json.dumps({"title": 0, "body": 0}))
        db.commit()
    finally:
        db.close()


def lock_writable(
    place: Place, create: bool, timeout: float
) -> xapian.WritableDatabase:
    """One database opened for writing, waiting up to ``timeout`` seconds for
    its lock (one writer per database)."""
    deadline = time.monotonic() + timeout
    waited = 0.0
    while True:
        try:
            return connect_writable(place, create)
        except xapian.DatabaseLockError:
            if time.monotonic() >= deadline:
                raise IndexLockedError(
                    f"another writer holds the Xapian database at {place}",
                    waited=waited,
                ) from None
            time.sleep(0.05)
            waited += 0.05


# -- documents ---------------------------------------------------------------


def document_of(
    article: Article, analyzer: Analyzer, known: dict[str, str | None] | None = None
) -> tuple[xapian.Document, int, int]:
    """The Xapian document of ``article``, and its title and body lengths
    (``known``: a cache for :func:`written_words`)."""
    doc = xapian.Document()
    title_terms, _ = analyzer.terms_and_starts(article.title)
    body_terms, _ = analyzer.terms_and_starts(article.body)
    for pos, term in enumerate(title_terms):
        doc.add_posting("S" + term, pos + 1)
    for pos, term in enumerate(body_terms):
        doc.add_posting(term, pos + 1)
    doc.add_boolean_term("Q" + article.id)
    # The written words, for completions (see _vocabulary.SurfaceWords).
    for word in written_words(f"{article.title}\n{article.body}", analyzer, known):
        doc.add_boolean_term("W" + word)
    if article.source:
        doc.add_boolean_term("XS" + facet_key(article.source))
        doc.add_value(SOURCE, article.source)
    if article.category:
        doc.add_boolean_term("XC" + facet_key(article.category))
        doc.add_value(CATEGORY, article.category)
    stamp = article.timestamp()
    if stamp is not None:
        doc.add_value(DATE, xapian.sortable_serialise(stamp))
        doc.add_value(MONTH, time.strftime("%Y-%m", time.gmtime(stamp)))
    doc.add_value(TITLE_LENGTH, xapian.sortable_serialise(len(title_terms)))
    doc.add_value(BODY_LENGTH, xapian.sortable_serialise(len(body_terms)))
    joined = " ".join(title_terms) + "\n" + " ".join(body_terms)
    doc.add_value(TERMS, zlib.compress(joined.encode("utf-8"), 1))
    doc.add_value(ARTICLE_ID, article.id)
    stored = json.dumps(article.to_dict(), ensure_ascii=False).encode("utf-8")
    doc.set_data(zlib.compress(stored, 1))
    return doc, len(title_terms), len(body_terms)


def article_of(doc: xapian.Document) -> Article:
    return article_from_stored(json.loads(zlib.decompress(doc.get_data())))


def terms_of(doc: xapian.Document) -> dict[str, list[str]]:
    """The analysed fields' terms, in order (a term holds no space)."""
    title, _, body = (
        zlib.decompress(doc.get_value(TERMS)).decode("utf-8").partition("\n")
    )
    return {
        "title": title.split(" ") if title else [],
        "body": body.split(" ") if body else [],
    }


def lengths_of(doc: xapian.Document) -> tuple[int, int]:
    return (
        int(xapian.sortable_unserialise(doc.get_value(TITLE_LENGTH))),
        int(xapian.sortable_unserialise(doc.get_value(BODY_LENGTH))),
    )


def count_values(
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


def facet_counts(counts: Counter[str], name: str) -> tuple[FacetCount, ...]:
    if name != "month":  # as written, one form per key (the most common)
        merged: dict[str, Counter[str]] = {}
        for value, n in counts.items():
            merged.setdefault(facet_key(value), Counter())[value] += n
        counts = Counter(
            {forms.most_common(1)[0][0]: forms.total() for forms in merged.values()}
        )
    return ranked(counts)


def combined(databases: Iterable[xapian.Database]) -> xapian.Database:
    """One database that searches all of ``databases`` (the shards)."""
    together = xapian.Database()
    for database in databases:
        together.add_database(database)
    return together
