"""Building segments in worker processes, for ``NewsIndex.writer(jobs=N)``.

Analysis and posting grouping are CPU-bound Python, so threads cannot share
them; each worker process owns a ``SegmentBuilder`` (``_segment_builder.py``)
and turns batches of articles into segment files of its own. The parent keeps
everything that needs a global view: the write lock, deletions of replaced
articles, and the commit.

Workers are plain ``python`` subprocesses talking over two pipes, not
``multiprocessing`` children: those re-import the caller's main module, which
breaks any script without an ``if __name__ == "__main__"`` guard, and forking
a threaded process (a web server) can deadlock the child.

Where an article lands is decided by the worker and reported back as
``(batch, segment id, first document number)``: a batch never straddles a
flush, so the parent can later delete any document of any batch (an id added
twice in one writer) by arithmetic.

A worker flushes a segment whenever its buffer is full (the buffer bounds
its memory), and at the end merges the segments it flushed into one, the
workers at the same time, so that a bulk load leaves one segment per worker
for searches to read. The merge keeps the documents' order, so a placement
moves by the number of documents before its segment (``WorkerPool.place``).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import traceback
from collections.abc import Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, Final

from newsindex._analysis import Analyzer
from newsindex._article import Article
from newsindex.errors import WorkerError

#: Articles sent to a worker at a time.
BATCH_SIZE: Final = 200
#: Batches a worker may have queued before the parent waits for it.
MAX_QUEUED: Final = 3
#: Seconds between checks that workers are still alive while waiting.
_POLL: Final = 0.5

_BOOT = (
    "import sys; sys.path[:0] = __import__('json').loads(sys.argv[3]); "
    "from newsindex._parallel import child_main; "
    "child_main(int(sys.argv[1]), int(sys.argv[2]))"
)


def child_main(read_fd: int, write_fd: int) -> None:
    """A worker's main loop (runs in the child process)."""
    inbox = Connection(read_fd, writable=False)
    outbox = Connection(write_fd, readable=False)
    try:
        _serve(inbox, outbox)
    except BaseException as exc:  # reported to the parent, which raises
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        with contextlib.suppress(OSError):  # a parent that is gone hears nothing
            outbox.send(("failed", detail))
    finally:
        with contextlib.suppress(OSError):
            outbox.close()


def _serve(inbox: Connection, outbox: Connection) -> None:
    role, folder, analyzer, flush_words = inbox.recv()
    if role == "documents":
        _serve_documents(inbox, outbox, analyzer)
        return
    from newsindex._codec import NewsCodec
    from newsindex._directory import IndexDirectory
    from newsindex._segment_builder import SegmentBuilder
    from newsindex._stemtable import attach_stem_table

    directory = IndexDirectory(folder)
    attach_stem_table(analyzer, directory)
    codec = NewsCodec()
    builder: SegmentBuilder | None = None
    flushed: list[Any] = []
    while True:
        message = inbox.recv()
        if message[0] == "finish":
            if builder is not None and builder.doc_count:
                flushed.append(builder.finish())
                outbox.send(("segment", flushed[-1]))
            if len(flushed) > 1:
                # Searches read few segments: the worker's become one, merged
                # here while the other workers merge theirs.
                merged = _merge_own(directory, codec, flushed)
                outbox.send(("merged", [s.segment_id() for s in flushed], merged))
            outbox.send(("stems", analyzer.learned_stems()))
            outbox.send(("done",))
            return
        _, batch, articles = message
        if builder is None:
            builder = SegmentBuilder(directory, analyzer, codec)
        first = builder.doc_count
        for article in articles:
            builder.add(article)
        outbox.send(("added", batch, builder.segment.segment_id(), first))
        if builder.word_count >= flush_words:
            flushed.append(builder.finish())
            outbox.send(("segment", flushed[-1]))
            builder = None


def _merge_own(directory: Any, codec: Any, segments: list[Any]) -> Any:
    """One segment of the (undeleted) documents of ``segments``, in order."""
    from newsindex._merging import merge_segments
    from newsindex._segment_reader import SegmentData

    readers = [SegmentData(directory, segment) for segment in segments]
    try:
        return merge_segments(directory, codec, readers)
    finally:
        for reader in readers:
            reader.close()


def _serve_documents(inbox: Connection, outbox: Connection, analyzer: Analyzer) -> None:
    """A worker that turns batches into Xapian documents (``_xapian_writer``),
    sent back serialised; imports Xapian, so only for Xapian locations.

    Its answers are large, so a thread sends them while this one reads the
    next batch: a parent sending a batch and a worker sending documents, each
    waiting for the other to read, would otherwise both wait for ever.
    """
    from newsindex._xapian_store import document_of

    answers: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
    known: dict[str, str | None] = {}

    def send() -> None:
        while (answer := answers.get()) is not None:
            outbox.send(answer)

    sender = threading.Thread(target=send, name="newsindex answers", daemon=True)
    sender.start()
    try:
        while (message := inbox.recv())[0] != "finish":
            _, batch, articles = message
            documents = []
            for article in articles:
                doc, title, body = document_of(article, analyzer, known)
                documents.append((article.id, doc.serialise(), title, body))
            answers.put(("documents", batch, documents))
        answers.put(("done",))
    finally:  # the answers so far go first, then any failure (child_main)
        answers.put(None)
        sender.join()


class _Worker:
    def __init__(self, number: int, init: tuple[Any, ...]) -> None:
        self.name = f"newsindex writer worker {number}"
        to_child, from_parent = os.pipe()
        from_child, to_parent = os.pipe()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _BOOT,
                str(to_child),
                str(to_parent),
                json.dumps([p for p in sys.path if p]),
            ],
            pass_fds=(to_child, to_parent),
            stdin=subprocess.DEVNULL,
            # A session of their own: Ctrl-C at a terminal interrupts the
            # parent only, which cancels the batch and stops the workers;
            # they would otherwise print tracebacks of their own.
            start_new_session=True,
        )
        os.close(to_child)
        os.close(to_parent)
        self.send = Connection(from_parent, readable=False)
        self.receive = Connection(from_child, writable=False)
        self.queued = 0
        self.done = False
        self.send.send(init)

    def close(self) -> None:
        self.send.close()
        self.receive.close()


class WorkerPool:
    """Worker processes building segments from batches of articles, or (for
    a Xapian location) Xapian documents.

    Args:
        role: ``"segments"`` or ``"documents"``.
        analyzer: the index's analyzer (pickled to each worker, so a custom
            stemmer must be picklable).
        jobs: number of worker processes.
        folder: the index directory (segments).
        flush_words: words a worker buffers before writing a segment.
    """

    def __init__(
        self,
        role: str,
        analyzer: Analyzer,
        jobs: int,
        folder: str | None = None,
        flush_words: int = 0,
    ) -> None:
        self._analyzer = analyzer
        self._placed: dict[int, tuple[str, int]] = {}
        self._segments: dict[str, Any] = {}
        #: Segments a worker merged at the end: id -> (merged segment's id,
        #: the number its first document got there).
        self._moved: dict[str, tuple[str, int]] = {}
        self._documents: dict[int, list[Any]] = {}
        self._workers: list[_Worker] = []
        init = (role, folder, analyzer, flush_words)
        try:
            for number in range(jobs):
                self._workers.append(_Worker(number, init))
        except BaseException:
            self.terminate()
            raise

    def submit(self, batch: int, articles: Sequence[Article]) -> None:
        """Send a batch to the least busy worker (waiting if all are busy)."""
        while min(w.queued for w in self._workers) >= MAX_QUEUED:
            self._receive()
        worker = min(self._workers, key=lambda w: w.queued)
        worker.queued += 1
        self._send(worker, ("batch", batch, list(articles)))

    def place(self, batch: int) -> tuple[str, int]:
        """(segment id, first document number) of a batch's articles."""
        while batch not in self._placed:
            self._receive()
        segid, first = self._placed[batch]
        if segid in self._moved:
            segid, shift = self._moved[segid]
            first += shift
        return segid, first

    def documents(self, batch: int) -> list[Any]:
        """A batch's documents: ``(id, serialised document, title length,
        body length)`` per article, in order."""
        while batch not in self._documents:
            self._receive()
        return self._documents.pop(batch)

    def finish(self) -> dict[str, Any]:
        """Have every worker write its last segment; return all segments.

        Raises:
            WorkerError: a worker failed or died.
        """
        for worker in self._workers:
            self._send(worker, ("finish",))
        while not all(w.done for w in self._workers):
            self._receive()
        for worker in self._workers:
            worker.process.wait()
            worker.close()
        return self._segments

    def terminate(self) -> None:
        """Stop every worker at once (on cancel or failure)."""
        for worker in self._workers:
            if worker.process.poll() is None:
                worker.process.kill()
            worker.process.wait()
            worker.close()

    def _send(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        try:
            worker.send.send(message)
        except OSError:
            self._check_alive()
            raise

    def _check_alive(self) -> None:
        for worker in self._workers:
            code = worker.process.poll()
            if code is not None and not worker.done:
                raise WorkerError(
                    f"{worker.name} died (exit status {code}); nothing was committed"
                )

    def _receive(self) -> None:
        by_connection = {w.receive: w for w in self._workers if not w.done}
        ready = wait(list(by_connection), timeout=_POLL)
        if not ready:
            self._check_alive()
            return
        for connection in ready:
            worker = by_connection[connection]  # type: ignore[index]
            try:
                message = worker.receive.recv()
            except EOFError:
                self._check_alive()
                raise WorkerError(f"{worker.name} stopped unexpectedly") from None
            self._handle(worker, message)

    def _handle(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "added":
            _, batch, segid, first = message
            self._placed[batch] = (segid, first)
            worker.queued -= 1
        elif kind == "documents":
            _, batch, documents = message
            self._documents[batch] = documents
            worker.queued -= 1
        elif kind == "segment":
            segment = message[1]
            self._segments[segment.segment_id()] = segment
        elif kind == "merged":
            _, sources, merged = message
            shift = 0
            for segid in sources:
                self._moved[segid] = (merged.segment_id(), shift)
                shift += self._segments.pop(segid).doc_count_all()
            self._segments[merged.segment_id()] = merged
        elif kind == "stems":  # what the worker stemmed, for the stem table
            self._analyzer.learn_stems(message[1])
        elif kind == "done":
            worker.done = True
        else:
            raise WorkerError(f"{worker.name} failed: {message[1]}")
