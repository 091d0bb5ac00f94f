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

Files are UTF-8, with or without a byte order mark, with LF or CRLF line ends.
Records are read one at a time, so memory stays bounded by the largest
record (at most :data:`newsindex._records.MAX_RECORD_BYTES`), not by the
size of a file.

A record that cannot become an article is a :class:`Problem`: invalid JSON,
not an object, bytes that are not UTF-8, a missing or empty body, a field of
the wrong type, an unparseable date, and so on. An integer ``id`` is accepted
and turned into text.

Records without an id (or with an empty one) get a stable one, so re-reading
the same files replaces articles instead of duplicating them: ``url-`` and 16
hex digits of the SHA-256 of the stripped URL when there is a URL, else
``sha-`` and 16 hex digits of the SHA-256 of ``title + "\\n" + body``.

This module finds the files and feeds the index; reading each format and
turning records into articles or problems is :mod:`newsindex._records`.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs

from newsindex._article import Article
from newsindex._index import NewsIndex
from newsindex._records import SUPPORTED_SUFFIXES, read_file, unreadable
from newsindex._records import Problem as Problem  # re-exported for the root
from newsindex._writing import IndexWriter
from newsindex.errors import ConfigurationError, InputError


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


def iter_records(path: str | os.PathLike[str]) -> Iterator[Article | Problem]:
    """Read the articles of a file or directory, one at a time.

    Args:
        path: a supported file or a directory (see the module docstring).

    Returns:
        an iterator of articles, and of problems for what could not be
        read, in file order. It never raises for bad input: a missing path
        or an unreadable file is a problem too.
    """
    for item in _files(os.fspath(path)):
        if isinstance(item, Problem):
            yield item
        else:
            yield from read_file(item)


def ingest(
    index: NewsIndex,
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    strict: bool = False,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
    timeout: float = 10.0,
) -> IngestReport:
    """Read files and directories of articles into ``index`` in one commit.

    All articles go through one writer, so the run is applied entirely or
    not at all; other processes keep searching the previous commit until
    it ends.

    Args:
        index: the index to add to.
        paths: one path, or several; files and directories.
        strict: stop at the first problem and commit nothing, instead of
            skipping bad records and indexing the rest.
        jobs: processes that analyse articles (see :meth:`NewsIndex.writer`).
        progress: called with the number of articles read so far, after
            each one.
        timeout: seconds to wait for another writer to finish.

    Returns:
        an :class:`IngestReport`.

    Raises:
        InputError: with ``strict``, the first problem found.
        IndexLockedError: another writer kept the index locked for
            ``timeout`` seconds.
        OSError: writing the index failed (nothing is committed).
        ConfigurationError: ``jobs`` is not a positive integer.
    """
    started = time.perf_counter()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ConfigurationError(f"jobs must be a positive integer, not {jobs!r}")
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    # A directory being read may hold the index itself; its files are not input.
    info = os.stat(index.path)
    skip = frozenset({(info.st_dev, info.st_ino)})
    with index.writer(jobs=jobs, timeout=timeout) as writer:
        files, skipped = _feed(writer, paths, skip, strict, progress)
        summary = writer.commit()
    # A bulk load leaves segments of every size: serve from few.
    index.merge(timeout=timeout)
    return IngestReport(
        added=summary.added,
        updated=summary.updated,
        skipped=tuple(skipped),
        files=files,
        seconds=time.perf_counter() - started,
    )


def _feed(
    writer: IndexWriter,
    paths: Iterable[str | os.PathLike[str]],
    skip: frozenset[tuple[int, int]],
    strict: bool,
    progress: Callable[[int], None] | None,
) -> tuple[int, list[Problem]]:
    """Add every readable article to ``writer``; return (files, problems)."""
    files = articles = 0
    skipped: list[Problem] = []
    for path in paths:
        for found in _files(os.fspath(path), skip):
            records: Iterable[Article | Problem]
            if isinstance(found, Problem):
                records = (found,)
            else:
                files += 1
                records = read_file(found)
            for record in records:
                if isinstance(record, Problem):
                    if strict:
                        raise InputError(record.path, record.line, record.reason)
                    skipped.append(record)
                    continue
                writer.add(record)
                articles += 1
                if progress is not None:
                    progress(articles)
    return files, skipped


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
