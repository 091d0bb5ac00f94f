"""Related articles: "more like this" from an article's most distinctive terms.

The article's terms (analysed like any text, so forms of one word count
together) are weighted by tf-idf: ``(1 + log tf) * idf``, where a title
occurrence counts :data:`TITLE_WEIGHT` times and idf is the index's. The
:data:`RELATED_TERMS` best become an ``OR`` query that runs through the
normal ranking (BM25F over title and body, proximity) under the date
filters. Then the article itself and its near-copies (``_duplicates.py``)
are left out, since a reader has just read them, and near-copies among the
rest are collapsed, so the page shows distinct stories. The constants were
chosen on development data (``python -m bench.related``).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import Final

import numpy as np

from newsindex._analysis import Analyzer
from newsindex._article import Article
from newsindex._duplicates import collapse
from newsindex._gathering import Gathered
from newsindex._highlighting import query_matches
from newsindex._options import DateBound, SearchOptions
from newsindex._ordering import relevance_order
from newsindex._query import Clause, ParsedQuery, QueryLimits
from newsindex._ranking import Candidates, Ranking, Scorer, candidates, idf_of
from newsindex._results import SearchResults

# Private on purpose: related hits are built exactly like a search's.
from newsindex._searching import _hits
from newsindex._snapshot import Snapshot
from newsindex.errors import QueryError

#: Terms of the "more like this" query. On development data, 10 terms find a
#: rewrite of the story in the top 3 for 0.90 of articles, 15 for 0.95, 20
#: and 30 for 0.96; each term adds about 0.6 ms.
RELATED_TERMS: Final = 15
#: How many body occurrences one title occurrence counts for (1, 2 and 4
#: measured within 0.02 of each other; 4 was best with 15 terms).
TITLE_WEIGHT: Final = 4.0


def _locate(snapshot: Snapshot, article_id: object) -> tuple[int, int]:
    """(segment index, document number) of the live article ``article_id``.

    Raises:
        QueryError: it is not a string, or no article has it.
    """
    if not isinstance(article_id, str):
        raise QueryError(
            f"article_id must be a string, not {type(article_id).__name__}"
        )
    for si, segment in enumerate(snapshot.segments):
        docnums = segment.docnums_for_id(article_id)
        if docnums:
            return si, docnums[-1]
    raise QueryError(f"no article with id {article_id!r} in the index")


def distinctive_terms(
    snapshot: Snapshot, analyzer: Analyzer, article: Article, count: int
) -> list[str]:
    """The ``count`` terms of ``article`` with the highest tf-idf, best first
    (terms no other article holds are left out: they find nothing)."""
    weights: dict[str, float] = dict(Counter(analyzer.terms(article.body)))
    for term in analyzer.terms(article.title):
        weights[term] = weights.get(term, 0.0) + TITLE_WEIGHT
    n = max(snapshot.doc_count, 1)
    scored = []
    for term, tf in weights.items():
        df = _document_frequency(snapshot, term.encode("utf-8"))
        if df > 1:
            scored.append(((1.0 + math.log(tf)) * idf_of(df, n), term))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [term for _, term in scored[:count]]


def _document_frequency(snapshot: Snapshot, term: bytes) -> int:
    """About how many articles hold ``term``: those whose body does (a title's
    words are nearly always in its body too, and one lookup per segment
    halves the cost), else those whose title does."""
    df = sum(segment.doc_frequency("body", term) for segment in snapshot.segments)
    if df:
        return df
    return sum(segment.doc_frequency("title", term) for segment in snapshot.segments)


def _with_article(cands: Candidates, si: int, docnum: int) -> tuple[Candidates, int]:
    """``cands`` holding the article (the filters may have left it out), and
    its index among them."""
    at = np.flatnonzero((cands.segment == si) & (cands.docnum == docnum))
    if len(at):
        return cands, int(at[0])
    one = np.ones(1, dtype=np.int64)
    return Candidates(
        np.r_[cands.segment, si * one],
        np.r_[cands.docnum, docnum * one],
        np.r_[cands.score, np.inf],
        np.r_[cands.matched, one],
    ), len(cands.docnum)


def related_articles(
    snapshot: Snapshot,
    analyzer: Analyzer,
    ranking: Ranking,
    limits: QueryLimits,
    article_id: str,
    *,
    limit: int = 10,
    since: DateBound = None,
    until: DateBound = None,
) -> SearchResults:
    """Articles about the same thing as ``article_id``; see
    :meth:`newsindex.NewsIndex.related`.

    Raises:
        QueryError: an unknown ``article_id``, a bad limit or date.
    """
    started = time.perf_counter()
    options = SearchOptions(limit=limit, since=since, until=until)
    limit, _ = options.window(limits)
    filters, notes = options.filters(limits)
    si, docnum = _locate(snapshot, article_id)
    terms = distinctive_terms(
        snapshot, analyzer, snapshot.segments[si].article(docnum), RELATED_TERMS
    )
    parsed = ParsedQuery(" ".join(terms), tuple(Clause(((t,),)) for t in terms), ())
    gathered = Gathered(snapshot, parsed)
    scorer = Scorer(snapshot, gathered, ranking)
    cands, own = _with_article(
        candidates(snapshot, parsed, scorer, filters), si, docnum
    )
    _, scores = relevance_order(snapshot, parsed, scorer, cands, 1)
    key = -scores
    key[own] = -np.inf  # first, so that its copies go with it
    page = collapse(snapshot, cands, key, scores, 0, limit, exclude=own)
    rows = page.picked.tolist()
    docs = [(int(cands.segment[row]), int(cands.docnum[row])) for row in rows]
    matches = query_matches(gathered, parsed.terms, docs)
    hits = _hits(snapshot, analyzer, docs, scores[rows].tolist(), matches, 1)
    if not terms:
        notes.append("the article has no words that other articles share")
    elif page.total == 0:
        notes.append("no other article matches the article's words and filters")
    took = time.perf_counter() - started
    return SearchResults(
        parsed.text,
        page.total,
        page.with_duplicates(hits),
        took,
        0,
        limit,
        "relevance",
        tuple(notes),
    )
