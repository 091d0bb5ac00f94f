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

import numpy as np

from newsindex._fields import NO_DATE, TEXT_FIELDS
from newsindex._gathering import Gathered
from newsindex._options import Filters
from newsindex._query import Clause, ParsedQuery
from newsindex._snapshot import Snapshot
from newsindex._values import Value


class Ranking(Value):
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

    __slots__ = (
        "b_body",
        "b_title",
        "coordination",
        "coordination_max_clauses",
        "k1",
        "lead",
        "lead_length",
        "lead_with_title",
        "proximity",
        "rerank_depth",
        "title_weight",
        "window",
    )
    k1: float
    b_body: float
    b_title: float
    title_weight: float
    coordination: float
    coordination_max_clauses: int
    proximity: float
    window: int
    lead: float
    lead_with_title: bool
    lead_length: int
    rerank_depth: int

    def __init__(
        self,
        *,
        k1: float = 1.2,
        b_body: float = 0.9,
        b_title: float = 0.5,
        title_weight: float = 8.0,
        coordination: float = 2.0,
        coordination_max_clauses: int = 4,
        proximity: float = 0.5,
        window: int = 8,
        lead: float = 3.0,
        lead_with_title: bool = False,
        lead_length: int = 50,
        rerank_depth: int = 100,
    ) -> None:
        self._set(
            k1,
            b_body,
            b_title,
            title_weight,
            coordination,
            coordination_max_clauses,
            proximity,
            window,
            lead,
            lead_with_title,
            lead_length,
            rerank_depth,
        )

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

    def _found(
        self, si: int, field: str, alt: tuple[str, ...]
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """(documents, frequencies) of ``alt`` in one field of segment ``si``."""
        if len(alt) == 1:
            postings = self.gathered.terms.get((si, field, alt[0]))
            return None if postings is None else (postings.ids, postings.tfs)
        return self.gathered.phrases.get((si, field, alt))

    def _frequencies(
        self, alts: list[tuple[str, ...]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Keys ``alternative * size + document`` (sorted, unique; documents
        in the snapshot's numbering) and the weighted, length-normalised
        frequency of each, over both fields."""
        snapshot = self.snapshot
        size = snapshot.size
        starts = snapshot.starts.tolist()
        keys, values = [], []
        for field in TEXT_FIELDS:
            alt_of, start_of, ids, tfs = [], [], [], []
            for a, alt in enumerate(alts):
                for si, start in enumerate(starts):
                    found = self._found(si, field, alt)
                    if found is not None and len(found[0]):
                        alt_of.append(a)
                        start_of.append(start)
                        ids.append(found[0])
                        tfs.append(found[1])
            if not ids:
                continue
            counts = [len(i) for i in ids]
            docs = np.concatenate(ids) + np.repeat(start_of, counts)
            keys.append(np.repeat(alt_of, counts) * size + docs)
            b = self.field_b[field]
            avg = snapshot.avg_length[field] or 1.0
            norm = (1.0 - b) + b * (snapshot.lengths[field][docs] / avg)
            values.append(self.field_weight[field] * np.concatenate(tfs) / norm)
        if not keys:
            return _NO_IDS, _NO_VALUES
        if len(keys) == 1:
            return keys[0], values[0]
        # Two sorted runs: the stable sort merges them, title before body.
        key, value = np.concatenate(keys), np.concatenate(values)
        order = key.argsort(kind="stable")
        key, firsts = _runs(key[order])
        return key, np.add.reduceat(value[order], firsts)

    def matches(
        self, clauses: tuple[Clause, ...]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(clause, document, score) of each document matching each clause,
        sorted by clause, then document (in the snapshot's numbering).

        Every alternative of every clause is scored at once: BM25F sums an
        alternative's fields before saturating them, then a clause's
        alternatives add up, in the order they were written.
        """
        size = self.snapshot.size
        alts = [alt for clause in clauses for alt in clause.alternatives]
        key, tf = self._frequencies(alts)
        if not len(key):
            return _NO_IDS, _NO_IDS, _NO_VALUES
        alt = key // size
        docs = key - alt * size
        idf = np.array([self.idf(a) for a in alts])
        k1 = self.ranking.k1
        score = idf[alt] * tf * (k1 + 1.0) / (tf + k1)
        if len(alts) == len(clauses):
            return alt, docs, score
        clause_of = np.repeat(
            np.arange(len(clauses)), [len(c.alternatives) for c in clauses]
        )[alt]
        key = clause_of * size + docs
        order = key.argsort(kind="stable")
        key, firsts = _runs(key[order])
        clause_of = key // size
        return clause_of, key - clause_of * size, np.add.reduceat(score[order], firsts)

    def excluded(self, clause: Clause) -> np.ndarray:
        """Documents that match ``clause`` (to exclude), sorted."""
        key, _ = self._frequencies(list(clause.alternatives))
        return key % max(self.snapshot.size, 1)


_NO_IDS = np.empty(0, dtype=np.int64)
_NO_VALUES = np.empty(0, dtype=np.float64)


def _runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of the sorted ``keys`` and where each run starts."""
    firsts = np.concatenate(([True], keys[1:] != keys[:-1])).nonzero()[0]
    return keys[firsts], firsts


def _sum_by_id(
    ids: np.ndarray, values: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Add up ``values`` per id (ids < ``size``), in the order given.

    Returns the sorted distinct ids, their sums, and how many values each
    had. Few values against a large segment are merged by a stable sort, so
    the cost follows the postings; many are counted into arrays of the
    segment's size, which is then cheaper.
    """
    if 2 * len(ids) >= size:
        counts = np.bincount(ids, minlength=size)
        hit = counts.nonzero()[0]
        return hit, np.bincount(ids, values, minlength=size)[hit], counts[hit]
    order = ids.argsort(kind="stable")
    ids, firsts = _runs(ids[order])
    counts = np.diff(np.append(firsts, len(order)))
    return ids, np.add.reduceat(values[order], firsts), counts


def _member(ids: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Whether each of ``ids`` is in ``sorted_set`` (sorted ascending)."""
    if not len(sorted_set):
        return np.zeros(len(ids), dtype=bool)
    at = np.minimum(sorted_set.searchsorted(ids), len(sorted_set) - 1)
    found: np.ndarray = sorted_set[at] == ids
    return found


def _filter_keep(snapshot: Snapshot, filters: Filters, ids: np.ndarray) -> np.ndarray:
    """Which of the documents ``ids`` (snapshot numbering) are live and pass
    the filters."""
    keep: np.ndarray = snapshot.live[ids]
    if filters.since is not None or filters.until is not None:
        dates = snapshot.published[ids]
        if filters.since is not None:
            keep &= (dates != NO_DATE) & (dates >= filters.since)
        if filters.until is not None:
            keep &= (dates != NO_DATE) & (dates <= filters.until)
    for field, keys in (("source", filters.sources), ("category", filters.categories)):
        if keys is None:
            continue
        allowed = np.zeros(len(ids), dtype=bool)
        starts = snapshot.starts.tolist()
        for key in keys:
            for seg, start in zip(snapshot.segments, starts, strict=True):
                postings = seg.postings(field, key.encode("utf-8"))
                if postings is not None:
                    allowed |= _member(ids, postings.ids.astype(np.int64) + start)
        keep &= allowed
    return keep


class Candidates(Value):
    __slots__ = ("decay", "docnum", "matched", "score", "segment")
    segment: np.ndarray  # segment index of each candidate
    docnum: np.ndarray
    score: np.ndarray
    matched: np.ndarray  # clauses matched
    decay: np.ndarray | None  # recency factors, already in ``score``

    def __init__(
        self,
        segment: np.ndarray,
        docnum: np.ndarray,
        score: np.ndarray,
        matched: np.ndarray,
        decay: np.ndarray | None = None,
    ) -> None:
        self._set(segment, docnum, score, matched, decay)


def candidates(
    snapshot: Snapshot, parsed: ParsedQuery, scorer: Scorer, filters: Filters
) -> Candidates:
    """Every live article matching the query and the filters, with its base
    score (BM25F, coordination) and the number of clauses it matches; in
    order of segment, then document number."""
    n_clauses = len(parsed.positive)
    coordination = scorer.ranking.coordination_for(n_clauses)
    clause_of, docs, score = scorer.matches(parsed.positive)
    if not len(docs):
        return Candidates(_NO_IDS, _NO_IDS, _NO_VALUES, _NO_IDS)
    ids, scores, matched = _sum_by_id(docs, score, snapshot.size)
    # Filters apply to the matching documents only: the cost follows the
    # query's postings rather than the size of the index.
    keep = _filter_keep(snapshot, filters, ids)
    for c, clause in enumerate(parsed.positive):
        if clause.required:
            lo, hi = clause_of.searchsorted((c, c + 1))
            keep &= _member(ids, docs[lo:hi])
    for clause in parsed.negative:
        keep &= ~_member(ids, scorer.excluded(clause))
    ids, scores, matched = ids[keep], scores[keep], matched[keep]
    if coordination:
        scores = scores * (matched / n_clauses) ** coordination
    segment = snapshot.starts.searchsorted(ids, side="right") - 1
    return Candidates(segment, ids - snapshot.starts[segment], scores, matched)
