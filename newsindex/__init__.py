"""newsindex: search Indonesian news.

Analysis (tokens with offsets, stopwords, PySastrawi stemming behind a cache),
an on-disk index built on Whoosh, ranked search with filters and pagination,
and highlighted, HTML-safe snippets. Everything public is exported here.
"""

from newsindex._version import __version__
from newsindex.analysis import Analyzer, Token
from newsindex.article import Article
from newsindex.checking import CheckReport
from newsindex.errors import (
    AnalyzerMismatchError,
    ArticleError,
    CorruptIndexError,
    IndexClosedError,
    IndexExistsError,
    IndexFormatError,
    IndexLockedError,
    IndexNotFoundError,
    InputError,
    NewsIndexError,
    QueryError,
    WriterClosedError,
)
from newsindex.highlighting import Snippet
from newsindex.index import IndexStats, NewsIndex, swap_index
from newsindex.inputs import IngestReport, Problem, ingest, iter_records
from newsindex.query import QueryLimits
from newsindex.results import Hit, SearchResults
from newsindex.searching import Ranking
from newsindex.stemmers import NoStemmer, SastrawiStemmer, Stemmer, TalaStemmer
from newsindex.writing import IndexWriter, WriteSummary

__all__ = [
    "Analyzer",
    "AnalyzerMismatchError",
    "Article",
    "ArticleError",
    "CheckReport",
    "CorruptIndexError",
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
    "WriteSummary",
    "WriterClosedError",
    "__version__",
    "ingest",
    "iter_records",
    "swap_index",
]
