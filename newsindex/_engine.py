"""The engine boundary: what :class:`NewsIndex` asks of the engine behind it.

An index lives at a *location*, and the location names its engine (see
``_locations.py``):

==================================  ==========================================
``PATH`` (a directory)              the embedded engine (``_embedded.py``):
                                    segments on disk, searched in process
``xapian:PATH``                     one Xapian database (``_xapian.py``)
``xapian+tcp://HOST:PORT[,...]``    Xapian shards, each served by
                                    ``xapian-tcpsrv --writable``
==================================  ==========================================

Both engines analyse with newsindex's :class:`Analyzer`, rank with its
:class:`Ranking` and build hits and snippets the same way; an engine is the
small interface below, and nothing else in the library asks which one it
has. The Xapian engine's module is imported only when a Xapian location is
opened: its bindings are GPL (see the README, "Beyond one machine").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

from newsindex._analysis import Analyzer
from newsindex._article import Article
from newsindex._expansions import ExpansionsArg
from newsindex._options import DateBound, SearchOptions
from newsindex._query import QueryLimits
from newsindex._ranking import Ranking
from newsindex._results import SearchResults
from newsindex._values import Value

if TYPE_CHECKING:
    from newsindex._checking import CheckReport
    from newsindex._merging import MergeSummary
    from newsindex._stats import IndexStats


#: The scheme prefixes of the Xapian locations (see ``_locations.py``).
XAPIAN_LOCAL: Final = "xapian:"
XAPIAN_TCP: Final = "xapian+tcp://"


class WriteSummary(Value):
    """What a committed writer changed.

    Attributes:
        added: articles whose id was new to the index.
        updated: articles that replaced an article with the same id.
        deleted: articles removed by :meth:`IndexWriter.delete`.
        seconds: time from the writer's creation to the end of its commit.
    """

    __slots__ = ("added", "deleted", "seconds", "updated")
    added: int
    updated: int
    deleted: int
    seconds: float

    def __init__(self, added: int, updated: int, deleted: int, seconds: float) -> None:
        self._set(added, updated, deleted, seconds)

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible form."""
        return {
            "added": self.added,
            "updated": self.updated,
            "deleted": self.deleted,
            "seconds": self.seconds,
        }


class Writer(Protocol):
    """An atomic batch of changes (see :class:`newsindex.IndexWriter`).

    Each engine's writer derives from it for what every writer does alike:
    :meth:`add_many`, and the context manager that commits when the block
    ends and cancels if it raises.
    """

    def add(self, article: Article) -> bool: ...
    def delete(self, article_id: str) -> bool: ...
    def commit(self, *, optimize: bool = False) -> WriteSummary: ...
    def cancel(self) -> None: ...
    @property
    def closed(self) -> bool: ...

    def add_many(self, articles: Iterable[Article]) -> int:
        """Add each article in turn (see :meth:`add`); return how many."""
        count = 0
        for article in articles:
            self.add(article)
            count += 1
        return count

    def __enter__(self: _W) -> _W:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.closed:
            return
        if exc_type is None:
            self.commit()
        else:
            self.cancel()


_W = TypeVar("_W", bound=Writer)


class Engine(Protocol):
    """One index, wherever it lives; :class:`NewsIndex` forwards to it."""

    @property
    def location(self) -> str: ...
    @property
    def analyzer(self) -> Analyzer: ...

    def count(self) -> int: ...
    def get(self, article_id: str) -> Article | None: ...
    def articles(self) -> Iterator[Article]: ...
    def search(self, query: str, options: SearchOptions) -> SearchResults: ...
    def suggest(self, prefix: str, limit: int) -> tuple[str, ...]: ...
    def related(
        self, article_id: str, limit: int, since: DateBound, until: DateBound
    ) -> SearchResults: ...
    def writer(self, timeout: float, jobs: int) -> Writer: ...
    def merge(self, timeout: float, everything: bool) -> MergeSummary: ...
    def check(self) -> CheckReport: ...
    def stats(self) -> IndexStats: ...
    def close(self) -> None: ...


class Settings(Value):
    """What every engine searches with, as the caller gave it."""

    __slots__ = ("analyzer", "expansions", "limits", "ranking")
    analyzer: Analyzer | None
    ranking: Ranking
    limits: QueryLimits
    expansions: ExpansionsArg

    def __init__(
        self,
        *,
        analyzer: Analyzer | None = None,
        ranking: Ranking | None = None,
        limits: QueryLimits | None = None,
        expansions: ExpansionsArg = None,
    ) -> None:
        self._set(
            analyzer,
            Ranking() if ranking is None else ranking,
            QueryLimits() if limits is None else limits,
            expansions,
        )
