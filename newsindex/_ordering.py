"""Re-ranking and ordering: the bonuses of the best candidates, recency,
and the order of a page (by relevance or newest first).

The proximity and lead bonuses are described in :mod:`newsindex._ranking`'s
docstring; they go to the best :attr:`Ranking.rerank_depth` candidates only.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from newsindex._fields import NO_DATE
from newsindex._gathering import Gathered, positions_of
from newsindex._query import ParsedQuery
from newsindex._ranking import Candidates, Scorer
from newsindex._snapshot import Snapshot
from newsindex._topk import descending, top_indexes

# -- re-ranking ----------------------------------------------------------------


def _bonuses(
    snapshot: Snapshot,
    parsed: ParsedQuery,
    scorer: Scorer,
    segs: np.ndarray,
    docs: np.ndarray,
) -> np.ndarray:
    """Proximity and lead bonuses for the given candidates.

    The query words' occurrences in the candidates' bodies are gathered once
    (per segment and word); the lead bonus counts them per word and
    candidate, the proximity bonus per pair of words and candidate, every
    pair at once. The bonuses are added word by word, then pair by pair
    (words without occurrences add zeros), the order the sums have always
    had.
    """
    ranking = scorer.ranking
    words = list(dict.fromkeys(parsed.sequence))
    if not (ranking.proximity or ranking.lead) or not words:
        return np.zeros(len(docs))
    found = _occurrences(snapshot, scorer.gathered, words, segs, docs)
    if found is None:
        return np.zeros(len(docs))
    word, row, pos, untitled = found
    idf = np.array([scorer.idf(t) for t in words])
    shape = (len(words), len(docs))
    parts = []
    if ranking.lead:
        # The lead stands in for a headline the index lacks (see Ranking).
        if ranking.lead_with_title:
            untitled[:] = True
        early = pos < ranking.lead_length
        counts = _count(word[early] * shape[1] + row[early], shape)
        bonus = ranking.lead * idf[:, None] * counts / (counts + 1.0)
        parts.append(np.where(untitled, bonus, 0.0))
    if ranking.proximity:
        (a, b), near = _near_pairs(word, row, pos, ranking.window, shape)
        weight = np.minimum(idf[a], idf[b])[:, None]
        parts.append(ranking.proximity * weight * near / (near + 1.0))
    bonuses: np.ndarray = np.concatenate(parts).sum(axis=0)
    return bonuses


def _occurrences(
    snapshot: Snapshot,
    gathered: Gathered,
    words: list[str],
    segs: np.ndarray,
    docs: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """(word index, candidate, position) of every body occurrence of
    ``words`` in the candidates ``(segs, docs)``, and which candidates have
    no title."""
    word, row, pos = [], [], []
    untitled = np.zeros(len(docs), dtype=bool)
    # Not np.unique: its first call imports numpy.ma (15 ms in a fresh
    # process), and a handful of segment numbers need no array sort.
    for si in sorted(set(segs.tolist())):
        rows = (segs == si).nonzero()[0]
        rows = rows[docs[rows].argsort()]
        cand = docs[rows]
        untitled[rows] = snapshot.segments[si].lengths["title"][cand] == 0
        for i, term in enumerate(words):
            postings = gathered.terms.get((si, "body", term))
            if postings is None or postings.positions is None:
                continue
            found, at = positions_of(postings, cand)
            word.append(np.full(len(found), i))
            row.append(rows[found])
            pos.append(at)
    if not word:
        return None
    return np.concatenate(word), np.concatenate(row), np.concatenate(pos), untitled


def _count(keys: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """How often each flat index of an array of ``shape`` occurs in ``keys``."""
    size = math.prod(shape)
    counts: np.ndarray = np.bincount(keys, minlength=size).reshape(shape)
    return counts


def _near_pairs(
    word: np.ndarray,
    row: np.ndarray,
    pos: np.ndarray,
    window: int,
    shape: tuple[int, int],
) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """Every pair of words ``(a, b)`` with ``a < b``, and per pair and
    candidate the occurrences of ``a`` with ``b`` within ``window`` positions.

    The occurrences are sorted by candidate and position; each one's
    neighbours within the window are a slice of that order.
    """
    words, n = shape
    key = (row << 32) | pos
    order = key.argsort(kind="stable")
    key, word, row = key[order], word[order], row[order]
    lo = key.searchsorted(key - window, side="left")
    span = key.searchsorted(key + window, side="right") - lo
    left = np.arange(len(key)).repeat(span)
    right = np.arange(len(left)) - (span.cumsum() - span - lo).repeat(span)
    keep = word[left] < word[right]
    left, right = left[keep], right[keep]
    counts = _count((word[left] * words + word[right]) * n + row[left], (words**2, n))
    a, b = _pairs(words)
    return (a, b), counts[a * words + b]


@functools.lru_cache(maxsize=64)
def _pairs(words: int) -> tuple[np.ndarray, np.ndarray]:
    """Every ``(a, b)`` with ``a < b < words``, ``a`` first, as two arrays."""
    a, b = np.triu_indices(words, 1)
    a.flags.writeable = b.flags.writeable = False
    return a, b


# -- ordering ------------------------------------------------------------------


def with_recency(
    snapshot: Snapshot, cands: Candidates, half_life_days: float
) -> Candidates:
    """``cands`` with each score multiplied by 0.5 per half-life that the
    article is older than the newest candidate (undated ones count as old as
    the oldest), so that among equally good matches the newer comes first.

    Relative to the newest match, not to today: an archive's scores keep
    their scale, and the order is the same as from any other reference.
    """
    if not len(cands.docnum):
        return cands
    dates = _dates(snapshot, cands)
    dated = dates != NO_DATE
    if not dated.any():
        return cands
    newest, oldest = dates[dated].max(), dates[dated].min()
    age_days = (newest - np.where(dated, dates, oldest)) / 86_400.0
    decay = np.exp2(-age_days / half_life_days)
    return cands.evolve(score=cands.score * decay, decay=decay)


def relevance_order(
    snapshot: Snapshot,
    parsed: ParsedQuery,
    scorer: Scorer,
    cands: Candidates,
    depth: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate indexes of the best ``depth``, best first, and final scores.

    The bonuses go to the same :attr:`Ranking.rerank_depth` articles whatever
    page is asked for, so pages never overlap or skip: re-ranked articles
    only move up, and all of them stay above the rest.
    """
    scores = cands.score
    if len(scores) == 0:
        return np.empty(0, dtype=np.int64), scores
    top = top_indexes(scores, min(len(scores), scorer.ranking.rerank_depth))
    bonus = _bonuses(snapshot, parsed, scorer, cands.segment[top], cands.docnum[top])
    if cands.decay is not None:  # the bonuses age like the score
        bonus *= cands.decay[top]
    if bonus.any():
        scores = scores.copy()
        scores[top] += bonus
        top = top[descending(scores[top], top)]
    if depth > len(top):
        rest = np.ones(len(scores), dtype=bool)
        rest[top] = False
        remaining = np.flatnonzero(rest)
        more = top_indexes(scores[remaining], min(depth - len(top), len(remaining)))
        top = np.concatenate([top, remaining[more]])
    return top[:depth], scores


def newest_order(snapshot: Snapshot, cands: Candidates) -> np.ndarray:
    """Candidates matching the most clauses, newest first, then by score."""
    if not len(cands.docnum):
        return np.empty(0, dtype=np.int64)
    keep = np.flatnonzero(cands.matched == cands.matched.max())
    dates = _dates(snapshot, cands)[keep]
    # ~d reverses the order of int64 without overflow (-d does not for
    # NO_DATE), so undated articles come last.
    order: np.ndarray = keep[np.lexsort((keep, -cands.score[keep], ~dates))]
    return order


def _dates(snapshot: Snapshot, cands: Candidates) -> np.ndarray:
    """Each candidate's date key (``NO_DATE`` for undated articles)."""
    dates: np.ndarray = snapshot.published[
        snapshot.starts[cands.segment] + cands.docnum
    ]
    return dates
