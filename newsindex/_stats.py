"""What an index holds, in numbers: :class:`IndexStats`."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterator
from typing import Any

import attrs
import numpy as np

from newsindex._analysis import Analyzer
from newsindex._facets import keyword_counts
from newsindex._fields import NO_DATE, TEXT_FIELDS
from newsindex._snapshot import Snapshot


@attrs.frozen
class IndexStats:
    """A summary of an index (see :meth:`NewsIndex.stats`).

    Attributes:
        path: the index directory.
        articles: live articles.
        deleted: deleted articles still occupying space until a merge.
        segments: number of segments.
        terms: distinct terms in titles and bodies (each counted once,
            whatever the segments and fields it is in).
        size_bytes: bytes on disk.
        earliest: earliest publication date, or ``None``.
        latest: latest publication date, or ``None``.
        sources: articles per source, as the articles write it, most first.
        categories: articles per category, as written, most first.
        analyzer: the analyzer's fingerprint.
    """

    path: str
    articles: int
    deleted: int
    segments: int
    terms: int
    size_bytes: int
    earliest: str | None
    latest: str | None
    sources: tuple[tuple[str, int], ...]
    categories: tuple[tuple[str, int], ...]
    analyzer: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible form."""
        out = attrs.asdict(self)
        out["sources"] = dict(self.sources)
        out["categories"] = dict(self.categories)
        return out


def index_stats(
    snapshot: Snapshot, path: str, size_bytes: int, analyzer: Analyzer
) -> IndexStats:
    """The :class:`IndexStats` of one committed generation."""
    live = [
        (si, np.flatnonzero(segment.live))
        for si, segment in enumerate(snapshot.segments)
    ]
    earliest = latest = None
    for segment in snapshot.segments:
        dates = segment.published[segment.live & (segment.published != NO_DATE)]
        if len(dates):
            lo, hi = int(dates.min()), int(dates.max())
            earliest = lo if earliest is None else min(earliest, lo)
            latest = hi if latest is None else max(latest, hi)
    return IndexStats(
        path=path,
        articles=snapshot.doc_count,
        deleted=sum(s.doc_count_all - s.doc_count for s in snapshot.segments),
        segments=len(snapshot.segments),
        terms=_distinct_terms(snapshot),
        size_bytes=size_bytes,
        earliest=iso_day(earliest),
        latest=iso_day(latest),
        sources=tuple(
            (c.value, c.count) for c in keyword_counts(snapshot, "source", live)
        ),
        categories=tuple(
            (c.value, c.count) for c in keyword_counts(snapshot, "category", live)
        ),
        analyzer=analyzer.fingerprint(),
    )


def _distinct_terms(snapshot: Snapshot) -> int:
    """Terms of the text fields, each counted once over segments and fields
    (the term dictionaries are sorted, so one merge pass counts them)."""

    def terms(field: str, si: int) -> Iterator[bytes]:
        for term, _ in snapshot.segments[si].terms(field):
            yield term

    streams = [
        terms(field, si)
        for si in range(len(snapshot.segments))
        for field in TEXT_FIELDS
    ]
    count, last = 0, None
    for term in heapq.merge(*streams):
        if term != last:
            count, last = count + 1, term
    return count


def iso_day(timestamp: int | None) -> str | None:
    """The day of a date key (``"invalid"`` for one out of range)."""
    if timestamp is None:
        return None
    try:
        return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).date().isoformat()
    except (OverflowError, OSError, ValueError):  # a damaged date column
        return "invalid"
