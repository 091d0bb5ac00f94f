"""newsindex: search Indonesian news.

Analysis (tokens with offsets, stopwords, PySastrawi stemming behind a cache),
an on-disk index built on Whoosh, ranked search with filters and pagination,
and highlighted, HTML-safe snippets.

Everything public is exported here, and only here: the modules behind it are
private (their names start with ``_``) and may change between releases.
:mod:`newsindex.errors` also holds the error classes, and draws their tree.
"""

from newsindex._analysis import Analyzer, Token
from newsindex._article import Article
from newsindex._checking import CheckReport, check_index
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
from newsindex._version import __version__
from newsindex._writing import IndexWriter, WriteSummary
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
    WorkerError,
    WriterClosedError,
)

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
