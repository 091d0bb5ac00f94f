"""Relevance measurement: MRR@10 and recall over a set of judged queries.

The query format is the one of the data sets in ``../shared/data``: JSON
Lines with ``query`` and ``relevant`` (a list of article ids), and optionally
``qid`` and ``split``. Each query's rank is the 1-based position of its first
relevant article among the top :data:`DEPTH` hits, or ``None``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from typing import Any, Final

import attrs

from newsindex._index import NewsIndex
from newsindex.errors import InputError

#: Hits retrieved per query (the depth of Recall@100).
DEPTH: Final = 100


@attrs.frozen
class JudgedQuery:
    """A query with the ids of the articles that answer it."""

    qid: str
    query: str
    relevant: frozenset[str]
    split: str | None = None


@attrs.frozen
class Evaluation:
    """Scores of one run over a query set.

    Attributes:
        queries: how many queries were run.
        mrr10: mean reciprocal rank of the first relevant hit, cut at 10.
        recall10: share of queries with a relevant hit in the top 10.
        recall100: the same in the top 100.
        ranks: ``(qid, rank or None)`` per query, in input order.
        seconds: total search time.
    """

    queries: int
    mrr10: float
    recall10: float
    recall100: float
    ranks: tuple[tuple[str, int | None], ...]
    seconds: float

    def to_dict(self, *, ranks: bool = False) -> dict[str, Any]:
        """JSON-compatible form; per-query ranks only when asked for."""
        out: dict[str, Any] = {
            "queries": self.queries,
            "mrr@10": round(self.mrr10, 4),
            "recall@10": round(self.recall10, 4),
            "recall@100": round(self.recall100, 4),
            "seconds": round(self.seconds, 3),
        }
        if ranks:
            out["ranks"] = dict(self.ranks)
        return out


def read_queries(
    path: str | os.PathLike[str], *, split: str | None = None
) -> Iterator[JudgedQuery]:
    """Read judged queries from a JSON Lines file.

    Args:
        path: the file.
        split: keep only queries whose ``split`` equals this.

    Raises:
        InputError: a line is not a JSON object with a text ``query`` and a
            list ``relevant`` (the error names the file and line).
    """
    name = os.fspath(path)
    with open(name, encoding="utf-8-sig") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise InputError(name, number, f"invalid JSON: {exc}") from None
            if not isinstance(record, dict):
                raise InputError(name, number, "not a JSON object")
            query, relevant = record.get("query"), record.get("relevant")
            if not isinstance(query, str):
                raise InputError(name, number, "'query' must be text")
            if not isinstance(relevant, list) or not all(
                isinstance(r, str) for r in relevant
            ):
                raise InputError(name, number, "'relevant' must be a list of ids")
            if split is not None and record.get("split") != split:
                continue
            yield JudgedQuery(
                str(record.get("qid", number)),
                query,
                frozenset(relevant),
                record.get("split"),
            )


def evaluate(index: NewsIndex, queries: Iterable[JudgedQuery]) -> Evaluation:
    """Run every query against ``index`` and score the rankings."""
    ranks: list[tuple[str, int | None]] = []
    started = time.perf_counter()
    for judged in queries:
        hits = index.search(judged.query, limit=DEPTH, snippets=False).hits
        rank = next((hit.rank for hit in hits if hit.id in judged.relevant), None)
        ranks.append((judged.qid, rank))
    seconds = time.perf_counter() - started
    n = len(ranks)
    if n == 0:
        return Evaluation(0, 0.0, 0.0, 0.0, (), seconds)
    found = [rank for _, rank in ranks if rank is not None]
    return Evaluation(
        queries=n,
        mrr10=sum(1.0 / r for r in found if r <= 10) / n,
        recall10=sum(1 for r in found if r <= 10) / n,
        recall100=len(found) / n,
        ranks=tuple(ranks),
        seconds=seconds,
    )
