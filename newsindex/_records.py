"""The records of one input file: each format's reader, and records to articles.

:func:`read_file` turns one supported file into :class:`Article` values and
:class:`Problem` values, one per record, in file order. The formats, the
problems and the ids given to records without one are described where
users meet them, in the docstring of :mod:`newsindex._inputs`; finding the
files and indexing them happens there too.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import IO, Any, Final

import attrs

from newsindex._article import Article
from newsindex.errors import ArticleError

#: File extensions :func:`read_file` reads.
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
        line: 1-based line (JSON Lines, text) or row (CSV, the header is row 1),
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


def stable_id(title: str, body: str, url: str = "") -> str:
    """Return the id given to a record that has none (see :mod:`newsindex._inputs`)."""
    if url.strip():
        digest = hashlib.sha256(url.strip().encode("utf-8")).hexdigest()
        return f"url-{digest[:16]}"
    digest = hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()
    return f"sha-{digest[:16]}"


def unreadable(path: str, exc: OSError) -> Problem:
    """The problem for a file or directory the operating system refused."""
    return Problem(path, None, f"cannot read: {exc.strerror or exc}")


# -- reading files -------------------------------------------------------------


def read_file(path: str) -> Iterator[Article | Problem]:
    """The records of one supported file; an empty file is a problem."""
    suffix = os.path.splitext(path)[1].lower()
    reader = {".csv": _read_csv, ".txt": _read_txt}.get(suffix, _read_jsonl)
    count = 0
    try:
        for item in reader(path):
            count += 1
            yield item
    except OSError as exc:
        yield unreadable(path, exc)
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
    counts = Counter(c for c in columns if c)
    for name, count in counts.items():  # in header order
        if count > 1:
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
