"""The engines the benchmarks compare, behind one interface.

Each :class:`Engine` builds an index of articles in a folder
(:meth:`Engine.build`) and opens it for searching (:meth:`Engine.open`); the
searcher returns the ids of the best ``k`` articles for a query text, and,
where the engine can, makes a snippet of each hit. The same articles and the
same query texts go to every engine.

* ``newsindex``: the library with its defaults, one process;
  ``newsindex-parallel`` the same with one worker process per core.
* ``whoosh``: plain Whoosh, its ``StandardAnalyzer`` (regex tokens, lower
  case, English stopwords), no stemming: the floor cost of Whoosh itself.
* ``whoosh-sastrawi``: what a quick project writes: Whoosh, regex tokens,
  lower case, the Tala stopword list, PySastrawi per token behind a dict
  cache; ``whoosh-sastrawi-naive`` is the same without the cache (every
  token stemmed anew; its terms, hence its rankings, are identical).
* ``tantivy``: tantivy-py with its default tokenizer (split on
  non-alphanumerics, lower case, no stemming), writer threads chosen by
  tantivy (all cores).
* ``tantivy-stemmed``: tantivy over the terms of newsindex's
  :class:`~newsindex.Analyzer` (computed in Python, one process, cached),
  indexed with tantivy's whitespace tokenizer; the original text is stored.
* ``bm25s-stemmed``: bm25s (BM25, its defaults) over the same terms, title
  and body as one field; it stores no text.

Baselines query with the OR of the query's terms (after their own analysis),
over title and body; BM25 scores as each engine computes them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Protocol

from whoosh.analysis import Filter

from newsindex import Analyzer, Article, NewsIndex


class Searcher(Protocol):
    """An open index."""

    def search(self, text: str, k: int = 10, snippets: bool = False) -> list[str]:
        """Ids of the best ``k`` articles; with ``snippets``, make one per hit."""
        ...

    def close(self) -> None:
        """Release the index's files."""
        ...


class Engine:
    """An indexing engine under test (subclasses say how it builds and searches).

    Attributes:
        name: the key used in results and on the command line.
        label: a short description for tables.
        snippets: whether its searcher can make snippets.
        stores_text: whether the index keeps the articles' text.
    """

    name = ""
    label = ""
    snippets = False
    stores_text = True
    #: Whether to store the text where storing is optional (the relevance
    #: runs need ids only, and loading 100 stored bodies per query would
    #: dominate their time).
    store = True

    def build(self, docs: Sequence[Article], folder: Path) -> None:
        """Index ``docs`` (titles may be empty) into the existing ``folder``."""
        raise NotImplementedError

    def open(self, folder: Path) -> Searcher:
        """Open the index in ``folder`` for searching."""
        raise NotImplementedError


# -- the shared analyzer ---------------------------------------------------------


@lru_cache(maxsize=1)
def analyzer() -> Analyzer:
    """newsindex's default analyzer, one per process (its cache is shared)."""
    return Analyzer()


# -- newsindex ---------------------------------------------------------------------


class NewsIndexEngine(Engine):
    snippets = True

    def __init__(self, jobs: int = 1) -> None:
        self.jobs = jobs
        self.name = "newsindex" if jobs == 1 else "newsindex-parallel"
        self.label = "newsindex, 1 process" if jobs == 1 else f"newsindex, jobs={jobs}"

    def build(self, docs: Sequence[Article], folder: Path) -> None:
        index = NewsIndex.create(folder)
        index.add_many(docs, jobs=self.jobs)
        index.close()

    def open(self, folder: Path) -> Searcher:
        return _NewsIndexSearcher(NewsIndex.open(folder))


class _NewsIndexSearcher:
    def __init__(self, index: NewsIndex) -> None:
        self.index = index

    def search(self, text: str, k: int = 10, snippets: bool = False) -> list[str]:
        return [h.id for h in self.index.search(text, limit=k, snippets=snippets)]

    def close(self) -> None:
        self.index.close()


# -- Whoosh ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _sastrawi() -> Any:
    from newsindex._stemmers import SastrawiStemmer

    return SastrawiStemmer()


@cache
def _stem_cached(word: str) -> str:
    return _sastrawi().stem(word)  # type: ignore[no-any-return]


class SastrawiFilter(Filter):  # type: ignore[misc]
    """A Whoosh filter stemming each token with PySastrawi.

    Defined at module level because Whoosh pickles the analyzer into its
    index; ``cached=False`` stems every token anew, as a quick project does.
    """

    def __init__(self, cached: bool = True) -> None:
        self.cached = cached

    def __call__(self, tokens: Any) -> Any:
        stem = _stem_cached if self.cached else _sastrawi().stem
        for token in tokens:
            token.text = stem(token.text)
            yield token


class WhooshEngine(Engine):
    def __init__(self, stemming: str | None = None, store: bool = True) -> None:
        self.stemming = stemming
        self.store = self.stores_text = store
        if stemming is None:
            self.name = "whoosh"
            self.label = "Whoosh, StandardAnalyzer, no stemming"
        elif stemming == "cached":
            self.name = "whoosh-sastrawi"
            self.label = "Whoosh + PySastrawi, cached"
        else:
            self.name = "whoosh-sastrawi-naive"
            self.label = "Whoosh + PySastrawi per token, no cache"

    def _analyzer(self) -> Any:
        from whoosh.analysis import (
            LowercaseFilter,
            RegexTokenizer,
            StandardAnalyzer,
            StopFilter,
        )

        from bench.common import data_dir

        if self.stemming is None:
            return StandardAnalyzer()
        stops = (data_dir() / "stopwords" / "tala_2003_masdevid.txt").read_text()
        return (
            RegexTokenizer()
            | LowercaseFilter()
            | StopFilter(stoplist=stops.split(), minsize=1)
            | SastrawiFilter(cached=self.stemming == "cached")
        )

    def build(self, docs: Sequence[Article], folder: Path) -> None:
        from whoosh import fields, index

        analyzer = self._analyzer()
        schema = fields.Schema(
            id=fields.ID(stored=True, unique=True),
            title=fields.TEXT(stored=self.store, analyzer=analyzer),
            body=fields.TEXT(stored=self.store, analyzer=analyzer),
            source=fields.ID(stored=self.store),
            category=fields.ID(stored=self.store),
            url=fields.STORED(),
        )
        ix = index.create_in(str(folder), schema)
        writer = ix.writer(limitmb=256)
        for a in docs:
            writer.add_document(
                id=a.id,
                title=a.title,
                body=a.body,
                source=a.source,
                category=a.category,
                url=a.url if self.store else None,
            )
        writer.commit()

    def open(self, folder: Path) -> Searcher:
        return _WhooshSearcher(folder)


class _WhooshSearcher:
    def __init__(self, folder: Path) -> None:
        from whoosh import index, scoring

        self.ix = index.open_dir(str(folder))
        self.analyzer = self.ix.schema["body"].analyzer
        self.searcher = self.ix.searcher(weighting=scoring.BM25F())

    def search(self, text: str, k: int = 10, snippets: bool = False) -> list[str]:
        from whoosh import query

        terms = list(dict.fromkeys(t.text for t in self.analyzer(text)))
        if not terms:
            return []
        q = query.Or([query.Term(f, t) for t in terms for f in ("title", "body")])
        return [hit["id"] for hit in self.searcher.search(q, limit=k)]

    def close(self) -> None:
        self.searcher.close()
        self.ix.close()


# -- tantivy -----------------------------------------------------------------------

# tantivy's default tokenizer: split on what is not alphanumeric, drop tokens
# over 40 bytes, lower case.
_TANTIVY_TOKEN = re.compile(r"[^\W_]+")


class TantivyEngine(Engine):
    def __init__(self, stemmed: bool = False, store: bool = True) -> None:
        self.stemmed = stemmed
        self.store = self.stores_text = store
        self.name = "tantivy-stemmed" if stemmed else "tantivy"
        self.label = (
            "tantivy, newsindex's analyzer in Python"
            if stemmed
            else "tantivy, default tokenizer"
        )
        self.snippets = store and not stemmed

    def _schema(self) -> Any:
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        if self.stemmed:
            # The terms go in as whitespace-separated text; the original
            # text is stored beside them, as newsindex stores it.
            builder.add_text_field("title", tokenizer_name="whitespace")
            builder.add_text_field("body", tokenizer_name="whitespace")
            if self.store:
                builder.add_bytes_field("title_text", stored=True)
                builder.add_bytes_field("body_text", stored=True)
        else:
            builder.add_text_field("title", stored=self.store)
            builder.add_text_field("body", stored=self.store)
        return builder.build()

    def build(self, docs: Sequence[Article], folder: Path) -> None:
        import tantivy

        index = tantivy.Index(self._schema(), path=str(folder))
        writer = index.writer()
        if self.stemmed:
            terms = analyzer().terms
            for a in docs:
                doc = tantivy.Document(id=a.id)
                doc.add_text("title", " ".join(terms(a.title)))
                doc.add_text("body", " ".join(terms(a.body)))
                if self.store:
                    doc.add_bytes("title_text", a.title.encode())
                    doc.add_bytes("body_text", a.body.encode())
                writer.add_document(doc)
        else:
            for a in docs:
                writer.add_document(
                    tantivy.Document(id=a.id, title=a.title, body=a.body)
                )
        writer.commit()
        writer.garbage_collect_files()
        writer.wait_merging_threads()

    def open(self, folder: Path) -> Searcher:
        return _TantivySearcher(folder, self)


class _TantivySearcher:
    def __init__(self, folder: Path, engine: TantivyEngine) -> None:
        import tantivy

        self.tantivy = tantivy
        self.index = tantivy.Index.open(str(folder))
        self.schema = self.index.schema
        self.searcher = self.index.searcher()
        self.stemmed = engine.stemmed

    def _terms(self, text: str) -> list[str]:
        if self.stemmed:
            return list(dict.fromkeys(analyzer().terms(text)))
        words = _TANTIVY_TOKEN.findall(text.lower())
        return list(dict.fromkeys(w for w in words if len(w.encode()) <= 40))

    def search(self, text: str, k: int = 10, snippets: bool = False) -> list[str]:
        tv = self.tantivy
        terms = self._terms(text)
        if not terms:
            return []
        q = tv.Query.boolean_query(
            [
                (tv.Occur.Should, tv.Query.term_query(self.schema, field, term))
                for term in terms
                for field in ("title", "body")
            ]
        )
        hits = self.searcher.search(q, k).hits
        docs = [self.searcher.doc(address) for _, address in hits]
        if snippets and docs:
            generator = tv.SnippetGenerator.create(
                self.searcher, q, self.schema, "body"
            )
            for doc in docs:
                snippet = generator.snippet_from_doc(doc)
                snippet.fragment()
                snippet.highlighted()
        return [doc["id"][0] for doc in docs]

    def close(self) -> None:
        pass


# -- bm25s -------------------------------------------------------------------------


class BM25sEngine(Engine):
    name = "bm25s-stemmed"
    label = "bm25s, newsindex's analyzer in Python"
    stores_text = False

    def build(self, docs: Sequence[Article], folder: Path) -> None:
        import bm25s

        terms = analyzer().terms
        corpus = [terms(a.title) + terms(a.body) for a in docs]
        retriever = bm25s.BM25()
        retriever.index(corpus, show_progress=False)
        retriever.save(str(folder))
        (folder / "ids.json").write_text(json.dumps([a.id for a in docs]))

    def open(self, folder: Path) -> Searcher:
        return _BM25sSearcher(folder)


class _BM25sSearcher:
    def __init__(self, folder: Path) -> None:
        import bm25s

        self.retriever = bm25s.BM25.load(str(folder))
        self.ids = json.loads((folder / "ids.json").read_text())

    def search(self, text: str, k: int = 10, snippets: bool = False) -> list[str]:
        vocab = self.retriever.vocab_dict
        terms = [t for t in dict.fromkeys(analyzer().terms(text)) if t in vocab]
        if not terms:
            return []
        found = self.retriever.retrieve(
            [terms], k=min(k, len(self.ids)), show_progress=False, n_threads=0
        )
        # bm25s fills the k places even with articles that match nothing.
        return [
            self.ids[int(d)]
            for d, s in zip(found.documents[0], found.scores[0], strict=True)
            if s > 0
        ]

    def close(self) -> None:
        pass


# -- the registry ------------------------------------------------------------------

#: Every engine, by name. ``newsindex-parallel`` uses one process per core.
ENGINE_NAMES = (
    "newsindex",
    "newsindex-parallel",
    "whoosh",
    "whoosh-sastrawi",
    "whoosh-sastrawi-naive",
    "tantivy",
    "tantivy-stemmed",
    "bm25s-stemmed",
)


def get_engine(name: str, jobs: int | None = None, *, store: bool = True) -> Engine:
    """The engine called ``name``.

    Args:
        name: one of :data:`ENGINE_NAMES`.
        jobs: newsindex-parallel's processes (default: one per core).
        store: ``False`` stores ids only where the engine allows it (Whoosh,
            tantivy); newsindex always stores its articles.
    """
    if name == "newsindex":
        return NewsIndexEngine(1)
    if name == "newsindex-parallel":
        return NewsIndexEngine(jobs or os.cpu_count() or 2)
    if name == "whoosh":
        return WhooshEngine(None, store)
    if name == "whoosh-sastrawi":
        return WhooshEngine("cached", store)
    if name == "whoosh-sastrawi-naive":
        return WhooshEngine("uncached", store)
    if name == "tantivy":
        return TantivyEngine(stemmed=False, store=store)
    if name == "tantivy-stemmed":
        return TantivyEngine(stemmed=True, store=store)
    if name == "bm25s-stemmed":
        return BM25sEngine()
    raise ValueError(f"unknown engine {name!r}; choose from {', '.join(ENGINE_NAMES)}")
