"""Reading article files for bulk indexing: :func:`ingest` and :func:`iter_records`.

Formats, chosen by file extension (in any case):

===================  =========================================================
``.jsonl``           JSON Lines: one JSON object per line; blank lines are
``.ndjson``          ignored. Keys as for :meth:`Article.from_dict`.
``.csv``             a header row, then one article per row. The columns
                     ``id``, ``title``, ``body``, ``published`` (or ``date``),
                     ``source``, ``category`` and ``url`` are article fields
                     (empty cells count as missing); other columns go to
                     :attr:`Article.extra` as text.
``.txt``             one article per file: the first non-empty line is the
                     title, the rest is the body.
a directory          the files above, found recursively in sorted order;
                     hidden files and directories are skipped, and files
                     with other extensions are reported as problems.
===================  =========================================================

Files are UTF-8, with or without a byte order mark, or UTF-16 or UTF-32 with
one; with LF or CRLF line ends. Give ``encoding`` (any Python codec name,
such as ``"cp1252"``) for files in another encoding. Records are read one at
a time, so memory stays bounded by the largest record (at most
:data:`newsindex._records.MAX_RECORD_BYTES`), not by the size of a file.

A record that cannot become an article is a :class:`Problem`: invalid JSON,
not an object, bytes that are not valid in the file's encoding, a missing or
empty body, a field of the wrong type, an unparseable date, and so on. An
integer ``id`` is accepted and turned into text. When most records of a file
that are not plain ASCII cannot be decoded, the file is in another encoding:
that is one problem for the file, naming the encoding its bytes look like
(the records that could be read are still indexed).

Records without an id (or with an empty one) get a stable one, so re-reading
the same files replaces articles instead of duplicating them: ``url-`` and 16
hex digits of the SHA-256 of the stripped URL when there is a URL, else
``sha-`` and 16 hex digits of the SHA-256 of ``title + "\\n" + body``.

This module finds the files and feeds the index; reading each format and
turning records into articles or problems is :mod:`newsindex._records`.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

import attrs

from newsindex._article import Article
from newsindex._engine import Writer
from newsindex._index import NewsIndex
from newsindex._records import SUPPORTED_SUFFIXES, read_file, unreadable
from newsindex._records import Problem as Problem  # re-exported for the root
from newsindex.errors import ConfigurationError, IndexLockedError, InputError


@attrs.frozen
class IngestReport:
    """What :func:`ingest` did.

    Attributes:
        added: articles whose id was new to the index.
        updated: articles that replaced one with the same id (in the index,
            or earlier in the same run).
        skipped: the records and files that were not indexed, in order.
        files: files read.
        seconds: time taken, commit included.
    """

    added: int
    updated: int
    skipped: tuple[Problem, ...]
    files: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible form."""
        return {
            "added": self.added,
            "updated": self.updated,
            "skipped": [p.to_dict() for p in self.skipped],
            "files": self.files,
            "seconds": round(self.seconds, 3),
        }


# -- the public entry points ---------------------------------------------------


def iter_records(
    path: str | os.PathLike[str], *, encoding: str | None = None
) -> Iterator[Article | Problem]:
    """Read the articles of a file or directory, one at a time.

    Args:
        path: a supported file or a directory (see the module docstring).
        encoding: the files' text encoding, a Python codec name such as
            ``"cp1252"``; ``None`` reads UTF-8, or UTF-16 or UTF-32 when a
            byte order mark says so.

    Returns:
        an iterator of articles, and of problems for what could not be
        read, in file order. It never raises for bad input: a missing path
        or an unreadable file is a problem too.

    Raises:
        ConfigurationError: ``encoding`` is not the name of a text codec
            (at once, not when the iterator is first read).
    """
    check_encoding(encoding)
    return _read_path(os.fspath(path), encoding)


def _read_path(path: str, encoding: str | None) -> Iterator[Article | Problem]:
    for item in _files(path):
        if isinstance(item, Problem):
            yield item
        else:
            yield from read_file(item, encoding)


# Long: one signature and docstring for every option of a bulk load.
def ingest(
    index: NewsIndex,
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    strict: bool = False,
    jobs: int = 1,
    encoding: str | None = None,
    progress: Callable[[int], None] | None = None,
    progress_bytes: Callable[[int], None] | None = None,
    timeout: float = 10.0,
    waiting: Callable[[IndexLockedError], None] | None = None,
) -> IngestReport:
    """Read files and directories of articles into ``index`` in one commit.

    All articles go through one writer, so the run is applied entirely or
    not at all; other processes keep searching the previous commit until
    it ends. The writer's lock is taken before any file is read; after the
    commit, :meth:`NewsIndex.merge` merges what the load left.

    Args:
        index: the index to add to.
        paths: one path, or several; files and directories.
        strict: stop at the first problem and commit nothing, instead of
            skipping bad records and indexing the rest.
        jobs: processes that analyse articles (see :meth:`NewsIndex.writer`).
        encoding: the files' text encoding (see :func:`iter_records`).
        progress: called with the number of articles read so far, after
            each one.
        progress_bytes: called with the bytes of input read so far, after
            each article (just before ``progress``); they grow towards
            :func:`input_size` of the same paths.
        timeout: seconds to wait for another writer to finish.
        waiting: called, if another writer holds the lock, with the error a
            first try that did not wait raised (its ``holder`` is the other
            writer's pid), before waiting up to ``timeout`` seconds.

    Returns:
        an :class:`IngestReport`.

    Raises:
        InputError: with ``strict``, the first problem found.
        IndexLockedError: another writer kept the index locked for
            ``timeout`` seconds.
        OSError: writing the index failed (nothing is committed).
        ConfigurationError: ``jobs`` is not a positive integer, or
            ``encoding`` not the name of a text codec.
    """
    started = time.perf_counter()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ConfigurationError(f"jobs must be a positive integer, not {jobs!r}")
    check_encoding(encoding)
    # A directory being read may hold the index itself; its files are not input.
    skip = set()
    with contextlib.suppress(OSError):  # a Xapian location has no directory
        info = os.stat(index.location.removeprefix("xapian:"))
        skip.add((info.st_dev, info.st_ino))
    reading = _Reading(
        skip=frozenset(skip),
        strict=strict,
        encoding=encoding,
        progress=progress,
        progress_bytes=progress_bytes,
    )
    with _writer(index, jobs, timeout, waiting) as writer:
        files, skipped = reading.feed(writer, _path_list(paths))
        summary = writer.commit()
    # A bulk load leaves segments of every size: serve from few. The load
    # is committed; a writer that came meanwhile only postpones the merge.
    with contextlib.suppress(IndexLockedError):
        index.merge(timeout=timeout)
    return IngestReport(
        added=summary.added,
        updated=summary.updated,
        skipped=tuple(skipped),
        files=files,
        seconds=time.perf_counter() - started,
    )


def _writer(
    index: NewsIndex,
    jobs: int,
    timeout: float,
    waiting: Callable[[IndexLockedError], None] | None,
) -> Writer:
    """The index's writer, saying to ``waiting`` first if it has to wait."""
    if waiting is None or timeout <= 0:
        return index.writer(jobs=jobs, timeout=timeout)
    try:
        return index.writer(jobs=jobs, timeout=0)
    except IndexLockedError as exc:
        waiting(exc)
    return index.writer(jobs=jobs, timeout=timeout)


def input_size(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> int:
    """Bytes of the files that :func:`ingest` would read from ``paths`` (the
    total its ``progress_bytes`` grows towards), found without reading them."""
    total = 0
    for path in _path_list(paths):
        for found in _files(path):
            if not isinstance(found, Problem):
                with contextlib.suppress(OSError):  # reported when read
                    total += os.path.getsize(found)
    return total


def check_encoding(encoding: str | None) -> None:
    """Refuse, with :class:`ConfigurationError`, an encoding that is not ``None``
    or the name of a text codec (``base64`` is a codec, but not of text)."""
    if encoding is None:
        return
    try:
        io.TextIOWrapper(io.BytesIO(), encoding=encoding)
    except (LookupError, TypeError) as exc:
        raise ConfigurationError(f"unknown text encoding {encoding!r}") from exc


def _path_list(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> list[str]:
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    return [os.fspath(path) for path in paths]


@attrs.frozen
class _Reading:
    """How one :func:`ingest` reads its files, and whom it tells how far it got."""

    skip: frozenset[tuple[int, int]]
    strict: bool
    encoding: str | None
    progress: Callable[[int], None] | None
    progress_bytes: Callable[[int], None] | None

    def feed(self, writer: Writer, paths: list[str]) -> tuple[int, list[Problem]]:
        """Add every readable article to ``writer``; return (files, problems)."""
        files = articles = 0
        skipped: list[Problem] = []
        meter = _Meter()
        for path in paths:
            for found in _files(path, self.skip):
                records: Iterable[Article | Problem]
                if isinstance(found, Problem):
                    records = (found,)
                else:
                    files += 1
                    records = read_file(found, self.encoding, meter.follow)
                for record in records:
                    if isinstance(record, Problem):
                        if self.strict:
                            raise InputError(record.path, record.line, record.reason)
                        skipped.append(record)
                        continue
                    writer.add(record)
                    articles += 1
                    if self.progress_bytes is not None:
                        self.progress_bytes(meter.read())
                    if self.progress is not None:
                        self.progress(articles)
                if not isinstance(found, Problem):
                    meter.done(found)
        return files, skipped


class _Meter:
    """Bytes of input read: the files done, and how far into the current one."""

    def __init__(self) -> None:
        self._done = 0
        self._stream: IO[bytes] | None = None
        self._size = 0

    def follow(self, stream: IO[bytes]) -> None:
        """Count what is read from ``stream``, the file being read."""
        self._stream = stream
        self._size = os.fstat(stream.fileno()).st_size

    def done(self, path: str) -> None:
        """Count all of the file at ``path``, read to its end."""
        self._stream = None
        with contextlib.suppress(OSError):
            self._done += os.path.getsize(path)

    def read(self) -> int:
        """Bytes read so far."""
        stream = self._stream
        if stream is None:
            return self._done
        # A closed stream was read to its end (a text file, read whole).
        return self._done + (self._size if stream.closed else stream.tell())


# -- finding files -------------------------------------------------------------


def _supported(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in SUPPORTED_SUFFIXES


def _unsupported(path: str) -> Problem:
    suffix = os.path.splitext(path)[1] or "no extension"
    return Problem(
        path,
        None,
        f"not a supported file type ({suffix}); expected .jsonl, .ndjson, .csv or .txt",
    )


def _files(
    path: str, skip: frozenset[tuple[int, int]] = frozenset()
) -> Iterator[str | Problem]:
    """Yield the readable files at ``path``, and problems for the rest.

    Directories whose (device, inode) is in ``skip`` are not entered.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        yield unreadable(path, exc)
        return
    if stat.S_ISDIR(info.st_mode):
        key = (info.st_dev, info.st_ino)
        if key not in skip:
            yield from _walk(path, skip | {key})
    elif not stat.S_ISREG(info.st_mode):
        yield Problem(path, None, "not a regular file")
    elif not _supported(path):
        yield _unsupported(path)
    else:
        yield path


def _walk(folder: str, skip: frozenset[tuple[int, int]]) -> Iterator[str | Problem]:
    """Files under ``folder``, depth first in name order, hidden ones left out.

    ``skip`` holds the directories not to enter: those above this one (so a
    symbolic link back up does not loop) and any the caller excludes.
    """
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as exc:
        yield unreadable(folder, exc)
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            info = entry.stat()  # follows symbolic links
        except OSError as exc:
            yield unreadable(entry.path, exc)
            continue
        if stat.S_ISDIR(info.st_mode):
            key = (info.st_dev, info.st_ino)
            if key not in skip:
                yield from _walk(entry.path, skip | {key})
        elif not _supported(entry.path):
            yield _unsupported(entry.path)
        elif not stat.S_ISREG(info.st_mode):
            yield Problem(entry.path, None, "not a regular file")
        else:
            yield entry.path
