"""Writing to Xapian databases: one writer per database, a batch atomic in
each (see ``_xapian.py``)."""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter, deque
from collections.abc import Iterator

import xapian  # type: ignore[import-not-found,unused-ignore]

from newsindex._analysis import Analyzer
from newsindex._article import Article
from newsindex._engine import Writer, WriteSummary
from newsindex._parallel import BATCH_SIZE, MAX_QUEUED, WorkerPool
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


class XapianWriter(Writer):
    """An atomic batch of changes per database (see :class:`IndexWriter`):
    each shard applies its part of a batch entirely or not at all."""

    def __init__(
        self, places: list[Place], analyzer: Analyzer, timeout: float, jobs: int = 1
    ) -> None:
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
        # Whether each id this batch touched is in the index now (as the
        # batch left it, pending documents included).
        self._present: dict[str, bool] = {}
        self._added = self._updated = self._deleted = 0
        self._closed_because: str | None = None
        self._known: dict[str, str | None] = {}  # written words' kept forms
        # With jobs > 1, worker processes analyse batches of articles into
        # documents, applied here in order.
        self._jobs = jobs
        self._pool: WorkerPool | None = None
        self._batch: list[Article] = []
        self._sent: deque[int] = deque()
        self._batches = 0

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

    def _exists(self, article_id: str) -> bool:
        found = self._present.get(article_id)
        if found is None:  # untouched by this batch: as the index has it
            i = shard_of(article_id, len(self._dbs))
            with self._all_or_nothing():
                found = (
                    next(iter(self._dbs[i].postlist("Q" + article_id)), None)
                    is not None
                )
        return found

    def add(self, article: Article) -> bool:
        """Add ``article``, replacing any article with the same id (see
        :meth:`IndexWriter.add`); whether one existed and was replaced."""
        self._check_open()
        if not isinstance(article, Article):
            raise ArticleError(f"expected an Article, not {type(article).__name__}")
        if self._jobs == 1:
            # Analyse first: an article that fails leaves the batch as it was.
            doc, title, body = document_of(article, self._analyzer, self._known)
            replaced = self._exists(article.id)
            self._apply(article.id, doc, title, body)
        else:
            replaced = self._exists(article.id)
            self._batch.append(article)
            if len(self._batch) >= BATCH_SIZE:
                self._send_batch()
        self._present[article.id] = True
        if replaced:
            self._updated += 1
        else:
            self._added += 1
        return replaced

    def _apply(
        self, article_id: str, doc: xapian.Document, title: int, body: int
    ) -> None:
        i = shard_of(article_id, len(self._dbs))
        with self._all_or_nothing():
            old = self._old(i, article_id)
            if old is None:
                self._dbs[i].add_document(doc)
            else:
                old_title, old_body = lengths_of(old)
                self._lengths[i].update({"title": -old_title, "body": -old_body})
                self._dbs[i].replace_document(old.get_docid(), doc)
        self._lengths[i].update({"title": title, "body": body})

    def _send_batch(self) -> None:
        if self._pool is None:
            self._pool = WorkerPool("documents", self._analyzer, self._jobs)
        self._pool.submit(self._batches, self._batch)
        self._sent.append(self._batches)
        self._batch = []
        self._batches += 1
        # Apply what the workers finished, keeping each busy.
        while len(self._sent) > MAX_QUEUED * self._jobs:
            self._apply_sent()

    def _apply_sent(self) -> None:
        assert self._pool is not None
        for article_id, data, title, body in self._pool.documents(self._sent.popleft()):
            self._apply(article_id, xapian.Document.unserialise(data), title, body)

    def _drain(self) -> None:
        """Apply every article added so far (before a delete or a commit)."""
        if self._batch:
            self._send_batch()
        while self._sent:
            self._apply_sent()

    def delete(self, article_id: str) -> bool:
        """Delete the article with ``article_id``; whether one existed."""
        self._check_open()
        if not self._exists(article_id):
            return False
        self._drain()
        i = shard_of(article_id, len(self._dbs))
        with self._all_or_nothing():
            old = self._old(i, article_id)
            assert old is not None
            old_title, old_body = lengths_of(old)
            self._lengths[i].update({"title": -old_title, "body": -old_body})
            self._dbs[i].delete_document(old.get_docid())
        self._present[article_id] = False
        self._deleted += 1
        return True

    def commit(self, *, optimize: bool = False) -> WriteSummary:
        self._check_open()
        try:
            self._drain()
            if self._pool is not None:
                self._pool.finish()
                self._pool = None
        except BaseException:
            self.cancel()
            raise
        with self._all_or_nothing():
            for db, change in zip(self._dbs, self._lengths, strict=True):
                totals = Counter(json.loads(db.get_metadata(LENGTHS_KEY) or b"{}"))
                totals.update(change)
                db.set_metadata(LENGTHS_KEY, json.dumps(dict(totals)))
                db.commit_transaction()
        self._closed_because = "it committed"
        self._release()
        seconds = time.perf_counter() - self._started
        return WriteSummary(self._added, self._updated, self._deleted, seconds)

    def cancel(self) -> None:
        if self._closed_because is None:
            self._closed_because = "it was cancelled"
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None
        for db in self._dbs:
            # Committed already, or the connection is gone: nothing to undo.
            with contextlib.suppress(xapian.Error):
                db.cancel_transaction()
        self._release()

    @contextlib.contextmanager
    def _all_or_nothing(self) -> Iterator[None]:
        """Cancel the batch if Xapian fails a change in the block."""
        try:
            yield
        except xapian.Error as exc:
            self._closed_because = f"a change failed: {exc}"
            self.cancel()
            raise ShardUnavailableError(
                f"writing failed, nothing committed: {exc}"
            ) from None

    def _release(self) -> None:
        for db in self._dbs:
            with contextlib.suppress(xapian.Error):
                db.close()
        self._dbs = []
