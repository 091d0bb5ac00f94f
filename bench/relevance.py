"""Relevance of newsindex and of a plain Whoosh + PySastrawi baseline.

For each query set of ``../shared/data`` (body-only indexes, as the data
README prescribes), reports MRR@10, Recall@10 and Recall@100 on the
development split (used for tuning) and the test split (reported only):

* CLICK-ID: a publisher's headline finds its article (first ``--limit``
  queries of each split);
* IndoSum: a truncated lower-case headline slug finds its article;
* FacQA: a question finds its passage (``valid`` is the tuning split);
* short: 2-4 word keyword queries made from CLICK-ID and IndoSum headlines
  whose words the article writes in another form (see
  :func:`bench.common.short_queries`).

The baseline is what a quick project builds: Whoosh's BM25F over the body,
a regex tokenizer, lower case, the Tala stopword list and PySastrawi
stemming (cached), the query's words OR-ed.

Usage: ``python -m bench.relevance [--limit 2000] [--sets clickid,indosum,...]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import DEV_SPLIT, articles, data_dir, queries, short_queries
from newsindex import NewsIndex
from newsindex.evaluation import DEPTH, Evaluation, JudgedQuery, evaluate

TEST_SPLIT = {"clickid": "test", "indosum": "test", "facqa": "test"}


def judged(records: list[dict[str, Any]]) -> list[JudgedQuery]:
    return [
        JudgedQuery(r["qid"], r["query"], frozenset(r["relevant"]), r["split"])
        for r in records
    ]


def _whoosh_stemming_filter() -> Any:
    """A Whoosh filter stemming with cached PySastrawi (module-level: Whoosh
    pickles analyzers into its index)."""
    from whoosh.analysis import Filter

    global _StemFilter
    if _StemFilter is None:
        from newsindex.stemmers import SastrawiStemmer

        stemmer = SastrawiStemmer()
        cache: dict[str, str] = {}

        class StemFilter(Filter):  # type: ignore[misc]
            def __call__(self, tokens: Any) -> Any:
                for token in tokens:
                    word = token.text
                    stem = cache.get(word)
                    if stem is None:
                        stem = cache[word] = stemmer.stem(word)
                    token.text = stem
                    yield token

        StemFilter.__qualname__ = StemFilter.__name__ = "_StemFilterClass"
        globals()["_StemFilterClass"] = StemFilter
        _StemFilter = StemFilter
    return _StemFilter()


_StemFilter: Any = None


class WhooshBaseline:
    """Plain Whoosh: BM25F, Tala stopwords, cached PySastrawi, OR query."""

    def __init__(self, folder: Path, corpus: str) -> None:
        from whoosh import fields, index
        from whoosh.analysis import LowercaseFilter, RegexTokenizer, StopFilter

        stops = (
            (data_dir() / "stopwords" / "tala_2003_masdevid.txt").read_text().split()
        )
        self.analyzer = (
            RegexTokenizer()
            | LowercaseFilter()
            | StopFilter(stoplist=stops, minsize=1)
            | _whoosh_stemming_filter()
        )
        schema = fields.Schema(
            id=fields.ID(stored=True, unique=True),
            body=fields.TEXT(analyzer=self.analyzer),
        )
        self.index = index.create_in(str(folder), schema)
        writer = self.index.writer(limitmb=256)
        for article in articles(corpus, titles=False):
            writer.add_document(id=article.id, body=article.body)
        writer.commit()

    def evaluate(self, queries: list[JudgedQuery]) -> Evaluation:
        from whoosh import query as Q
        from whoosh import scoring

        ranks = []
        with self.index.searcher(weighting=scoring.BM25F()) as searcher:
            for q in queries:
                terms = list(dict.fromkeys(t.text for t in self.analyzer(q.query)))
                hits = searcher.search(
                    Q.Or([Q.Term("body", t) for t in terms]), limit=DEPTH
                )
                ids = [hit["id"] for hit in hits]
                rank = next((i + 1 for i, d in enumerate(ids) if d in q.relevant), None)
                ranks.append((q.qid, rank))
        n = len(ranks)
        found = [r for _, r in ranks if r is not None]
        return Evaluation(
            n,
            sum(1 / r for r in found if r <= 10) / n,
            sum(1 for r in found if r <= 10) / n,
            len(found) / n,
            tuple(ranks),
            0.0,
        )


def query_sets(
    corpus: str, limit: int | None, analyzer: Any
) -> dict[str, list[JudgedQuery]]:
    dev, test = DEV_SPLIT[corpus], TEST_SPLIT[corpus]
    sets = {
        f"{corpus}/{dev}": judged(queries(corpus, dev, limit)),
        f"{corpus}/{test}": judged(queries(corpus, test, limit)),
    }
    if corpus in ("clickid", "indosum"):
        sets[f"{corpus}-short/dev"] = judged(
            short_queries(corpus, "dev", 1000, analyzer)
        )
        sets[f"{corpus}-short/test"] = judged(
            short_queries(corpus, "test", 1000, analyzer)
        )
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--limit", type=int, default=2000, help="queries per CLICK-ID split"
    )
    parser.add_argument("--sets", default="facqa,indosum,clickid")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    data_dir()
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="nxbench-") as tmp:
        for corpus in args.sets.split(","):
            folder = Path(tmp) / corpus
            index = NewsIndex.create(folder / "newsindex")
            index.add_many(articles(corpus, titles=False), jobs=2)
            baseline = None
            if not args.no_baseline:
                (folder / "whoosh").mkdir()
                baseline = WhooshBaseline(folder / "whoosh", corpus)
            limit = args.limit if corpus == "clickid" else None
            for name, qs in query_sets(corpus, limit, index.analyzer).items():
                row = {"newsindex": evaluate(index, qs).to_dict()}
                if baseline is not None:
                    row["whoosh+sastrawi"] = baseline.evaluate(qs).to_dict()
                report[name] = row
                print(name, json.dumps(row), file=sys.stderr)
            index.close()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
