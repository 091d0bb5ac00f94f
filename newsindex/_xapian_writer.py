"""Writing to Xapian databases: one writer per database, a batch atomic in
each (see ``_xapian.py``)."""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import xapian  # type: ignore[import-not-found,unused-ignore]

from newsindex._analysis import Analyzer
from newsindex._article import Article
from newsindex._xapian_store import (
    LENGTHS_KEY,
    Place,
    document_of,
    lengths_of,
    lock_writable,
    shard_of,
)
from newsindex.errors import (
    ArticleError,
    ShardUnavailableError,
    WriterClosedError,
)

if TYPE_CHECKING:
    from newsindex._writing import WriteSummary


class XapianWriter:
    """An atomic batch of changes per database (see :class:`IndexWriter`):
    each shard applies its part of a batch entirely or not at all."""

    def __init__(self, places: list[Place], analyzer: Analyzer, timeout: float) -> None:
        self._started = time.perf_counter()
        self._places = places
        self._analyzer = analyzer
        self._dbs: list[xapian.WritableDatabase] = []
        try:
            for place in places:
                self._dbs.append(lock_writable(place, create=False, timeout=timeout))
            for db in self._dbs:
                db.begin_transaction(True)
        except BaseException:
            self._release()
            raise
        self._lengths = [Counter[str]() for _ in places]
        # Each id this batch touched: whether it was in the index before.
        self._before: dict[str, bool] = {}
        self._present: set[str] = set()
        self._deleted = 0
        self._closed_because: str | None = None

    def __enter__(self) -> XapianWriter:
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

    @property
    def closed(self) -> bool:
        return self._closed_because is not None

    def _check_open(self) -> None:
        if self._closed_because is not None:
            raise WriterClosedError(f"this writer is closed: {self._closed_because}")

    def _old(self, i: int, article_id: str) -> xapian.Document | None:
        db = self._dbs[i]
        for item in db.postlist("Q" + article_id):
            return db.get_document(item.docid)
        return None

    def add(self, article: Article) -> bool:
        """Add or replace ``article``; whether it was new to the index."""
        self._check_open()
        if not isinstance(article, Article):
            raise ArticleError(f"expected an Article, not {type(article).__name__}")
        doc, title, body = document_of(article, self._analyzer)
        i = shard_of(article.id, len(self._dbs))
        with self._all_or_nothing():
            old = self._old(i, article.id)
            if old is not None:
                old_title, old_body = lengths_of(old)
                self._lengths[i].update({"title": -old_title, "body": -old_body})
            if old is None:  # looked up already: no second lookup
                self._dbs[i].add_document(doc)
            else:
                self._dbs[i].replace_document(old.get_docid(), doc)
        self._lengths[i].update({"title": title, "body": body})
        self._before.setdefault(article.id, old is not None)
        self._present.add(article.id)
        return old is None

    def add_many(self, articles: Iterable[Article]) -> int:
        """Add each article in turn (see :meth:`add`); return how many."""
        count = 0
        for article in articles:
            self.add(article)
            count += 1
        return count

    def delete(self, article_id: str) -> bool:
        self._check_open()
        i = shard_of(article_id, len(self._dbs))
        with self._all_or_nothing():
            old = self._old(i, article_id)
            if old is None:
                return False
            old_title, old_body = lengths_of(old)
            self._lengths[i].update({"title": -old_title, "body": -old_body})
            self._dbs[i].delete_document("Q" + article_id)
        self._before.setdefault(article_id, True)
        self._present.discard(article_id)
        self._deleted += 1
        return True

    def commit(self, *, optimize: bool = False) -> WriteSummary:
        from newsindex._writing import WriteSummary

        self._check_open()
        with self._all_or_nothing():
            for db, change in zip(self._dbs, self._lengths, strict=True):
                totals = Counter(json.loads(db.get_metadata(LENGTHS_KEY) or b"{}"))
                totals.update(change)
                db.set_metadata(LENGTHS_KEY, json.dumps(dict(totals)))
                db.commit_transaction()
        self._closed_because = "it committed"
        self._release()
        added = sum(1 for i in self._present if not self._before[i])
        return WriteSummary(
            added,
            len(self._present) - added,
            self._deleted,
            time.perf_counter() - self._started,
        )

    def cancel(self) -> None:
        if self._closed_because is None:
            self._closed_because = "it was cancelled"
        for db in self._dbs:
            # Committed already, or the connection is gone: nothing to undo.
            with contextlib.suppress(xapian.Error):
                db.cancel_transaction()
        self._release()

    def _all_or_nothing(self) -> Any:
        return _Failing(self)

    def _release(self) -> None:
        for db in self._dbs:
            with contextlib.suppress(xapian.Error):
                db.close()
        self._dbs = []


class _Failing:
    """Cancels the writer's batch when a change fails in Xapian."""

    def __init__(self, writer: XapianWriter) -> None:
        self.writer = writer

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None or not isinstance(exc, xapian.Error):
            return
        self.writer._closed_because = f"a change failed: {exc}"
        self.writer.cancel()
        raise ShardUnavailableError(
            f"writing failed, nothing committed: {exc}"
        ) from None
