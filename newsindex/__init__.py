"""newsindex: search Indonesian news.

Analysis (tokens with offsets, stopwords, PySastrawi stemming behind a cache),
an on-disk index built on Whoosh, ranked search with filters and pagination,
and highlighted, HTML-safe snippets.

Everything public is exported here, and only here: the modules behind it are
private (their names start with ``_``) and may change between releases. Each
name's module is imported when the name is first used.
:mod:`newsindex.errors` also holds the error classes, and draws their tree.
"""

import importlib
from typing import TYPE_CHECKING, Any

from newsindex._version import __version__
from newsindex.errors import (
    AnalyzerMismatchError,
    ArticleError,
    ConfigurationError,
    CorruptIndexError,
    IndexClosedError,
    IndexExistsError,
    IndexFormatError,
    IndexLockedError,
    IndexNotFoundError,
    InputError,
    NewsIndexError,
    QueryError,
    ShardUnavailableError,
    WorkerError,
    WriterClosedError,
)

if TYPE_CHECKING:  # what the names below are, for type checkers and readers
    from newsindex._analysis import Analyzer
    from newsindex._article import Article
    from newsindex._checking import CheckReport, check_index
    from newsindex._engine import WriteSummary
    from newsindex._evaluation import Evaluation, JudgedQuery, evaluate, read_queries
    from newsindex._expansions import Expansions
    from newsindex._highlighting import Snippet
    from newsindex._index import NewsIndex
    from newsindex._inputs import IngestReport, Problem, ingest, iter_records
    from newsindex._merging import MergeSummary
    from newsindex._query import QueryLimits
    from newsindex._ranking import Ranking
    from newsindex._results import FacetCount, Hit, SearchResults
    from newsindex._stats import IndexStats
    from newsindex._stemmers import NoStemmer, SastrawiStemmer, Stemmer, TalaStemmer
    from newsindex._swap import swap_index
    from newsindex._tokens import Token
    from newsindex._writing import IndexWriter

#: Where each public name lives: imported on first use, so that ``import
#: newsindex`` (and a command that needs little) stays quick.
_LAZY: dict[str, str] = {
    "Analyzer": "newsindex._analysis",
    "Article": "newsindex._article",
    "CheckReport": "newsindex._checking",
    "Evaluation": "newsindex._evaluation",
    "Expansions": "newsindex._expansions",
    "FacetCount": "newsindex._results",
    "Hit": "newsindex._results",
    "IndexStats": "newsindex._stats",
    "IndexWriter": "newsindex._writing",
    "IngestReport": "newsindex._inputs",
    "JudgedQuery": "newsindex._evaluation",
    "MergeSummary": "newsindex._merging",
    "NewsIndex": "newsindex._index",
    "NoStemmer": "newsindex._stemmers",
    "Problem": "newsindex._inputs",
    "QueryLimits": "newsindex._query",
    "Ranking": "newsindex._ranking",
    "SastrawiStemmer": "newsindex._stemmers",
    "SearchResults": "newsindex._results",
    "Snippet": "newsindex._highlighting",
    "Stemmer": "newsindex._stemmers",
    "TalaStemmer": "newsindex._stemmers",
    "Token": "newsindex._tokens",
    "WriteSummary": "newsindex._engine",
    "check_index": "newsindex._checking",
    "evaluate": "newsindex._evaluation",
    "ingest": "newsindex._inputs",
    "iter_records": "newsindex._inputs",
    "read_queries": "newsindex._evaluation",
    "swap_index": "newsindex._swap",
}

__all__ = [
    "Analyzer",
    "AnalyzerMismatchError",
    "Article",
    "ArticleError",
    "CheckReport",
    "ConfigurationError",
    "CorruptIndexError",
    "Evaluation",
    "Expansions",
    "FacetCount",
    "Hit",
    "IndexClosedError",
    "IndexExistsError",
    "IndexFormatError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexStats",
    "IndexWriter",
    "IngestReport",
    "InputError",
    "JudgedQuery",
    "MergeSummary",
    "NewsIndex",
    "NewsIndexError",
    "NoStemmer",
    "Problem",
    "QueryError",
    "QueryLimits",
    "Ranking",
    "SastrawiStemmer",
    "SearchResults",
    "ShardUnavailableError",
    "Snippet",
    "Stemmer",
    "TalaStemmer",
    "Token",
    "WorkerError",
    "WriteSummary",
    "WriterClosedError",
    "__version__",
    "check_index",
    "evaluate",
    "ingest",
    "iter_records",
    "read_queries",
    "swap_index",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'newsindex' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
