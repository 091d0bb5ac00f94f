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
from newsindex._options import SearchOptions, Sort
from newsindex._query import ParsedQuery, QueryLimits, parse_query
from newsindex._ranking import (
    Candidates,
    Ranking,
    Scorer,
    candidates,
    newest_order,
    relevance_order,
    with_recency,
)
from newsindex._results import FacetCount, Hit, SearchResults
from newsindex._snapshot import Snapshot
from newsindex._spelling import check_spelling
from newsindex.errors import QueryError


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
    started = time.perf_counter()
    if not isinstance(query, str):
        raise QueryError(f"query must be a string, not {type(query).__name__}")
    limit, offset = options.window(limits)

    facets: dict[str, tuple[FacetCount, ...]] = dict.fromkeys(options.facets, ())

    def results(total: int, hits: tuple[Hit, ...], notes: list[str]) -> SearchResults:
        took = time.perf_counter() - started
        return SearchResults(
            query,
            total,
            hits,
            took,
            offset,
            limit,
            options.sort,
            tuple(notes),
            facets=facets,
            suggestion=suggestion,
        )

    filters, notes = options.filters(limits)
    parsed = expand_query(parse_query(query, analyzer, limits), analyzer, expansions)
    notes = [*parsed.notes, *notes]
    suggestion: str | None = None
    reason = parsed.empty_reason
    if reason is not None:
        return results(0, (), [*notes, reason])

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
    if options.facets:
        facets = count_facets(snapshot, cands.segment, cands.docnum, options.facets)
    page = (options.sort, offset, limit)
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
    hits = _hits(snapshot, analyzer, docs, scores[rows].tolist(), matches, offset + 1)
    if collapsed is not None:
        hits = collapsed.with_duplicates(hits)
    if total == 0:
        notes.append("no article matches the query and filters")
    return results(total, hits, notes)


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
