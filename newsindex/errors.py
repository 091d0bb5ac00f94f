"""Every error newsindex raises on purpose.

One root, :class:`NewsIndexError`. Each subclass also inherits the builtin it
resembles, so callers may catch either::

    NewsIndexError
    ├── IndexNotFoundError        (+ FileNotFoundError)  no index at that path
    ├── IndexExistsError          (+ FileExistsError)    create() over an index
    ├── IndexFormatError          (+ ValueError)         unreadable, or too new
    │   └── CorruptIndexError                            damaged files
    ├── AnalyzerMismatchError     (+ ValueError)         opened with another analyzer
    ├── IndexLockedError          (+ TimeoutError)       another writer holds the lock
    ├── IndexClosedError          (+ RuntimeError)       used after close()
    ├── WriterClosedError         (+ RuntimeError)       used after commit/cancel
    ├── ArticleError              (+ ValueError)         an article value is invalid
    ├── InputError                (+ ValueError)         a bad record in an input file
    ├── QueryError                (+ ValueError)         bad search arguments
    ├── ConfigurationError        (+ ValueError)         a bad setting (jobs, stemmer)
    ├── WorkerError               (+ RuntimeError)       an analysis worker failed
    └── ShardUnavailableError     (+ ConnectionError)    a Xapian shard did not answer

Errors from Whoosh or the file system are wrapped with ``raise ... from exc``.
"""

from __future__ import annotations

__all__ = [
    "AnalyzerMismatchError",
    "ArticleError",
    "ConfigurationError",
    "CorruptIndexError",
    "IndexClosedError",
    "IndexExistsError",
    "IndexFormatError",
    "IndexLockedError",
    "IndexNotFoundError",
    "InputError",
    "NewsIndexError",
    "QueryError",
    "ShardUnavailableError",
    "WorkerError",
    "WriterClosedError",
]


class NewsIndexError(Exception):
    """Base class of every error raised by newsindex."""


class IndexNotFoundError(NewsIndexError, FileNotFoundError):
    """There is no newsindex index at the given path."""


class IndexExistsError(NewsIndexError, FileExistsError):
    """An index already exists where a new one was to be created."""


class IndexFormatError(NewsIndexError, ValueError):
    """The index was written by an incompatible version, or is not ours."""


class CorruptIndexError(IndexFormatError):
    """Index files are damaged (truncated, tampered with, or missing)."""


class AnalyzerMismatchError(NewsIndexError, ValueError):
    """The index was built with a different analyzer than the one given."""


class IndexLockedError(NewsIndexError, TimeoutError):
    """Another writer held the index lock for longer than the timeout.

    Attributes:
        holder: the process id of the writer holding the lock, when known.
        waited: seconds waited for it.
        retry_after: seconds after which trying again is reasonable (for an
            HTTP 503's ``Retry-After``).
    """

    def __init__(
        self,
        message: str,
        *,
        holder: int | None = None,
        waited: float = 0.0,
        retry_after: float = 1.0,
    ) -> None:
        super().__init__(message)
        self.holder = holder
        self.waited = waited
        self.retry_after = retry_after


class IndexClosedError(NewsIndexError, RuntimeError):
    """A :class:`~newsindex.NewsIndex` was used after :meth:`close`."""


class WriterClosedError(NewsIndexError, RuntimeError):
    """A writer was used after it committed or was cancelled."""


class ArticleError(NewsIndexError, ValueError):
    """An article value is invalid (for example, an empty id)."""


class InputError(NewsIndexError, ValueError):
    """A record in an input file could not be read as an article.

    Attributes:
        path: the file, as given.
        line: 1-based line (JSON Lines, text) or row (CSV, header is row 1),
            or ``None`` when the problem concerns the whole file.
        reason: what is wrong, in words.
    """

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {reason}")


class QueryError(NewsIndexError, ValueError):
    """Search arguments are invalid (a bad limit, page, sort or date range).

    The query *text* never raises this: malformed text is searched as plain
    words, and a query that cannot match anything returns empty results with
    a reason.
    """


class ConfigurationError(NewsIndexError, ValueError):
    """A setting is invalid: a worker count, a stemmer, a cache size, a limit,
    a highlight tag, a recorded analyzer this version cannot rebuild."""


class WorkerError(NewsIndexError, RuntimeError):
    """A worker process analysing articles failed or died; nothing was committed."""


class ShardUnavailableError(NewsIndexError, ConnectionError):
    """A Xapian database or shard did not answer (its message names it)."""
