"""Ranking: which articles match a query, their scores, and their order.

Scoring is BM25F over title and body (Robertson and Zaragoza's form: each
field's term frequency is length-normalised and weighted, the weighted sum is
saturated once, then multiplied by the term's idf), computed with numpy over
whole posting lists. Three refinements follow the base score:

* *coordination*: for short queries (up to
  :attr:`Ranking.coordination_max_clauses` clauses), the score is multiplied
  by the share of the query's clauses an article matches, raised to
  :attr:`Ranking.coordination`, so an article with all the words outranks
  one with some;
* *proximity*: among the best :attr:`Ranking.rerank_depth` articles, each pair
  of query words that appear near each other adds to the score, weighted by
  the rarer word's idf;
* *lead*: for articles without a title, query words in the opening words of
  the body (a news article's lead, which restates its headline) add a small
  bonus in the same re-ranking step.

The constants were tuned on the development splits of the query sets in
``../shared/data`` in two settings at once: body-only indexes with the
public queries made from titles, and indexes with titles with 2-4 typed
keywords (``bench/keywords.py``); see ``bench/ablation.py``. The test splits
were used only to report.
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from newsindex._fields import NO_DATE, TEXT_FIELDS
from newsindex._gathering import Gathered, positions_of
from newsindex._options import Filters
from newsindex._query import Clause, ParsedQuery
from newsindex._segment_reader import SegmentData
from newsindex._snapshot import Snapshot


@attrs.frozen(kw_only=True)
class Ranking:
    """Ranking constants (the defaults are tuned; see the module docstring).

    Attributes:
        k1: BM25 term-frequency saturation.
        b_body: body length normalisation (0 none, 1 full).
        b_title: title length normalisation.
        title_weight: weight of a title occurrence relative to the body.
        coordination: exponent on the share of clauses matched.
        coordination_max_clauses: queries with more clauses than this
            (pasted headlines, questions) are ranked without coordination:
            measured on the development sets, it helps short keyword queries
            and hurts long ones.
        proximity: weight of the proximity bonus (0 disables it).
        window: how many positions apart two words still count as near.
        lead: weight of the lead bonus (0 disables it), given to articles
            without a title: a news lead restates the headline, so it stands
            in for one; where the title is indexed it adds nothing but noise
            (measured on keyword queries over titled articles).
        lead_with_title: give the lead bonus to titled articles too (the
            behaviour before 0.2; kept for comparison).
        lead_length: words of the body that count as its lead.
        rerank_depth: how many top articles the bonuses are computed for.
    """

    k1: float = 1.2
    b_body: float = 0.9
    b_title: float = 0.5
    title_weight: float = 8.0
    coordination: float = 2.0
    coordination_max_clauses: int = 4
    proximity: float = 0.5
    window: int = 8
    lead: float = 3.0
    lead_with_title: bool = False
    lead_length: int = 50
    rerank_depth: int = 100

    def coordination_for(self, clauses: int) -> float:
        """The coordination exponent for a query of ``clauses`` clauses (0
        above :attr:`coordination_max_clauses`)."""
        return self.coordination if clauses <= self.coordination_max_clauses else 0.0


def idf_of(df: int, n: int) -> float:
    """BM25's idf of a term in ``df`` of ``n`` articles (every engine's)."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


class Scorer:
    def __init__(
        self, snapshot: Snapshot, gathered: Gathered, ranking: Ranking
    ) -> None:
        self.snapshot = snapshot
        self.gathered = gathered
        self.ranking = ranking
        self.field_weight = {"title": ranking.title_weight, "body": 1.0}
        self.field_b = {"title": ranking.b_title, "body": ranking.b_body}

    def idf(self, key: str | tuple[str, ...]) -> float:
        return idf_of(self.gathered.df.get(key, 0), max(self.snapshot.doc_count, 1))

    def _norm(self, seg: SegmentData, field: str, ids: np.ndarray) -> np.ndarray:
        b = self.field_b[field]
        avg = self.snapshot.avg_length[field] or 1.0
        norm: np.ndarray = (1.0 - b) + b * (seg.lengths[field][ids] / avg)
        return norm

    def alternative(
        self, si: int, seg: SegmentData, alt: tuple[str, ...]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(documents, weighted normalised frequency) of ``alt`` in ``seg``.

        The documents are sorted; BM25F sums the fields' contributions
        before saturating them.
        """
        parts = []
        for field in TEXT_FIELDS:
            if len(alt) == 1:
                postings = self.gathered.terms.get((si, field, alt[0]))
                if postings is None:
                    continue
                ids, tfs = postings.ids, postings.tfs.astype(np.float64)
            else:
                found = self.gathered.phrases.get((si, field, alt))
                if found is None:
                    continue
                ids, tfs = found
            parts.append(
                (ids, self.field_weight[field] * tfs / self._norm(seg, field, ids))
            )
        if not parts:
            return _NO_IDS, _NO_VALUES
        ids, values, _ = _sum_by_id(parts, seg.doc_count_all)
        return ids, values

    def clause(
        self, si: int, seg: SegmentData, clause: Clause
    ) -> tuple[np.ndarray, np.ndarray]:
        """(documents, score) of one clause; documents sorted and unique."""
        k1 = self.ranking.k1
        found = []
        for alt in clause.alternatives:
            ids, tf = self.alternative(si, seg, alt)
            if len(ids):
                found.append((ids, self.idf(alt) * tf * (k1 + 1.0) / (tf + k1)))
        if not found:
            return _NO_IDS, _NO_VALUES
        ids, values, _ = _sum_by_id(found, seg.doc_count_all)
        return ids, values

    def excluded(self, si: int, seg: SegmentData, clause: Clause) -> np.ndarray:
        """Documents of ``seg`` that match ``clause`` (to exclude)."""
        found = [self.alternative(si, seg, alt)[0] for alt in clause.alternatives]
        return np.concatenate(found) if found else _NO_IDS


_NO_IDS = np.empty(0, dtype=np.int64)
_NO_VALUES = np.empty(0, dtype=np.float64)


def _sum_by_id(
    parts: list[tuple[np.ndarray, np.ndarray]], size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Add up ``(ids, values)`` parts whose ids are sorted, unique and < ``size``.

    Returns the sorted unique ids, their sums, and how many parts held
    each. Few postings against a large segment are merged sparsely (a
    stable sort of sorted runs), so the cost follows the postings; many are
    added into arrays of the segment's size, which is then cheaper (the two
    cross near postings = half the segment, measured).
    """
    if len(parts) == 1:
        ids, values = parts[0]
        return ids.astype(np.int64, copy=False), values, np.ones(len(ids), np.int32)
    if 2 * sum(len(ids) for ids, _ in parts) >= size:
        sums = np.zeros(size)
        counts = np.zeros(size, dtype=np.int32)
        for ids, values in parts:
            sums[ids] += values
            counts[ids] += 1
        hit = np.flatnonzero(counts)
        return hit, sums[hit], counts[hit]
    ids = np.concatenate([ids for ids, _ in parts]).astype(np.int64, copy=False)
    values = np.concatenate([values for _, values in parts])
    order = np.argsort(ids, kind="stable")
    ids, values = ids[order], values[order]
    firsts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    counts = np.diff(firsts, append=len(ids)).astype(np.int32)
    return ids[firsts], np.add.reduceat(values, firsts), counts


def _member(ids: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Whether each of ``ids`` is in ``sorted_set`` (sorted ascending)."""
    if not len(sorted_set):
        return np.zeros(len(ids), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, ids), len(sorted_set) - 1)
    found: np.ndarray = sorted_set[at] == ids
    return found


def _filter_keep(seg: SegmentData, filters: Filters, ids: np.ndarray) -> np.ndarray:
    """Which of the documents ``ids`` are live and pass the filters."""
    keep: np.ndarray = seg.live[ids]
    if filters.since is not None or filters.until is not None:
        dates = seg.published[ids]
        if filters.since is not None:
            keep &= (dates != NO_DATE) & (dates >= filters.since)
        if filters.until is not None:
            keep &= (dates != NO_DATE) & (dates <= filters.until)
    for field, keys in (("source", filters.sources), ("category", filters.categories)):
        if keys is None:
            continue
        allowed = np.zeros(len(ids), dtype=bool)
        for key in keys:
            postings = seg.postings(field, key.encode("utf-8"))
            if postings is not None:
                allowed |= _member(ids, postings.ids)
        keep &= allowed
    return keep


@attrs.frozen
class Candidates:
    segment: np.ndarray  # segment index of each candidate
    docnum: np.ndarray
    score: np.ndarray
    matched: np.ndarray  # clauses matched
    decay: np.ndarray | None = None  # recency factors, already in ``score``


def candidates(
    snapshot: Snapshot, parsed: ParsedQuery, scorer: Scorer, filters: Filters
) -> Candidates:
    seg_parts, doc_parts, score_parts, matched_parts = [], [], [], []
    n_clauses = len(parsed.positive)
    coordination = scorer.ranking.coordination_for(n_clauses)
    for si, seg in enumerate(snapshot.segments):
        if seg.doc_count_all == 0:
            continue
        # Filters apply to the matching documents only: the cost follows the
        # query's postings rather than the size of the segment.
        found = [scorer.clause(si, seg, clause) for clause in parsed.positive]
        scored = [(ids, score) for ids, score in found if len(ids)]
        if not scored:
            continue
        ids, total, matched = _sum_by_id(scored, seg.doc_count_all)
        keep = _filter_keep(seg, filters, ids)
        for clause, (clause_ids, _) in zip(parsed.positive, found, strict=True):
            if clause.required:
                keep &= _member(ids, clause_ids)
        for clause in parsed.negative:
            excluded = np.sort(scorer.excluded(si, seg, clause))
            keep &= ~_member(ids, excluded)
        ids, scores, matched = ids[keep], total[keep], matched[keep]
        if not len(ids):
            continue
        if coordination:
            scores = scores * (matched / n_clauses) ** coordination
        seg_parts.append(np.full(len(ids), si, dtype=np.int32))
        doc_parts.append(ids)
        score_parts.append(scores)
        matched_parts.append(matched)
    if not seg_parts:
        empty = np.empty(0, dtype=np.int64)
        return Candidates(empty, empty, np.empty(0), empty)
    return Candidates(
        np.concatenate(seg_parts),
        np.concatenate(doc_parts),
        np.concatenate(score_parts),
        np.concatenate(matched_parts),
    )


# -- re-ranking ----------------------------------------------------------------


def _bonuses(
    snapshot: Snapshot,
    parsed: ParsedQuery,
    scorer: Scorer,
    segs: np.ndarray,
    docs: np.ndarray,
) -> np.ndarray:
    """Proximity and lead bonuses for the given candidates."""
    ranking = scorer.ranking
    out = np.zeros(len(docs))
    sequence = parsed.sequence
    if not (ranking.proximity or ranking.lead) or not sequence:
        return out
    idf = {t: scorer.idf(t) for t in sequence}
    # Not np.unique: its first call imports numpy.ma (15 ms in a fresh
    # process), and a handful of segment numbers need no array sort.
    for si in sorted(set(segs.tolist())):
        rows = np.flatnonzero(segs == si)
        order = np.argsort(docs[rows])
        rows = rows[order]
        cand = docs[rows]
        body = {}
        for term in sequence:
            postings = scorer.gathered.terms.get((si, "body", term))
            if postings is None or postings.positions is None:
                continue
            doc_of, pos = positions_of(postings, cand)
            if len(doc_of):
                body[term] = (np.searchsorted(cand, doc_of), pos)
        if ranking.lead:
            # The lead stands in for a headline the index lacks (see Ranking).
            untitled = snapshot.segments[si].lengths["title"][cand] == 0
            if ranking.lead_with_title:
                untitled[:] = True
            for term, (row_of, pos) in body.items():
                early = pos < ranking.lead_length
                counts = np.bincount(row_of[early], minlength=len(cand))
                bonus = ranking.lead * idf[term] * counts / (counts + 1.0)
                out[rows] += np.where(untitled, bonus, 0.0)
        if ranking.proximity:
            present = list(body)
            for i, a in enumerate(present):
                for b in present[i + 1 :]:
                    near = _near_counts(body[a], body[b], ranking.window, len(cand))
                    weight = min(idf[a], idf[b])
                    out[rows] += ranking.proximity * weight * near / (near + 1.0)
    return out


def _near_counts(
    a: tuple[np.ndarray, np.ndarray],
    b: tuple[np.ndarray, np.ndarray],
    window: int,
    n: int,
) -> np.ndarray:
    """Per candidate, occurrences of ``a`` with ``b`` within ``window`` positions."""
    key_a = (a[0].astype(np.int64) << 32) | a[1]
    key_b = (b[0].astype(np.int64) << 32) | b[1]
    lo = np.searchsorted(key_b, key_a - window, side="left")
    hi = np.searchsorted(key_b, key_a + window, side="right")
    counts = (hi - lo).astype(np.float64)
    near: np.ndarray = np.bincount(a[0], weights=counts, minlength=n)
    return near


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
    dates = np.empty(len(cands.docnum), dtype=np.int64)
    for si, segment in enumerate(snapshot.segments):
        rows = cands.segment == si
        dates[rows] = segment.published[cands.docnum[rows]]
    dated = dates != NO_DATE
    if not dated.any():
        return cands
    newest, oldest = dates[dated].max(), dates[dated].min()
    age_days = (newest - np.where(dated, dates, oldest)) / 86_400.0
    decay = np.exp2(-age_days / half_life_days)
    return attrs.evolve(cands, score=cands.score * decay, decay=decay)


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
    top = _top(scores, min(len(scores), scorer.ranking.rerank_depth))
    bonus = _bonuses(snapshot, parsed, scorer, cands.segment[top], cands.docnum[top])
    if cands.decay is not None:  # the bonuses age like the score
        bonus *= cands.decay[top]
    if bonus.any():
        scores = scores.copy()
        scores[top] += bonus
        top = top[_stable_desc(scores[top], top)]
    if depth > len(top):
        rest = np.ones(len(scores), dtype=bool)
        rest[top] = False
        remaining = np.flatnonzero(rest)
        more = _top(scores[remaining], min(depth - len(top), len(remaining)))
        top = np.concatenate([top, remaining[more]])
    return top[:depth], scores


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indexes of the ``k`` highest scores, best first; ties by index.

    Deterministic even when ties straddle the cut, which ``argpartition``
    alone is not.
    """
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    if k < len(scores):
        threshold = scores[np.argpartition(-scores, k - 1)[k - 1]]
        above = np.flatnonzero(scores > threshold)
        ties = np.flatnonzero(scores == threshold)[: k - len(above)]
        part = np.concatenate([above, ties])
    else:
        part = np.arange(len(scores))
    best: np.ndarray = part[_stable_desc(scores[part], part)]
    return best


def _stable_desc(values: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Order by value, highest first; ties by ``tiebreak``, lowest first."""
    order: np.ndarray = np.lexsort((tiebreak, -values))
    return order


def newest_order(snapshot: Snapshot, cands: Candidates) -> np.ndarray:
    """Candidates matching the most clauses, newest first, then by score."""
    if not len(cands.docnum):
        return np.empty(0, dtype=np.int64)
    keep = np.flatnonzero(cands.matched == cands.matched.max())
    dates = np.empty(len(keep), dtype=np.int64)
    for si, seg in enumerate(snapshot.segments):
        rows = cands.segment[keep] == si
        dates[rows] = seg.published[cands.docnum[keep][rows]]
    # ~d reverses the order of int64 without overflow (-d does not for
    # NO_DATE), so undated articles come last.
    order: np.ndarray = keep[np.lexsort((keep, -cands.score[keep], ~dates))]
    return order
