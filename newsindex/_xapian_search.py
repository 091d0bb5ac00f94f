"""One search on Xapian: Xapian finds the candidates, newsindex scores them
(see ``_xapian.py``)."""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import xapian  # type: ignore[import-not-found,unused-ignore]

from newsindex._analysis import Analyzer
from newsindex._article import Article
from newsindex._highlighting import highlight_matches, snippet_from_matches, spans_at
from newsindex._options import Filters, SearchOptions
from newsindex._query import Clause, ParsedQuery
from newsindex._ranking import Ranking, idf_of
from newsindex._results import FacetCount, Hit
from newsindex._spelling import weighted_df
from newsindex._xapian_store import (
    ARTICLE_ID,
    DATE,
    EXACT_TOTAL,
    FACET_SLOTS,
    LENGTHS_KEY,
    article_of,
    count_values,
    facet_counts,
    terms_of,
)

#: Xapian's best candidates that newsindex scores (more when a page reaches
#: deeper). Each one's document is fetched, a round trip to its shard (0.2
#: ms on loopback). Development sets, 3,000 CLICK-ID articles, MRR@10 with
#: 100 / 50 / 30 / 20 candidates: headlines over bodies 0.886 / 0.886 /
#: 0.886 / 0.888, short keywords over titled articles 0.973 / 0.973 / 0.973
#: / 0.970 (the embedded engine: 0.886, 0.973).
CANDIDATES = 50


@attrs.frozen
class Found:
    total: int
    hits: list[Hit]
    facets: Mapping[str, tuple[FacetCount, ...]]


@attrs.define
class _Candidate:
    """One article Xapian found, with its analysed fields."""

    doc: Any  # its Xapian document
    id: str
    terms: dict[str, list[str]]  # field -> terms in order
    score: float = 0.0
    matched: int = 0
    _article: Article | None = None

    def article(self) -> Article:
        """The stored article (decoded when first asked for: only hits are)."""
        if self._article is None:
            self._article = article_of(self.doc)
        return self._article

    def timestamp(self) -> float | None:
        value = self.doc.get_value(DATE)
        return xapian.sortable_unserialise(value) if value else None


class Search:
    """One query on one set of connections (see the module docstring)."""

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
            totals.update(json.loads(shard.get_metadata(LENGTHS_KEY) or b"{}"))
        self.avg = {f: (totals[f] / self.n) or 1.0 for f in ("title", "body")}
        self.weight = {"title": ranking.title_weight, "body": 1.0}
        self.b = {"title": ranking.b_title, "body": ranking.b_body}
        self._idf: dict[str | tuple[str, ...], float] = {}
        self.sequence = parsed.sequence  # a property that builds a tuple
        self._mset: Any = None

    # -- Xapian's part --------------------------------------------------------

    def _alternative(self, alt: tuple[str, ...]) -> xapian.Query:
        # Only to choose the candidates: titles count more, as in BM25F (a
        # title weight of 8 there scales its term frequency, not the score).
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
            parts.append(xapian.Query(xapian.Query.OP_VALUE_RANGE, DATE, low, high))
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

    def run(self, offset: int, limit: int) -> Found:
        query = any_clause = self._query(all_clauses=False)
        if self.options.sort == "newest":
            # Newest among the articles that match the most clauses: all of
            # them when some article does (else any of them).
            every = self._query(all_clauses=True)
            if self._enquire(every).get_mset(0, 1).size():
                query = every
        enquire = self._enquire(query)
        if self.options.sort == "newest":
            enquire.set_sort_by_value_then_relevance(DATE, True)
            mset = self._mset = enquire.get_mset(offset, limit, EXACT_TOTAL)
            page = self._candidates(mset)
            for cand in page:
                self._score(cand)
        else:
            depth = max(CANDIDATES, offset + limit)
            # Ties by id, so that the same candidates make the cut however
            # the articles are spread over shards (document numbers differ).
            enquire.set_sort_by_relevance_then_value(ARTICLE_ID, False)
            mset = self._mset = enquire.get_mset(0, depth, EXACT_TOTAL)
            cands = self._candidates(mset)
            for cand in cands:
                self._score(cand)
            if self.options.recency is not None:
                self._age(cands, self.options.recency)
            page = self._ordered(cands)[offset : offset + limit]
        hits = [self._hit(offset + 1 + i, cand) for i, cand in enumerate(page)]
        return Found(int(mset.get_matches_estimated()), hits, self._facets(any_clause))

    def _facets(self, query: xapian.Query) -> dict[str, tuple[FacetCount, ...]]:
        """Every match of any clause counted, as the embedded engine counts."""
        if not self.options.facets:
            return {}
        slots = [FACET_SLOTS[name] for name in self.options.facets]
        counted = count_values(self.db, query, slots, int(self.db.get_doccount()))
        return {
            name: facet_counts(counted[FACET_SLOTS[name]], name)
            for name in self.options.facets
        }

    def _candidates(self, mset: Any) -> list[_Candidate]:
        mset.fetch()  # all the documents at once (one round trip per shard)
        out = []
        for item in mset:
            doc = item.document
            article_id = doc.get_value(ARTICLE_ID).decode()
            out.append(_Candidate(doc, article_id, terms_of(doc)))
        return out

    def idf(self, key: str | tuple[str, ...]) -> float:
        """As ``_ranking.Scorer.idf``: from the document frequency that
        ``_gathering.Gathered.df`` holds under ``key`` (a term: the larger
        of its title and body frequencies; a phrase: the articles with it),
        changed by the query's weights as ``_spelling.weigh`` changes it.

        ``Gathered.df`` keeps a single term under the term itself, not under
        the one-word alternative ``(term,)`` that clauses look up; the
        embedded engine's clauses then find no frequency there (an idf
        independent of the word), and so do these, to give equal results.
        """
        found = self._idf.get(key)
        if found is None:
            if isinstance(key, str):
                df = max(self._termfreq(key), self._termfreq("S" + key))
            elif len(key) > 1:
                df = max(self._phrase_df(key, ""), self._phrase_df(key, "S"))
            else:
                df = 0
            weight = self.parsed.weights.get(key)
            if weight is not None and df:
                df = weighted_df(df, self.n, weight)
            found = idf_of(df, self.n)
            self._idf[key] = found
        return found

    def _termfreq(self, term: str) -> int:
        """Articles with ``term``: from the answer when the query has it (no
        round trip to the shards), else from the database."""
        if self._mset is not None:
            with contextlib.suppress(xapian.InvalidArgumentError):
                return int(self._mset.get_termfreq(term))
        return int(self.db.get_termfreq(term))

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
                for field, terms in cand.terms.items():
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
        coordination = self.ranking.coordination_for(n_clauses)
        if coordination and matched:
            total *= (matched / n_clauses) ** coordination
        cand.score, cand.matched = total, matched

    def _age(self, cands: list[_Candidate], half_life: float) -> None:
        stamps = [c.timestamp() for c in cands]
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
        ranked = sorted(cands, key=lambda c: (-c.score, c.id))
        depth = self.ranking.rerank_depth
        top, rest = ranked[:depth], ranked[depth:]
        for cand in top:
            cand.score += self._bonus(cand)
        top.sort(key=lambda c: (-c.score, c.id))
        return top + rest

    def _bonus(self, cand: _Candidate) -> float:
        """Proximity and lead bonuses (as ``_ranking._bonuses``)."""
        ranking = self.ranking
        sequence = self.sequence
        if not (ranking.proximity or ranking.lead) or not sequence:
            return 0.0
        terms = cand.terms["body"]
        body: dict[str, list[int]] = {}
        wanted = set(sequence)
        for pos, term in enumerate(terms):
            if term in wanted:
                body.setdefault(term, []).append(pos)
        present = [t for t in sequence if t in body]
        bonus = 0.0
        untitled = not cand.terms["title"] or ranking.lead_with_title
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
        article, wanted = cand.article(), self.parsed.terms
        shown = {}
        for field in ("title", "body"):
            text = getattr(article, field)
            matches = []
            if self.options.snippets:
                # The text analysed again gives the terms stored, and offsets.
                terms, starts = self.analyzer.terms_and_starts(text)
                matches = [
                    (s, t) for t, s in zip(terms, starts, strict=True) if t in wanted
                ]
            shown[field] = spans_at(self.analyzer, text, matches)
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
