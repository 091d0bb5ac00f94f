"""Changing an index: :class:`IndexWriter`, one atomic batch of changes.

A writer holds the index's write lock from creation until :meth:`commit` or
:meth:`cancel`. Nothing it does is visible to searchers before the commit,
and the commit itself is a single rename of Whoosh's table of contents, so a
batch is applied entirely or not at all, even if the process is killed.

A change that fails halfway (a full disk while an article is stored or a
segment flushed, a worker that dies) cancels the whole batch at once: the
error propagates, the batch's files are deleted, the lock is released, and
the index keeps its previous commit. Later calls on the writer raise
:class:`~newsindex.errors.WriterClosedError` saying why. An article that
fails *before* anything changed (analysis, in :meth:`IndexWriter.add` with
one job) is only refused; the batch goes on.

Upserts never leave duplicates. Whoosh's own ``update_document`` only
replaces *committed* documents, so the same id updated twice in one writer
yields two copies. This writer remembers where every id it added lives
(``_pending``) and deletes the earlier copy itself, in whichever new segment
it sits; committed copies are found through the ``id`` postings of the
existing segments.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any, Final

from newsindex._analysis import Analyzer
from newsindex._article import Article
from newsindex._codec import NewsCodec
from newsindex._directory import FileLock, IndexDirectory, TableOfContents
from newsindex._engine import Writer, WriteSummary
from newsindex._merging import (
    COMMIT_MERGE_ARTICLES,
    merge_candidates,
    merge_segments,
)
from newsindex._parallel import BATCH_SIZE, WorkerPool
from newsindex._segment_builder import SegmentBuilder
from newsindex._segment_reader import SegmentData
from newsindex._stemtable import save_learned_stems
from newsindex.errors import ArticleError, ConfigurationError, WriterClosedError

#: Words (stopwords included) buffered in memory before a writer (or each
#: analysis worker) flushes them to a segment file: 8 bytes each (a chunk id
#: and an offset, see ``_segment_text.py``), and several times that while
#: they are grouped at flush time. 4 million words are about 3 million
#: indexed tokens: measured on the 25,420 CLICK-ID + IndoSum articles (one
#: process), peak RSS 400 MB at 12 million tokens, 276 MB at 3 million, at
#: the same build time; the extra segments are merged by the tiered policy.
DEFAULT_FLUSH_WORDS: Final = 4_000_000


class IndexWriter(Writer):
    """An atomic batch of additions, replacements and deletions.

    Use it as a context manager: the batch commits when the block ends and
    is cancelled if the block raises::

        with index.writer() as writer:
            writer.add(article)
            writer.delete("old-id")

    Writers are not thread-safe; use one writer from one thread. Obtain one
    with :meth:`NewsIndex.writer`, which gives it the index's directory and
    analyzer.

    Raises:
        ConfigurationError: ``jobs`` is not a positive integer.
        IndexLockedError: (on creation) another writer held the lock for
            longer than ``timeout`` seconds.
    """

    def __init__(
        self,
        directory: IndexDirectory,
        analyzer: Analyzer,
        *,
        timeout: float = 10.0,
        jobs: int = 1,
        flush_words: int = DEFAULT_FLUSH_WORDS,
    ) -> None:
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise ConfigurationError(f"jobs must be a positive integer, not {jobs!r}")
        self._started = time.perf_counter()
        self._directory = directory
        self._analyzer = analyzer
        self._codec = NewsCodec()
        self._jobs = jobs
        self._flush_words = flush_words
        self._lock: FileLock | None = directory.lock(timeout)
        self._readers: list[SegmentData] = []
        try:
            directory.remove_stale_tables()
            toc = directory.read_toc()
            self._schema = toc.schema
            self._generation: int = toc.generation
            self._segments: list[Any] = list(toc.segments)
            self._readers = [SegmentData(directory, s) for s in self._segments]
        except BaseException:
            self._release()
            raise
        self._builder: SegmentBuilder | None = None
        self._flushed: list[Any] = []
        # Where the copy of each id added by this writer is: a document of a
        # local segment, or an entry of a batch for the worker processes.
        self._pending: dict[str, tuple[Any, int]] = {}
        self._superseded: list[tuple[int, int]] = []  # (batch, index) to delete
        self._batch: list[Article] = []
        self._batches = 0
        self._pool: WorkerPool | None = None
        self._local_batches: dict[int, tuple[Any, int]] = {}
        self._added = self._updated = self._deleted = 0
        self._closed = False
        # Why the writer cancelled itself, for the error of later calls.
        self._failure: str | None = None

    # -- changes ---------------------------------------------------------------

    def add(self, article: Article) -> bool:
        """Add ``article``, replacing any article with the same id.

        With ``jobs=1`` a failing article (for example, one a custom stemmer
        chokes on) raises here and leaves the batch as it was. With more jobs
        it is analysed later in a worker, and the failure ends the writer.
        Any other failure (a write error) cancels the batch (see the module
        docstring) and propagates.

        Returns:
            ``True`` if an article with this id existed (in the index or
            earlier in this batch) and was replaced.
        """
        self._check_open()
        if not isinstance(article, Article):
            raise ArticleError(f"expected an Article, got {type(article).__name__}")
        if self._jobs == 1:
            replaced = self._add_local(article)
        else:
            with self._all_or_nothing():
                replaced = self._remove(article.id)
                self._pending[article.id] = (self._batches, len(self._batch))
                self._batch.append(article)
                if len(self._batch) >= BATCH_SIZE:
                    self._send_batch()
        if replaced:
            self._updated += 1
        else:
            self._added += 1
        return replaced

    def _add_local(self, article: Article) -> bool:
        builder = self._local_builder()
        # Prepare first: an article that fails analysis or encoding must not
        # have deleted the copy it was to replace.
        prepared = builder.prepare(article)
        with self._all_or_nothing():
            replaced = self._remove(article.id)
            docnum = builder.append(prepared)
            self._pending[article.id] = (builder.segment, docnum)
            if builder.word_count >= self._flush_words:
                self._flush()
        return replaced

    def _local_builder(self) -> SegmentBuilder:
        if self._builder is None:
            self._builder = SegmentBuilder(self._directory, self._analyzer, self._codec)
        return self._builder

    def _send_batch(self) -> None:
        if self._pool is None:
            # The workers together buffer half what one process would: each
            # is a whole interpreter with its own caches, and measured on
            # 25,420 articles with 2 workers, 3 million tokens each peaked at
            # 572 MB for the process tree, 750,000 each at 329 MB, in the
            # same time (each worker merges its segments into one at the end). A
            # token is about 4/3 words.
            per_worker = max(1, self._flush_words // (2 * self._jobs))
            self._pool = WorkerPool(
                "segments", self._analyzer, self._jobs, self._directory.folder,
                per_worker,
            )  # fmt: skip
        self._pool.submit(self._batches, self._batch)
        self._batch = []
        self._batches += 1

    def delete(self, article_id: str) -> bool:
        """Delete the article with ``article_id``; return whether one existed."""
        self._check_open()
        with self._all_or_nothing():
            found = self._remove(article_id)
        if found:
            self._deleted += 1
        return found

    def _remove(self, article_id: str) -> bool:
        found = False
        pending = self._pending.pop(article_id, None)
        if pending is not None:
            where, docnum = pending
            if isinstance(where, int):  # a batch, placed later
                self._superseded.append((where, docnum))
            else:
                where.delete_document(docnum)
            found = True
        for reader in self._readers:
            for docnum in reader.docnums_for_id(article_id):
                reader.segment.delete_document(docnum)
                reader.live[docnum] = False
                found = True
        return found

    def _flush(self) -> None:
        if self._builder is not None:
            builder, self._builder = self._builder, None
            if builder.doc_count:
                self._flushed.append(builder.finish())
            else:
                builder.abandon()

    def _finish_batches(self) -> None:
        """Write every batch's segments and apply deletions within them."""
        if self._batch and self._pool is None:
            # Too few articles to be worth starting processes for.
            builder = self._local_builder()
            first = builder.doc_count
            for article in self._batch:
                builder.append(builder.prepare(article))
            self._local_batches[self._batches] = (builder.segment, first)
            self._batch = []
        elif self._batch:
            self._send_batch()
        self._flush()
        if self._pool is not None:
            segments = self._pool.finish()
            self._flushed.extend(segments.values())
        for batch, index in self._superseded:
            if batch in self._local_batches:
                segment, first = self._local_batches[batch]
            else:
                assert self._pool is not None
                segid, first = self._pool.place(batch)
                segment = segments[segid]
            segment.delete_document(first + index)
        self._superseded = []

    # -- ending ------------------------------------------------------------------

    def commit(self, *, optimize: bool = False) -> WriteSummary:
        """Apply the batch atomically and release the lock.

        Args:
            optimize: merge the whole index into one segment (slower commit,
                slightly faster searches).

        Raises:
            WriterClosedError: the writer already committed or cancelled.
        """
        self._check_open()
        generation = self._generation + 1
        try:
            self._finish_batches()
            segments = [
                s for s in (*self._segments, *self._flushed) if s.doc_count() > 0
            ]
            segments = self._merge(segments, optimize)
            new = [s for s in segments if s not in self._segments]
            self._directory.sync_segments(new)
            # The commit point: one atomic rename of the table of contents.
            toc = TableOfContents(generation, self._schema, segments)
            self._directory.write_toc(toc)
        except BaseException:
            self.cancel()
            raise
        self._close_readers()
        self._directory.remove_unused(generation, segments)
        with contextlib.suppress(OSError):  # a cache: a failure costs time only
            save_learned_stems(self._analyzer, self._directory)
        self._release()
        self._closed = True
        return WriteSummary(
            added=self._added,
            updated=self._updated,
            deleted=self._deleted,
            seconds=time.perf_counter() - self._started,
        )

    def cancel(self) -> None:
        """Discard the batch, delete its files and release the lock.

        Every step is tried even if an earlier one fails (a disk that is
        full fails the last write of a half-written file as it is closed).
        """
        if self._closed:
            return
        self._closed = True
        try:
            if self._pool is not None:
                with contextlib.suppress(OSError):
                    self._pool.terminate()
            if self._builder is not None:
                self._builder.abandon()
            self._close_readers()
            # Every file the committed table of contents does not name is
            # ours to delete (we hold the lock): this writer's segments, and
            # whatever an earlier, killed writer left behind.
            with contextlib.suppress(OSError):
                self._directory.remove_unused(self._generation, self._segments)
        finally:
            self._release()

    @contextlib.contextmanager
    def _all_or_nothing(self) -> Iterator[None]:
        """Cancel the batch if the change in the block fails: it may have
        changed the batch halfway, and a batch is applied whole or not."""
        try:
            yield
        except BaseException as exc:
            self._failure = f"{type(exc).__name__}: {exc}"
            self.cancel()
            raise

    @property
    def closed(self) -> bool:
        """Whether the writer has committed or been cancelled."""
        return self._closed

    def _check_open(self) -> None:
        if self._failure is not None:
            raise WriterClosedError(
                f"this writer was cancelled when a change failed ({self._failure}); "
                "nothing of its batch was committed"
            )
        if self._closed:
            raise WriterClosedError("this writer has already committed or cancelled")

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _close_readers(self) -> None:
        for reader in self._readers:
            reader.close()
        self._readers = []

    # -- merging -----------------------------------------------------------------

    def _merge(self, segments: list[Any], optimize: bool) -> list[Any]:
        """Merge what the policy asks for within the commit's budget (or,
        with ``optimize``, everything): larger merges wait for
        ``NewsIndex.merge()``, so that a small commit stays quick."""
        budget = COMMIT_MERGE_ARTICLES
        while True:
            group = segments if optimize else merge_candidates(segments, most=budget)
            if len(group) < 2 and not (group and group[0].has_deletions()):
                return segments
            budget -= sum(s.doc_count_all() for s in group)
            readers = [SegmentData(self._directory, s) for s in group]
            try:
                merged = merge_segments(self._directory, self._codec, readers)
            finally:
                for reader in readers:
                    reader.close()
            segments = [s for s in segments if s not in group]
            if merged is not None:
                segments.append(merged)
                self._flushed.append(merged)
            if optimize:
                return segments
