"""Ranked retrieval over an index snapshot.

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
* *lead*: query words in the opening words of the body (a news article's
  lead) add a small bonus in the same re-ranking step.

The constants were tuned on the development splits of the query sets in
``../shared/data`` (see ``bench/``); the test splits were used only to report.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Iterable
from typing import Any, Final

import attrs
import numpy as np

from newsindex._analysis import Analyzer
from newsindex._article import parse_published, published_timestamp
from newsindex._codec import Postings
from newsindex._highlighting import highlight_matches, snippet_from_matches
from newsindex._query import Clause, ParsedQuery, QueryLimits, parse_query
from newsindex._results import Hit, SearchResults
from newsindex._segments import SegmentData
from newsindex.errors import ArticleError, QueryError
from newsindex.schema import NO_DATE, TEXT_FIELDS, facet_key

__all__ = ["SORTS", "Ranking", "Snapshot", "search"]
SORTS: Final = ("relevance", "newest")


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
        lead: weight of the lead bonus (0 disables it).
        lead_length: words of the body that count as its lead.
        rerank_depth: how many top articles the bonuses are computed for.
    """

    k1: float = 1.2
    b_body: float = 0.9
    b_title: float = 0.5
    title_weight: float = 2.0
    coordination: float = 2.0
    coordination_max_clauses: int = 4
    proximity: float = 0.5
    window: int = 8
    lead: float = 3.0
    lead_length: int = 50
    rerank_depth: int = 100


class Snapshot:
    """The segments of one committed generation, ready to search.

    Immutable once built, so any number of threads may search it at once.
    """

    def __init__(self, generation: int, segments: list[SegmentData]) -> None:
        self.generation = generation
        self.segments = segments
        self.doc_count = sum(s.doc_count for s in segments)
        self.avg_length: dict[str, float] = {}
        for name in TEXT_FIELDS:
            total = sum(float(s.lengths[name][s.live].sum()) for s in segments)
            self.avg_length[name] = total / self.doc_count if self.doc_count else 1.0

    def close(self) -> None:
        """Close the segments' files."""
        for segment in self.segments:
            segment.close()


@attrs.frozen
class _Filters:
    since: float | None
    until: float | None
    sources: frozenset[str] | None
    categories: frozenset[str] | None


def _bound(value: object, name: str, end_of_day: bool) -> float | None:
    if value is None:
        return None
    try:
        parsed = parse_published(value)
    except ArticleError:
        raise QueryError(
            f"{name}: {value!r} is not a date (use yyyy-mm-dd or an ISO 8601 time)"
        ) from None
    if parsed is None:
        return None
    if end_of_day and not isinstance(parsed, dt.datetime):
        parsed = dt.datetime.combine(parsed, dt.time.max)
    return published_timestamp(parsed)


def _facets(values: str | Iterable[str] | None, name: str) -> frozenset[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    elif not isinstance(values, Iterable):
        raise QueryError(
            f"{name} must be a string or strings, not {type(values).__name__}"
        )
    keys = set()
    for value in values:
        if not isinstance(value, str):
            raise QueryError(f"{name} must be strings, not {type(value).__name__}")
        key = facet_key(value)
        if key:
            keys.add(key)
    return frozenset(keys) if keys else None


# -- gathering postings --------------------------------------------------------


class _Gathered:
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
            doc_of, pos = _positions_of(p, docs)  # type: ignore[arg-type]
            k = (doc_of.astype(np.int64) << 32) | (pos.astype(np.int64) - i + (1 << 31))
            keys = k if keys is None else np.intersect1d(keys, k, assume_unique=True)
            if not len(keys):
                return None
        assert keys is not None
        ids, counts = np.unique(keys >> 32, return_counts=True)
        return ids.astype(np.int64), counts.astype(np.float64)


def _occurrences(postings: Postings, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The occurrences of ``postings`` in the documents ``docs``.

    Returns ``(doc, index)`` per occurrence, where ``index`` points into
    :attr:`Postings.positions` and :attr:`Postings.starts`. ``docs`` must be
    sorted; those without the term are skipped. Occurrences come out sorted
    by document, then position.
    """
    ids = postings.ids
    idx = np.searchsorted(ids, docs)
    found = (idx < len(ids)) & (ids[np.minimum(idx, len(ids) - 1)] == docs)
    idx = idx[found]
    bounds = postings.bounds
    starts = bounds[idx]
    counts = bounds[idx + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    run_starts = np.cumsum(counts) - counts
    take = np.arange(total, dtype=np.int64) - np.repeat(run_starts - starts, counts)
    return np.repeat(ids[idx].astype(np.int64), counts), take


def _positions_of(
    postings: Postings, docs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(doc, position) pairs of ``postings`` in ``docs`` (see :func:`_occurrences`)."""
    assert postings.positions is not None
    doc_of, take = _occurrences(postings, docs)
    return doc_of, postings.positions[take].astype(np.int64)


# -- scoring -------------------------------------------------------------------


def _idf(df: int, n: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


class _Scorer:
    def __init__(
        self, snapshot: Snapshot, gathered: _Gathered, ranking: Ranking
    ) -> None:
        self.snapshot = snapshot
        self.gathered = gathered
        self.ranking = ranking
        self.field_weight = {"title": ranking.title_weight, "body": 1.0}
        self.field_b = {"title": ranking.b_title, "body": ranking.b_body}

    def idf(self, key: str | tuple[str, ...]) -> float:
        return _idf(self.gathered.df.get(key, 0), max(self.snapshot.doc_count, 1))

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


def _filter_keep(seg: SegmentData, filters: _Filters, ids: np.ndarray) -> np.ndarray:
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
class _Candidates:
    segment: np.ndarray  # segment index of each candidate
    docnum: np.ndarray
    score: np.ndarray
    matched: np.ndarray  # clauses matched


def _candidates(
    snapshot: Snapshot, parsed: ParsedQuery, scorer: _Scorer, filters: _Filters
) -> _Candidates:
    seg_parts, doc_parts, score_parts, matched_parts = [], [], [], []
    n_clauses = len(parsed.positive)
    coordination = scorer.ranking.coordination
    if n_clauses > scorer.ranking.coordination_max_clauses:
        coordination = 0.0
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
            excluded = np.unique(scorer.excluded(si, seg, clause))
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
        return _Candidates(empty, empty, np.empty(0), empty)
    return _Candidates(
        np.concatenate(seg_parts),
        np.concatenate(doc_parts),
        np.concatenate(score_parts),
        np.concatenate(matched_parts),
    )


# -- re-ranking ----------------------------------------------------------------


def _bonuses(
    snapshot: Snapshot,
    parsed: ParsedQuery,
    scorer: _Scorer,
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
    for si in np.unique(segs).tolist():
        rows = np.flatnonzero(segs == si)
        order = np.argsort(docs[rows])
        rows = rows[order]
        cand = docs[rows]
        body = {}
        for term in sequence:
            postings = scorer.gathered.terms.get((si, "body", term))
            if postings is None or postings.positions is None:
                continue
            doc_of, pos = _positions_of(postings, cand)
            if len(doc_of):
                body[term] = (np.searchsorted(cand, doc_of), pos)
        if ranking.lead:
            for term, (row_of, pos) in body.items():
                early = pos < ranking.lead_length
                counts = np.bincount(row_of[early], minlength=len(cand))
                out[rows] += ranking.lead * idf[term] * counts / (counts + 1.0)
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


# -- the search ----------------------------------------------------------------


def _page(
    limit: int, offset: int, page: int | None, limits: QueryLimits
) -> tuple[int, int]:
    if (
        isinstance(limit, bool)
        or not isinstance(limit, int)
        or not 1 <= limit <= limits.max_limit
    ):
        raise QueryError(
            f"limit must be an integer from 1 to {limits.max_limit}, not {limit!r}"
        )
    if page is not None:
        if isinstance(page, bool) or not isinstance(page, int) or page < 1:
            raise QueryError(f"page must be a positive integer, not {page!r}")
        if offset:
            raise QueryError("give either page or offset, not both")
        offset = (page - 1) * limit
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise QueryError(f"offset must be a non-negative integer, not {offset!r}")
    if offset + limit > limits.max_depth:
        raise QueryError(f"results deeper than {limits.max_depth} cannot be paged to")
    return limit, offset


def search(
    snapshot: Snapshot,
    analyzer: Analyzer,
    ranking: Ranking,
    query: str,
    *,
    limit: int | None = None,
    offset: int = 0,
    page: int | None = None,
    since: Any = None,
    until: Any = None,
    sources: str | Iterable[str] | None = None,
    categories: str | Iterable[str] | None = None,
    sort: str = "relevance",
    snippets: bool = True,
    limits: QueryLimits | None = None,
) -> SearchResults:
    """Search ``snapshot``; see :meth:`newsindex.NewsIndex.search`."""
    limits = limits or QueryLimits()
    started = time.perf_counter()
    if not isinstance(query, str):
        raise QueryError(f"query must be a string, not {type(query).__name__}")
    if limit is None:
        limit = min(10, limits.max_limit)
    limit, offset = _page(limit, offset, page, limits)
    if sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    filters = _Filters(
        _bound(since, "since", end_of_day=False),
        _bound(until, "until", end_of_day=True),
        _facets(sources, "sources"),
        _facets(categories, "categories"),
    )
    if (
        filters.since is not None
        and filters.until is not None
        and filters.since > filters.until
    ):
        raise QueryError("since is later than until")

    parsed = parse_query(query, analyzer, limits)
    notes = list(parsed.notes)
    reason = parsed.empty_reason
    if reason is not None:
        notes.append(reason)
        return SearchResults(
            query,
            0,
            (),
            time.perf_counter() - started,
            offset,
            limit,
            sort,
            tuple(notes),
        )

    gathered = _Gathered(snapshot, parsed)
    scorer = _Scorer(snapshot, gathered, ranking)
    cands = _candidates(snapshot, parsed, scorer, filters)
    total = len(cands.docnum)
    if sort == "newest":
        order = _newest_order(snapshot, cands)
        total = len(order)
        picked = order[offset : offset + limit]
        scores = cands.score
    else:
        picked, scores = _relevance_order(
            snapshot, parsed, scorer, cands, offset + limit
        )
        picked = picked[offset:]
    hits = _hits(
        snapshot, analyzer, parsed, gathered, cands, picked, scores, offset, snippets
    )
    if total == 0:
        notes.append("no article matches the query and filters")
    return SearchResults(
        query,
        total,
        hits,
        time.perf_counter() - started,
        offset,
        limit,
        sort,
        tuple(notes),
    )


def _relevance_order(
    snapshot: Snapshot,
    parsed: ParsedQuery,
    scorer: _Scorer,
    cands: _Candidates,
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


def _newest_order(snapshot: Snapshot, cands: _Candidates) -> np.ndarray:
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


def _hits(
    snapshot: Snapshot,
    analyzer: Analyzer,
    parsed: ParsedQuery,
    gathered: _Gathered,
    cands: _Candidates,
    picked: np.ndarray,
    scores: np.ndarray,
    offset: int,
    snippets: bool,
) -> tuple[Hit, ...]:
    rows = picked.tolist()
    found = _match_starts(gathered, parsed, cands, rows) if snippets else {}
    hits = []
    for rank, row in enumerate(rows, start=offset + 1):
        seg = snapshot.segments[int(cands.segment[row])]
        article = seg.article(int(cands.docnum[row]))
        body = _spans(analyzer, article.body, found.get((row, "body"), ()))
        title = _spans(analyzer, article.title, found.get((row, "title"), ()))
        hits.append(
            Hit(
                rank,
                float(scores[row]),
                article,
                snippet_from_matches(article.body, body),
                highlight_matches(article.title, title),
            )
        )
    return tuple(hits)


def _match_starts(
    gathered: _Gathered, parsed: ParsedQuery, cands: _Candidates, rows: list[int]
) -> dict[tuple[int, str], list[tuple[int, str]]]:
    """Where the query's words begin in each hit: (row, field) -> (start, term).

    Read from the offsets stored in the postings already gathered for
    scoring, so the hits' text is not analysed again.
    """
    found: dict[tuple[int, str], list[tuple[int, str]]] = {}
    by_segment: dict[int, list[int]] = {}
    for row in rows:
        by_segment.setdefault(int(cands.segment[row]), []).append(row)
    for si, seg_rows in by_segment.items():
        row_of = {int(cands.docnum[row]): row for row in seg_rows}
        docs = sorted(row_of)
        wanted = np.asarray(docs, dtype=np.int64)
        for term in parsed.terms:
            for field in TEXT_FIELDS:
                postings = gathered.terms.get((si, field, term))
                if postings is None or postings.starts is None:
                    continue
                # A handful of documents: find each one's run of offsets
                # directly rather than through array-wide operations.
                ids = postings.ids
                idx = np.searchsorted(ids, wanted).tolist()
                bounds = postings.bounds
                for doc, i in zip(docs, idx, strict=True):
                    if i == len(ids) or ids[i] != doc:
                        continue
                    starts = postings.starts[bounds[i] : bounds[i + 1]].tolist()
                    found.setdefault((row_of[doc], field), []).extend(
                        (start, term) for start in starts
                    )
    return found


def _spans(
    analyzer: Analyzer, text: str, starts: Iterable[tuple[int, str]]
) -> list[tuple[int, int, str]]:
    """``(start, end, term)`` of the words beginning at ``starts``.

    A word's end comes from the analyzer; where a doubled word sits inside
    a longer compound (``x-anak-anak``), that end may run past the next
    word's start, so it is cut back to it, hyphen and all.
    """
    spans: list[tuple[int, int, str]] = []
    for start, term in sorted(starts):
        span = analyzer.span_at(text, start)
        if span is None:
            continue
        if spans and spans[-1][1] > start:
            first, _, first_term = spans[-1]
            end = first + len(text[first:start].rstrip("-"))
            spans[-1] = (first, end, first_term)
        spans.append((span[0], span[1], term))
    return spans
