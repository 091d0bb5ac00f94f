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
record (at most :data:`MAX_RECORD_BYTES`), not by the size of a file.

A record that cannot become an article is a :class:`Problem`: invalid JSON,
not an object, bytes that are not UTF-8, a missing or empty body, a field of
the wrong type, an unparseable date, and so on. An integer ``id`` is accepted
and turned into text.

Records without an id (or with an empty one) get a stable one, so re-reading
the same files replaces articles instead of duplicating them: ``url-`` and 16
hex digits of the SHA-256 of the stripped URL when there is a URL, else
``sha-`` and 16 hex digits of the SHA-256 of ``title + "\\n" + body``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any, Final

import attrs

from newsindex._article import Article
from newsindex._index import NewsIndex
from newsindex._writing import IndexWriter
from newsindex.errors import ArticleError, InputError

__all__ = [
    "MAX_RECORD_BYTES",
    "SUPPORTED_SUFFIXES",
    "IngestReport",
    "Problem",
    "ingest",
    "iter_records",
    "stable_id",
]

#: File extensions :func:`iter_records` reads.
SUPPORTED_SUFFIXES: Final = (".csv", ".jsonl", ".ndjson", ".txt")
#: Longest record (a JSON line, a CSV field, a text file) read, in bytes.
MAX_RECORD_BYTES: Final = 64 * 1024 * 1024

_BOM: Final = b"\xef\xbb\xbf"
_TEXT_KEYS: Final = ("id", "title", "body", "source", "category", "url")
_CSV_KEYS: Final = frozenset({*_TEXT_KEYS, "published", "date"})
# Lone surrogates: JSON "\ud800" escapes, or undecodable CSV bytes kept by
# the surrogateescape error handler. Neither can be stored as UTF-8.
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


@attrs.frozen
class Problem:
    """A record (or a whole file) that could not be read as an article.

    Attributes:
        path: the file, as given or as found under a given directory.
        line: 1-based line (JSON Lines) or row (CSV, the header is row 1),
            or ``None`` when the problem concerns the whole file.
        reason: what is wrong, in words.
    """

    path: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible form."""
        return {"path": self.path, "line": self.line, "reason": self.reason}


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


def stable_id(title: str, body: str, url: str = "") -> str:
    """Return the id given to a record that has none (see the module docstring)."""
    if url.strip():
        digest = hashlib.sha256(url.strip().encode("utf-8")).hexdigest()
        return f"url-{digest[:16]}"
    digest = hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()
    return f"sha-{digest[:16]}"


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
            yield from _read_file(item)


def ingest(
    index: NewsIndex,
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    strict: bool = False,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
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
        jobs: worker processes for analysis (used once the writer supports
            them; see the TODO in ``_writer``).
        progress: called with the number of articles read so far, after
            each one.

    Returns:
        an :class:`IngestReport`.

    Raises:
        InputError: with ``strict``, the first problem found.
        IndexLockedError: another writer kept the index locked.
        OSError: writing the index failed (nothing is committed).
        ValueError: ``jobs`` is less than 1.
    """
    started = time.perf_counter()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, not {jobs!r}")
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    # A directory being read may hold the index itself; its files are not input.
    info = os.stat(index.path)
    skip = frozenset({(info.st_dev, info.st_ino)})
    with index.writer(jobs=jobs) as writer:
        files, skipped = _feed(writer, paths, skip, strict, progress)
        summary = writer.commit()
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
                records = _read_file(found)
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


def _os_reason(exc: OSError) -> str:
    return f"cannot read: {exc.strerror or exc}"


def _files(
    path: str, skip: frozenset[tuple[int, int]] = frozenset()
) -> Iterator[str | Problem]:
    """Yield the readable files at ``path``, and problems for the rest.

    Directories whose (device, inode) is in ``skip`` are not entered.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        yield Problem(path, None, _os_reason(exc))
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
        yield Problem(folder, None, _os_reason(exc))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            info = entry.stat()  # follows symbolic links
        except OSError as exc:
            yield Problem(entry.path, None, _os_reason(exc))
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


# -- reading files -------------------------------------------------------------


def _read_file(path: str) -> Iterator[Article | Problem]:
    """The records of one supported file; an empty file is a problem."""
    suffix = os.path.splitext(path)[1].lower()
    reader = {".csv": _read_csv, ".txt": _read_txt}.get(suffix, _read_jsonl)
    count = 0
    try:
        for item in reader(path):
            count += 1
            yield item
    except OSError as exc:
        yield Problem(path, None, _os_reason(exc))
        return
    if count == 0:
        yield Problem(path, None, "empty file: no records")


def _not_utf8(data: bytes, exc: UnicodeDecodeError) -> str:
    column = exc.start - data.rfind(b"\n", 0, exc.start)  # in bytes, 1-based
    return f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at column {column})"


def _lines(stream: IO[bytes]) -> Iterator[bytes | None]:
    """Lines of a binary file; ``None`` for a line over the size limit."""
    limit = MAX_RECORD_BYTES
    while line := stream.readline(limit):
        if len(line) == limit and not line.endswith(b"\n"):
            while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass  # skip the rest of the over-long line
            yield None
        else:
            yield line


def _read_jsonl(path: str) -> Iterator[Article | Problem]:
    with open(path, "rb") as stream:
        for number, line in enumerate(_lines(stream), start=1):
            if line is None:
                yield Problem(
                    path, number, f"line longer than {MAX_RECORD_BYTES} bytes"
                )
                continue
            if number == 1:
                line = line.removeprefix(_BOM)
            item = _json_record(line, path, number)
            if item is not None:
                yield item


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _json_record(line: bytes, path: str, number: int) -> Article | Problem | None:
    """One JSON Lines line as an article or problem; ``None`` if blank."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Problem(path, number, _not_utf8(line, exc))
    if not text.strip():
        return None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return Problem(path, number, f"invalid JSON: {exc.msg} (column {exc.colno})")
    except ValueError as exc:
        return Problem(path, number, f"invalid JSON: {exc}")
    except RecursionError:
        return Problem(path, number, "invalid JSON: nested too deeply")
    if not isinstance(value, dict):
        return Problem(path, number, f"not a JSON object but {_json_kind(value)}")
    return _article(value, path, number)


def _json_kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true or false"
    if value is None:
        return "null"
    return "a number"


def _read_txt(path: str) -> Iterator[Article | Problem]:
    with open(path, "rb") as stream:
        data = stream.read(MAX_RECORD_BYTES + 1)
    if len(data) > MAX_RECORD_BYTES:
        yield Problem(path, None, f"file larger than {MAX_RECORD_BYTES} bytes")
        return
    data = data.removeprefix(_BOM)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        yield Problem(path, line, _not_utf8(data, exc))
        return
    if not text.strip():
        return  # reported as an empty file
    head, _, rest = text.replace("\r\n", "\n").lstrip().partition("\n")
    yield _article({"title": head.strip(), "body": rest.strip()}, path, None)


def _read_csv(path: str) -> Iterator[Article | Problem]:
    # Article bodies are far longer than csv's default field limit (128 KiB).
    # The limit is process-wide, so it is only ever raised.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_BYTES))
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
        columns: list[str] | None = None
        for number, row in _csv_rows(csv.reader(f)):
            if isinstance(row, str):
                yield Problem(
                    path, number, f"malformed CSV ({row}); rest of file skipped"
                )
                return
            if columns is not None:
                yield _csv_record(columns, row, path, number)
                continue
            columns, problem = _csv_header(row)
            if problem is not None:
                yield Problem(path, number, problem)
                return


def _csv_rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str] | str]]:
    """(row number, row) for the rows that are not blank; an error ends them.

    Blank rows count, so that numbers match what an editor or a spreadsheet
    shows; the header is row 1 unless blank rows come before it.
    """
    number = 0
    while True:
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield number, str(exc)
            return
        if any(cell.strip() for cell in row):
            yield number, row


def _csv_header(row: list[str]) -> tuple[list[str], str | None]:
    """Column names (article keys in lower case) or a reason to give up."""
    if any(_SURROGATE.search(cell) for cell in row):
        return [], "header is not valid UTF-8"
    columns = []
    for cell in row:
        name = cell.strip()
        columns.append(name.lower() if name.lower() in _CSV_KEYS else name)
    named = [c for c in columns if c]
    for name in named:
        if named.count(name) > 1:
            return [], f"column {name!r} appears more than once in the header"
    if "body" not in columns:
        return [], "the header has no 'body' column"
    return columns, None


def _csv_record(
    columns: list[str], row: list[str], path: str, number: int
) -> Article | Problem:
    if len(row) != len(columns):
        return Problem(
            path,
            number,
            f"{len(row)} fields, but the header has {len(columns)} columns",
        )
    record: dict[str, Any] = {}
    for i, (name, raw) in enumerate(zip(columns, row, strict=True)):
        if _SURROGATE.search(raw):
            return Problem(path, number, f"column {i + 1} is not valid UTF-8")
        # A quoted cell spanning lines keeps the file's line ends; use LF.
        cell = raw.replace("\r\n", "\n")
        if not name:
            if cell.strip():
                return Problem(
                    path, number, f"a value in column {i + 1}, which has no name"
                )
        elif name not in _CSV_KEYS or cell.strip():
            # Empty cells of article fields count as missing.
            record[name] = cell
    return _article(record, path, number)


# -- records to articles -------------------------------------------------------


def _article(
    record: Mapping[str, Any], path: str, line: int | None
) -> Article | Problem:
    """Validate ``record`` and build its article, giving it an id if needed."""
    reason = _type_problem(record)
    if reason is not None:
        return Problem(path, line, reason)
    fields = dict(record)
    if isinstance(fields.get("id"), int):
        fields["id"] = str(fields["id"])
    if fields.get("date") in (None, ""):
        # Article.from_dict rejects "date": null beside a real "published".
        fields.pop("date", None)
    given = fields.get("id")
    has_id = isinstance(given, str) and given.strip() != ""
    if not has_id:
        fields["id"] = "pending"  # replaced by the stable id below
    try:
        article = Article.from_dict(fields)
    except ArticleError as exc:
        return Problem(path, line, str(exc))
    reason = _unicode_problem(article)
    if reason is not None:
        return Problem(path, line, reason)
    if not has_id:
        article = attrs.evolve(
            article, id=stable_id(article.title, article.body, article.url)
        )
    return article


def _type_problem(record: Mapping[str, Any]) -> str | None:
    """Why the record's text fields are unusable, naming the field, or ``None``."""
    for key in _TEXT_KEYS:
        value = record.get(key)
        if value is None or isinstance(value, str):
            continue
        if key == "id" and isinstance(value, int) and not isinstance(value, bool):
            continue
        return f"{key!r} must be text, not {_json_kind(value)} ({value!r:.40})"
    body = record.get("body")
    if body is None:
        return "missing body"
    if not body.strip():
        return "empty body"
    return None


def _unicode_problem(article: Article) -> str | None:
    # The writer stores UTF-8; a lone surrogate would make it fail midway.
    for key in _TEXT_KEYS:
        if _SURROGATE.search(getattr(article, key)):
            return f"{key!r} holds a lone surrogate (half of a \\u escape pair)"
    if article.extra and _SURROGATE.search(
        json.dumps(article.extra, ensure_ascii=False)
    ):
        return "an extra field holds a lone surrogate (half of a \\u escape pair)"
    return None
