"""Collapsing near-copies (syndicated stories) in search results.

Groups are decided at query time, among the articles that match the query
and filters, from the signatures written with each segment
(``_signatures.py``); the index keeps no state across segments, so adding,
deleting and merging stay as they were.

1. *Candidates*: each matching article's first :data:`BANDS` LSH bands are
   read; articles sharing a band value are candidate pairs (with 4 positions
   a band and 8 bands, two articles of similarity 0.9 share a band with
   probability 0.9998, of 0.8 with 0.985, of 0.7 with 0.89, of 0.3 with
   0.06). Nothing else is compared, and finding the shared values is one
   sort, so the cost follows the matches, not their square.
2. *Check*: a pair is a near-copy when the share of equal signature
   positions (the estimated Jaccard similarity of their shingles) reaches
   :data:`THRESHOLD`.
3. *Groups*: in result order, an article joins the group of the best-placed
   earlier article it is a near-copy of that heads a group; otherwise it
   heads its own. So every article listed in a hit's ``duplicates`` is a
   near-copy of that hit itself, and a chain of partial overlaps (A like B,
   B like C) never merges A with C.

Groups depend on the query and filters only, not on the page asked for, so
pages of collapsed results never overlap or skip, and ``total`` counts the
groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

from newsindex._options import Sort
from newsindex._ordering import newest_order, relevance_order
from newsindex._query import ParsedQuery
from newsindex._ranking import Candidates, Scorer
from newsindex._results import Hit
from newsindex._signatures import (
    BAND_SIZE,
    NO_BAND,
    SIGNATURE_SIZE,
    Signatures,
    SignatureTable,
    similarity,
)
from newsindex._snapshot import Snapshot
from newsindex._values import Value

#: Estimated Jaccard similarity from which two articles are near-copies.
#: Chosen on development data (``python -m bench.duplicates``): from 0.7,
#: the real CLICK-ID pairs grouped share at least 0.65 of their shingles and
#: are the same story republished; from 0.5, different stories with common
#: boilerplate (a live-stream page and a match preview) are merged; at 0.8,
#: a syndicated copy with one sentence cut is missed one time in ten.
THRESHOLD: Final = 0.7
#: LSH bands compared (of ``SIGNATURE_SIZE // BAND_SIZE``): 8 find the same
#: groups as 16 at that threshold, at half the cost.
BANDS: Final = 8
#: The bands a signature has.
MAX_BANDS: Final = SIGNATURE_SIZE // BAND_SIZE
#: A band value shared by more articles than this pairs each of them with the
#: best-placed few only (an article copied a hundred times costs no more
#: than a hundred pairs per band).
_PAIRS_PER_ARTICLE: Final = 8
# Odd multipliers, one per band, so equal values of different bands differ.
_BAND_MIX: Final = np.arange(1, MAX_BANDS + 1, dtype=np.uint64) * np.uint64(
    0x9E3779B97F4A7C16
) + np.uint64(1)


def _tables(snapshot: Snapshot) -> list[SignatureTable | None]:
    return [segment.feature(Signatures) for segment in snapshot.segments]


def _bands(
    tables: Sequence[SignatureTable | None], segment: np.ndarray, docnum: np.ndarray
) -> np.ndarray:
    out = np.full((len(docnum), BANDS), NO_BAND, dtype=np.uint64)
    for si, table in enumerate(tables):
        if table is None:
            continue
        rows = np.flatnonzero(segment == si)
        if len(rows):
            out[rows] = table.bands(docnum[rows], BANDS)
    return out


def _signatures(
    tables: Sequence[SignatureTable | None], segment: np.ndarray, docnum: np.ndarray
) -> np.ndarray:
    out = np.full((len(docnum), SIGNATURE_SIZE), 0xFFFF, dtype="<u2")
    for si, table in enumerate(tables):
        if table is None:
            continue
        rows = np.flatnonzero(segment == si)
        if len(rows):
            out[rows] = table.values[docnum[rows]]
    return out


def _ranks(rows: np.ndarray, key: np.ndarray) -> np.ndarray:
    """The place of each of ``rows`` (distinct) among them: by ``key``, lower
    first, ties by row."""
    ranks = np.empty(len(rows), dtype=np.int64)
    ranks[np.lexsort((rows, key[rows]))] = np.arange(len(rows))
    return ranks


def _candidate_pairs(bands: np.ndarray, key: np.ndarray) -> np.ndarray:
    """``(later, earlier)`` row pairs sharing a band value, unique, as an
    ``(n, 2)`` array; ``key`` orders the rows (lower first, ties by row)."""
    rows = np.arange(len(bands), dtype=np.uint64)
    signed = bands[:, 0] != NO_BAND
    if not signed.all():
        bands, rows = bands[signed], rows[signed]
    # One number per (row, band) to sort: the band value mixed into the high
    # bits (a different odd multiplier per band), the row in the low bits.
    # Sorting plain numbers is several times faster than an argsort.
    bits = max(1, (len(key) - 1).bit_length())
    low = np.uint64((1 << bits) - 1)
    keys = bands * _BAND_MIX[: bands.shape[1]]
    keys &= ~low
    keys |= rows[:, None]
    keys = keys.ravel()
    keys.sort()
    same = (keys[1:] ^ keys[:-1]) <= low
    shared = np.r_[same, False] | np.r_[False, same]
    if not shared.any():
        return np.empty((0, 2), dtype=np.int64)
    keys = keys[shared]
    value, members = keys & ~low, (keys & low).astype(np.int64)
    n = len(key)
    # Within each run of one value, best-placed first (ties by row).
    order = np.lexsort((members, key[members], value))
    value, members = value[order], members[order]
    starts = np.flatnonzero(np.r_[True, value[1:] != value[:-1]])
    start_of = np.repeat(starts, np.diff(np.r_[starts, len(value)]))
    index = np.arange(len(value))
    codes = []
    for step in range(_PAIRS_PER_ARTICLE):
        head = start_of + step
        ok = head < index
        codes.append(members[ok] * n + members[head[ok]])
    found = _unique(np.concatenate(codes))
    return np.stack([found // n, found % n], axis=1)


def leaders(
    snapshot: Snapshot,
    segment: np.ndarray,
    docnum: np.ndarray,
    key: np.ndarray,
    threshold: float = THRESHOLD,
) -> np.ndarray:
    """The group of each article: for each row (``segment``, ``docnum``), the
    row it is a near-copy of, or its own index when it heads a group.

    Args:
        snapshot: the segments the rows point into.
        segment: segment index of each row.
        docnum: document number of each row.
        key: the rows' order of results (lower first; ties by row).
        threshold: the similarity from which two articles are near-copies.
    """
    head = np.arange(len(docnum))
    if len(docnum) < 2:
        return head
    tables = _tables(snapshot)
    pairs = _candidate_pairs(_bands(tables, segment, docnum), key)
    if not len(pairs):
        return head
    involved = _unique(pairs.ravel())
    local = np.searchsorted(involved, pairs)
    local = local.reshape(pairs.shape)
    signatures = _signatures(tables, segment[involved], docnum[involved])
    near = similarity(signatures[local[:, 0]], signatures[local[:, 1]]) >= threshold
    pairs, local = pairs[near], local[near]
    # In result order of the later article, then of the earlier one: an
    # article joins the best-placed group head it copies.
    ranks = _ranks(involved, key)
    pairs = pairs[np.lexsort((ranks[local[:, 1]], ranks[local[:, 0]]))]
    for later, earlier in pairs.tolist():
        if head[later] == later and head[earlier] == earlier:
            head[later] = earlier
    return head


class Collapsed(Value):
    """A page of collapsed results.

    Attributes:
        total: groups in all (what ``SearchResults.total`` reports).
        matches: articles that count as results, copies included.
        picked: the page's candidates (indexes into the candidates), best
            first.
        scores: every candidate's final score.
        duplicates: for each picked candidate, the ids of its near-copies,
            in result order.
    """

    __slots__ = ("duplicates", "matches", "picked", "scores", "total")
    total: int
    matches: int
    picked: np.ndarray
    scores: np.ndarray
    duplicates: tuple[tuple[str, ...], ...]

    def __init__(
        self,
        total: int,
        matches: int,
        picked: np.ndarray,
        scores: np.ndarray,
        duplicates: tuple[tuple[str, ...], ...],
    ) -> None:
        self._set(total, matches, picked, scores, duplicates)

    @property
    def notes(self) -> list[str]:
        """What collapsing did, in words (none when it found no copies)."""
        folded = self.matches - self.total
        if not folded:
            return []
        copies = "near-copy" if folded == 1 else "near-copies"
        return [
            f"{folded:,} {copies} folded into the results they copy: "
            f"total counts {self.total:,} results of {self.matches:,} "
            "matching articles"
        ]

    def with_duplicates(self, hits: tuple[Hit, ...]) -> tuple[Hit, ...]:
        """``hits`` (the page's, in order) with their near-copies' ids."""
        return tuple(
            hit.evolve(duplicates=ids) if ids else hit
            for hit, ids in zip(hits, self.duplicates, strict=True)
        )


def collapsed_page(
    snapshot: Snapshot,
    parsed: ParsedQuery,
    scorer: Scorer,
    cands: Candidates,
    sort: Sort,
    offset: int,
    limit: int,
) -> Collapsed:
    """One page of results with near-copies collapsed, in the order
    :func:`~newsindex._ranking.relevance_order` or
    :func:`~newsindex._ranking.newest_order` gives."""
    if sort == "newest":
        ordered = newest_order(snapshot, cands)
        key = np.full(len(cands.docnum), np.inf)
        key[ordered] = np.arange(len(ordered))
        return collapse(snapshot, cands, key, cands.score, offset, limit, ordered)
    picked, scores = relevance_order(snapshot, parsed, scorer, cands, offset + limit)
    # relevance_order orders by final score, ties by candidate, as ``key``
    # does; its page stands when nothing above it is folded.
    return collapse(snapshot, cands, -scores, scores, offset, limit, picked=picked)


def _first(key: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` of ``rows`` with the lowest ``key``, in order (ties by row)."""
    sub = key[rows]
    if k < len(sub):
        cut = sub[np.argpartition(sub, k - 1)[k - 1]]
        keep = np.flatnonzero(sub <= cut)
        rows, sub = rows[keep], sub[keep]
    first: np.ndarray = rows[np.lexsort((rows, sub))][:k]
    return first


# Long: one pass from groups to the page and its copies' ids; the steps share
# every array, and splitting them would pass six arrays around.
def collapse(
    snapshot: Snapshot,
    cands: Candidates,
    key: np.ndarray,
    scores: np.ndarray,
    offset: int,
    limit: int,
    rows: np.ndarray | None = None,
    *,
    picked: np.ndarray | None = None,
    exclude: int | None = None,
) -> Collapsed:
    """Group the near-copies among the candidates and cut one page of group
    heads.

    Args:
        key: each candidate's place in the results (lower first; ties by
            candidate).
        scores: each candidate's final score.
        rows: the candidates that count as results (default: all).
        picked: the page without collapsing, used when nothing is folded.
        exclude: a candidate left out with its copies (the article whose
            related articles are asked for).
    """
    count = len(cands.docnum)
    rows = np.arange(count) if rows is None else rows
    within = leaders(snapshot, cands.segment[rows], cands.docnum[rows], key[rows])
    head = np.arange(count)
    head[rows] = rows[within]
    out = np.zeros(count, dtype=bool)
    out[rows] = head[rows] != rows
    if exclude is not None:
        out |= head == exclude
    folded = int(out.sum())
    if folded or picked is None:
        best = _first(key, rows, offset + limit + folded)
        picked = best[~out[best]][offset : offset + limit]
    else:
        picked = picked[offset : offset + limit]
    members: dict[int, list[int]] = {int(p): [] for p in picked}
    copies = np.flatnonzero(out & (head != np.arange(count)))
    for copy in _first(key, copies, len(copies)).tolist():
        group = members.get(int(head[copy]))
        if group is not None:
            group.append(copy)
    duplicates = tuple(
        tuple(_article_id(snapshot, cands, c) for c in members[p])
        for p in picked.tolist()
    )
    matches = len(rows) - (exclude is not None)
    return Collapsed(len(rows) - folded, matches, picked, scores, duplicates)


def _article_id(snapshot: Snapshot, cands: Candidates, row: int) -> str:
    segment = snapshot.segments[int(cands.segment[row])]
    article_id: str = segment.stored(int(cands.docnum[row]))["id"]
    return article_id


def _unique(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values: ``np.unique`` without its import of
    ``numpy.ma`` (15 ms in a fresh process, on every ``newsindex search``)."""
    ordered = np.sort(values)
    if not len(ordered):
        return ordered
    keep: np.ndarray = ordered[np.r_[True, ordered[1:] != ordered[:-1]]]
    return keep
