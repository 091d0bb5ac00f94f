"""One search, from query text to a page of hits.

The stages, each in its own module:

1. parse and analyse the query (``_query.py``);
2. gather the query's posting lists from the snapshot (``_gathering.py``);
3. find the matching articles, score and order them (``_ranking.py``), under
   the options' filters, sort and page (``_options.py``);
4. build the page's hits: stored articles, and snippets from the match
   offsets kept in the postings (``_highlighting.py``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np

from newsindex._analysis import Analyzer
from newsindex._duplicates import collapsed_page
from newsindex._expansions import DEFAULT_EXPANSIONS, Expansions, expand_query
from newsindex._facets import count_facets
from newsindex._gathering import Gathered
from newsindex._highlighting import (
    MatchStarts,
    highlight_matches,
    query_matches,
    snippet_from_matches,
    spans_at,
)
from newsindex._options import Filters, SearchOptions, Sort
from newsindex._ordering import newest_order, relevance_order, with_recency
from newsindex._query import ParsedQuery, QueryLimits, parse_query
from newsindex._ranking import Candidates, Ranking, Scorer, candidates
from newsindex._results import FacetCount, Hit, SearchResults
from newsindex._snapshot import Snapshot
from newsindex._spelling import check_spelling
from newsindex.errors import QueryError


class Request:
    """A search's query and options, checked and parsed: what every engine
    starts from, and how it returns its results."""

    __slots__ = (
        "filters",
        "limit",
        "notes",
        "offset",
        "options",
        "parsed",
        "query",
        "started",
    )
    query: str
    options: SearchOptions
    parsed: ParsedQuery
    filters: Filters
    #: What was ignored, cut or could not be done; engines add to it.
    notes: list[str]
    limit: int
    offset: int
    started: float

    def __init__(
        self,
        query: str,
        options: SearchOptions,
        parsed: ParsedQuery,
        filters: Filters,
        notes: list[str],
        limit: int,
        offset: int,
        started: float,
    ) -> None:
        self.query = query
        self.options = options
        self.parsed = parsed
        self.filters = filters
        self.notes = notes
        self.limit = limit
        self.offset = offset
        self.started = started

    @classmethod
    def of(
        cls,
        query: str,
        options: SearchOptions,
        analyzer: Analyzer,
        limits: QueryLimits,
        expansions: Expansions,
    ) -> Request:
        """Raises:
        QueryError: ``query`` is not text, or the page is out of ``limits``.
        """
        started = time.perf_counter()
        if not isinstance(query, str):
            raise QueryError(f"query must be a string, not {type(query).__name__}")
        limit, offset = options.window(limits)
        filters, notes = options.filters(limits)
        parsed = expand_query(
            parse_query(query, analyzer, limits), analyzer, expansions
        )
        notes = [*parsed.notes, *notes]
        if parsed.empty_reason is not None:
            notes.append(parsed.empty_reason)
        return cls(query, options, parsed, filters, notes, limit, offset, started)

    def results(
        self,
        total: int,
        hits: tuple[Hit, ...],
        facets: Mapping[str, tuple[FacetCount, ...]] | None = None,
        suggestion: str | None = None,
    ) -> SearchResults:
        """The results, with the time taken since the request was made; the
        facets asked for and not counted are empty."""
        if total == 0 and self.parsed.empty_reason is None:
            self.notes.append("no article matches the query and filters")
        return SearchResults(
            self.query,
            total,
            hits,
            time.perf_counter() - self.started,
            self.offset,
            self.limit,
            self.options.sort,
            tuple(self.notes),
            facets={**dict.fromkeys(self.options.facets, ()), **(facets or {})},
            suggestion=suggestion,
        )


# Long: the stages of a search in order, each a call or two (see the module
# docstring); splitting it would only scatter them.
def search(
    snapshot: Snapshot,
    analyzer: Analyzer,
    ranking: Ranking,
    limits: QueryLimits,
    query: str,
    options: SearchOptions,
    expansions: Expansions = DEFAULT_EXPANSIONS,
) -> SearchResults:
    """Search ``snapshot``; see :meth:`newsindex.NewsIndex.search`.

    Raises:
        QueryError: ``query`` is not text, or the page is out of ``limits``.
    """
    request = Request.of(query, options, analyzer, limits, expansions)
    if request.parsed.empty_reason is not None:
        return request.results(0, ())
    parsed, filters, notes = request.parsed, request.filters, request.notes
    gathered = Gathered(snapshot, parsed)
    spell = check_spelling(
        snapshot, analyzer, limits, query, parsed, gathered, options.typos
    )
    parsed, gathered, suggestion = spell.parsed, spell.gathered, spell.suggestion
    notes += spell.notes
    scorer = Scorer(snapshot, gathered, ranking)
    cands = candidates(snapshot, parsed, scorer, filters)
    if options.recency is not None:
        cands = with_recency(snapshot, cands, options.recency)
    facets = None
    if options.facets:
        facets = count_facets(snapshot, cands.segment, cands.docnum, options.facets)
    page = (options.sort, request.offset, request.limit)
    collapsed = None
    if options.collapse:
        collapsed = collapsed_page(snapshot, parsed, scorer, cands, *page)
        total, picked, scores = collapsed.total, collapsed.picked, collapsed.scores
        notes += collapsed.notes
    else:
        total, picked, scores = _page(snapshot, parsed, scorer, cands, *page)
    rows = picked.tolist()
    docs = [(int(cands.segment[row]), int(cands.docnum[row])) for row in rows]
    matches = query_matches(gathered, parsed.terms, docs) if options.snippets else {}
    first = request.offset + 1
    hits = _hits(snapshot, analyzer, docs, scores[rows].tolist(), matches, first)
    if collapsed is not None:
        hits = collapsed.with_duplicates(hits)
    return request.results(total, hits, facets, suggestion)


def _page(
    snapshot: Snapshot,
    parsed: ParsedQuery,
    scorer: Scorer,
    cands: Candidates,
    sort: Sort,
    offset: int,
    limit: int,
) -> tuple[int, np.ndarray, np.ndarray]:
    """How many results the order counts, the page's candidates (indexes into
    ``cands``), and every candidate's final score."""
    if sort == "newest":
        order = newest_order(snapshot, cands)
        return len(order), order[offset : offset + limit], cands.score
    picked, scores = relevance_order(snapshot, parsed, scorer, cands, offset + limit)
    return len(cands.docnum), picked[offset:], scores


def _hits(
    snapshot: Snapshot,
    analyzer: Analyzer,
    docs: list[tuple[int, int]],
    scores: list[float],
    matches: MatchStarts,
    first_rank: int,
) -> tuple[Hit, ...]:
    """The hits of ``docs`` (segment index, document number), in order."""
    hits = []
    for i, ((si, docnum), score) in enumerate(zip(docs, scores, strict=True)):
        article = snapshot.segments[si].article(docnum)
        body = spans_at(analyzer, article.body, matches.get((i, "body"), ()))
        title = spans_at(analyzer, article.title, matches.get((i, "title"), ()))
        hits.append(
            Hit(
                first_rank + i,
                score,
                article,
                snippet_from_matches(article.body, body),
                highlight_matches(article.title, title),
            )
        )
    return tuple(hits)
