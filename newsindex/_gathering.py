"""Gathering a query's posting lists from a snapshot, once per search.

Scoring, the proximity and lead bonuses, and highlighting all read the same
posting lists: each term's in every segment and text field, and each phrase's
matches, gathered here before any of them runs.
"""

from __future__ import annotations

import numpy as np

from newsindex._fields import TEXT_FIELDS
from newsindex._postings import Postings
from newsindex._query import ParsedQuery
from newsindex._snapshot import Snapshot


class Gathered:
    """Posting lists of the query's terms and phrases, per segment and field."""

    def __init__(self, snapshot: Snapshot, parsed: ParsedQuery) -> None:
        self.terms: dict[tuple[int, str, str], Postings] = {}
        self.phrases: dict[
            tuple[int, str, tuple[str, ...]], tuple[np.ndarray, np.ndarray]
        ] = {}
        self.df: dict[str | tuple[str, ...], int] = {}
        wanted = {
            alt
            for clause in (*parsed.positive, *parsed.negative)
            for alt in clause.alternatives
        }
        single = {alt[0] for alt in wanted if len(alt) == 1}
        single.update(t for alt in wanted if len(alt) > 1 for t in alt)
        for si, seg in enumerate(snapshot.segments):
            for term in single:
                tbytes = term.encode("utf-8")
                best = 0
                for field in TEXT_FIELDS:
                    postings = seg.postings(field, tbytes)
                    if postings is not None:
                        self.terms[si, field, term] = postings
                        best = max(best, len(postings))
                self.df[term] = self.df.get(term, 0) + best
            for alt in wanted:
                if len(alt) < 2:
                    continue
                best = 0
                for field in TEXT_FIELDS:
                    found = self._phrase(si, field, alt)
                    if found is not None:
                        self.phrases[si, field, alt] = found
                        best = max(best, len(found[0]))
                self.df[alt] = self.df.get(alt, 0) + best

    def _phrase(
        self, si: int, field: str, terms: tuple[str, ...]
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """(doc ids, phrase frequency) of ``terms`` in a row, or ``None``."""
        lists = [self.terms.get((si, field, t)) for t in terms]
        if any(p is None or p.positions is None for p in lists):
            return None
        docs = lists[0].ids  # type: ignore[union-attr]
        for p in lists[1:]:
            docs = np.intersect1d(docs, p.ids, assume_unique=True)  # type: ignore[union-attr]
        if not len(docs):
            return None
        keys = None
        for i, p in enumerate(lists):
            row, pos = positions_of(p, docs)  # type: ignore[arg-type]
            doc = docs[row].astype(np.int64)
            k = (doc << 32) | (pos - i + (1 << 31))
            keys = k if keys is None else np.intersect1d(keys, k, assume_unique=True)
            if not len(keys):
                return None
        assert keys is not None
        docs = keys >> 32  # sorted: keys are
        firsts = np.r_[True, docs[1:] != docs[:-1]].nonzero()[0]
        ids, counts = docs[firsts], np.diff(np.r_[firsts, len(docs)])
        return ids.astype(np.int64), counts.astype(np.float64)


def occurrences(postings: Postings, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The occurrences of ``postings`` in the documents ``docs``.

    Returns ``(row, index)`` per occurrence: ``row`` indexes ``docs``, and
    ``index`` points into :attr:`Postings.positions` and
    :attr:`Postings.starts`. ``docs`` must be sorted and distinct; those
    without the term have no occurrences. Occurrences come out sorted by
    document, then position.
    """
    ids, bounds = postings.ids, postings.bounds
    wanted = docs.astype(ids.dtype)  # a mixed-type search would copy ``ids``
    starts = bounds[ids.searchsorted(wanted)]
    counts = bounds[ids.searchsorted(wanted, side="right")] - starts
    total = int(counts.sum())
    if total == 0:
        return _NONE, _NONE
    ends = counts.cumsum()
    take = np.arange(total, dtype=np.int64) - (ends - counts - starts).repeat(counts)
    return np.arange(len(docs)).repeat(counts), take


def positions_of(postings: Postings, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, position) pairs of ``postings`` in ``docs`` (see :func:`occurrences`)."""
    assert postings.positions is not None
    row, take = occurrences(postings, docs)
    return row, postings.positions[take].astype(np.int64)


_NONE = np.empty(0, np.int64)
