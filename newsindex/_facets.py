"""Facets: matching articles counted by source, category and month.

The index keeps sources and categories in their indexed form (trimmed, lower
case: ``kompas.com``), so that filters ignore case. What people read is the
form the articles were written with (``Kompas.com``): the ``FacetNames``
segment feature (``_facet_names.py``) counts, per segment, the written forms
of each indexed one, and a facet shows the most common. Counting is exact:
over every article that matches the query and the filters, not a sample and
not a page.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from newsindex._facet_names import KEYWORD_FACETS, FacetNames
from newsindex._fields import NO_DATE
from newsindex._options import FacetName
from newsindex._results import FacetCount
from newsindex._segment_reader import SegmentData
from newsindex._snapshot import Snapshot

# -- per-segment value columns ---------------------------------------------------

_COLUMNS: weakref.WeakKeyDictionary[SegmentData, dict[str, Any]] = (
    weakref.WeakKeyDictionary()
)
_COLUMNS_LOCK = threading.Lock()


def _column(segment: SegmentData, field: str) -> tuple[list[str], np.ndarray]:
    """The keys of ``field`` in ``segment`` and, per document, the index of
    its key among them (-1: none); built once per segment, then cached."""
    with _COLUMNS_LOCK:
        cached = _COLUMNS.setdefault(segment, {})
        if field in cached:
            found: tuple[list[str], np.ndarray] = cached[field]
            return found
    keys: list[str] = []
    column = np.full(segment.doc_count_all, -1, dtype=np.int32)
    for term, info in segment.terms(field):
        column[segment.read_postings(info, term).ids] = len(keys)
        keys.append(term.decode("utf-8"))
    with _COLUMNS_LOCK:
        _COLUMNS[segment][field] = (keys, column)
    return keys, column


def _written(segments: Sequence[SegmentData], field: str) -> dict[str, str]:
    """Each key's most common written form over ``segments``."""
    forms: dict[str, Counter[str]] = {}
    for segment in segments:
        names = segment.feature(FacetNames) or {}
        for key, written in names.get(field, {}).items():
            forms.setdefault(key, Counter()).update(written)
    return {key: counter.most_common(1)[0][0] for key, counter in forms.items()}


def ranked(counts: Counter[str]) -> tuple[FacetCount, ...]:
    """Most first, then by value."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(FacetCount(value, count) for value, count in ordered if count)


def keyword_counts(
    snapshot: Snapshot, field: str, docs: Iterable[tuple[int, np.ndarray]]
) -> tuple[FacetCount, ...]:
    """Articles per written value of a keyword field, over ``docs``
    (``(segment index, document numbers)`` pairs)."""
    counts: Counter[str] = Counter()
    for si, docnums in docs:
        keys, column = _column(snapshot.segments[si], field)
        values = column[docnums]
        tally = np.bincount(values[values >= 0], minlength=len(keys))
        counts.update({keys[i]: int(n) for i, n in enumerate(tally.tolist()) if n})
    written = _written(snapshot.segments, field)
    shown: Counter[str] = Counter()
    for key, n in counts.items():
        shown[written.get(key, key)] += n
    return ranked(shown)


def month_counts(
    snapshot: Snapshot, docs: Iterable[tuple[int, np.ndarray]]
) -> tuple[FacetCount, ...]:
    """Articles per month of publication (``YYYY-MM``) over ``docs``;
    undated articles are not counted."""
    counts: Counter[str] = Counter()
    for si, docnums in docs:
        dates = snapshot.segments[si].published[docnums]
        dates = dates[dates != NO_DATE]
        months = np.sort(dates.astype("datetime64[s]").astype("datetime64[M]"))
        if not len(months):
            continue
        # Runs of a sorted array: np.unique's counting without its import of
        # numpy.ma (15 ms in a fresh process) and its slower general path.
        firsts = np.flatnonzero(np.r_[True, months[1:] != months[:-1]])
        tally = np.diff(np.r_[firsts, len(months)])
        values = months[firsts]
        counts.update(dict(zip(map(str, values), tally.tolist(), strict=True)))
    return ranked(counts)


def count_facets(
    snapshot: Snapshot,
    segs: np.ndarray,
    docnums: np.ndarray,
    names: Sequence[FacetName],
) -> dict[str, tuple[FacetCount, ...]]:
    """The facets ``names`` of the matching articles ``(segs, docnums)``."""
    by_segment = [(si, docnums[segs == si]) for si in sorted(set(segs.tolist()))]
    out: dict[str, tuple[FacetCount, ...]] = {}
    for name in names:
        if name == "month":
            out[name] = month_counts(snapshot, by_segment)
        else:
            out[name] = keyword_counts(snapshot, KEYWORD_FACETS[name], by_segment)
    return out
