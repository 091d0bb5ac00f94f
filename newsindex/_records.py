"""The records of one input file: each format's reader, and records to articles.

:func:`read_file` decodes one supported file (see :class:`_Codec`) into
:class:`Article` and :class:`Problem` values, one per record, in file order.
The formats, the problems and the ids given to records without one are
described where users meet them, in :mod:`newsindex._inputs`; finding the
files and indexing them happens there too.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any, Final, TextIO, TypeAlias

import attrs

from newsindex._article import Article
from newsindex.errors import ArticleError

#: File extensions :func:`read_file` reads.
SUPPORTED_SUFFIXES: Final = (".csv", ".jsonl", ".ndjson", ".txt")
#: Longest record read: a JSON line or a CSV field in characters, a text
#: file in bytes.
MAX_RECORD_BYTES: Final = 64 * 1024 * 1024
#: Called with the binary stream of a file being read (see :func:`read_file`).
Opened: TypeAlias = "Callable[[IO[bytes]], object] | None"

# Byte order marks that choose the codec; UTF-32's before UTF-16's, which
# they start with. (UTF-8's is read by the default codec, utf-8-sig.)
_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_JSON_KINDS: Final = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "true or false",
}
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


def read_file(
    path: str, encoding: str | None = None, opened: Opened = None
) -> Iterator[Article | Problem]:
    """The records of one supported file; an empty file is a problem.

    ``encoding`` is a codec name, or ``None`` for UTF-8 unless a byte order
    mark says UTF-16 or UTF-32. ``opened``, if given, is called with the
    file's binary stream once it is open, so that the caller can follow how
    far reading got (``stream.tell()``; a text file is read whole at once).
    """
    suffix = os.path.splitext(path)[1].lower()
    reader = {".csv": _read_csv, ".txt": _read_txt}.get(suffix, _read_jsonl)
    count = 0
    try:
        for item in reader(_Source(path, encoding, opened)):
            count += 1
            yield item
    except OSError as exc:
        yield unreadable(path, exc)
        return
    except UnicodeError as exc:
        # What the error handlers cannot read past: UTF-16 or UTF-32 cut in
        # the middle of a character, at the end.
        reason = f"cannot be decoded ({getattr(exc, 'reason', exc)})"
        yield Problem(path, None, f"{reason}; rest of file skipped")
        return
    if count == 0:
        yield Problem(path, None, "empty file: no records")


@attrs.frozen
class _Codec:
    """How one file is decoded: ``name`` for Python, ``label`` for messages.

    The ``errors`` handler turns undecodable input into lone surrogates, so
    that a bad record is reported and reading goes on: each bad byte
    (``surrogateescape``) or, in UTF-16 and UTF-32, which fail on code units,
    each unpaired one (``surrogatepass``).
    """

    name: str
    label: str
    errors: str

    @classmethod
    def choose(cls, head: bytes, encoding: str | None) -> _Codec:
        """The codec of a file that starts with ``head`` (its first 4 bytes)."""
        if encoding is None:
            name = next((n for bom, n in _BOMS if head.startswith(bom)), "utf-8-sig")
        else:
            name = codecs.lookup(encoding).name
        label = name.upper().removesuffix("-SIG") if name.startswith("utf") else name
        wide = name.startswith(("utf-16", "utf-32"))
        return cls(name, label, "surrogatepass" if wide else "surrogateescape")

    def raw(self, text: str) -> bytes:
        """The bytes ``text`` was decoded from."""
        return text.encode(self.name.removesuffix("-sig"), self.errors)

    def undecodable(self, text: str) -> str | None:
        """Why ``text`` (decoded by this codec) is not valid, or ``None``."""
        found = None if text.isascii() else _SURROGATE.search(text)
        if found is None:
            return None
        start, char = found.start(), found.group()
        if self.errors == "surrogatepass":
            where = f"U+{ord(char):04X} at column {start + 1}"
        else:  # the column in bytes, as before decoding
            column = len(self.raw(text[:start])) + 1
            where = f"byte 0x{ord(char) - 0xDC00:02x} at column {column}"
        return f"not valid {self.label} ({where})"


@attrs.frozen
class _Source:
    """A file to read, and how (see :func:`read_file`)."""

    path: str
    encoding: str | None
    opened: Opened = None

    @contextlib.contextmanager
    def open(self, newline: str) -> Iterator[tuple[TextIO, _Codec]]:
        """The file as text, after its byte order mark if it has one."""
        with open(self.path, "rb") as raw:
            codec = _Codec.choose(raw.read(4), self.encoding)
            raw.seek(0)
            text = io.TextIOWrapper(
                raw, encoding=codec.name, errors=codec.errors, newline=newline
            )
            if text.read(1) != "\ufeff":
                text.seek(0)
            if self.opened is not None:
                self.opened(raw)
            yield text, codec


@attrs.define
class _Undecodable:
    """A file's undecodable records, reported one by one; or, when most of
    its records that are not plain ASCII fail, as one problem for the file
    with a hint at its encoding (it is not in the codec it was read with).

    The choice is made at the first bad record, by reading the whole file
    once more (``survey``, a generator not yet started, yields its records as
    text): only files with bad records are read twice, records are still read
    one at a time, and line numbers stay exact.
    """

    path: str
    codec: _Codec
    unit: str  # "line" or "row"
    survey: Iterator[str]
    one: bool = False  # the file is one record: no count of records skipped
    whole: bool | None = None  # whether reported as one problem; None: undecided

    def report(self, number: int, text: str, reason: str) -> Iterator[Problem]:
        """The problems to give for undecodable record ``number``."""
        if self.whole is None:
            mixed = bad = 0
            with contextlib.suppress(OSError, UnicodeError, csv.Error):
                for record in self.survey:
                    if not record.isascii():
                        mixed += 1
                        bad += _SURROGATE.search(record) is not None
            # One stray bad record is damage; a file in another encoding
            # fails on most records that are not plain ASCII.
            self.whole = bad >= 2 and 2 * bad > mixed
            if self.whole:
                yield Problem(self.path, None, self._summary(number, text, bad))
        if not self.whole:
            yield Problem(self.path, number, reason)

    def _summary(self, number: int, text: str, bad: int) -> str:
        codec, unit = self.codec, self.unit
        found = _SURROGATE.search(text)
        char = found.group() if found else "\udcff"
        if codec.errors == "surrogatepass":
            sample = f"code units such as U+{ord(char):04X}"
        else:
            sample = f"bytes such as 0x{ord(char) - 0xDC00:02x}"
        guess = self._guess(text)
        looks = f" look like {guess[1]}" if guess else ""
        lost = "" if self.one else f": {bad:,} {unit}s skipped"
        advice = (
            f"give --encoding {guess[0]} if that is what it is"
            if guess
            else "give --encoding with the file's encoding"
        )
        return f"not {codec.label} ({sample} at {unit} {number}{looks}){lost}; {advice}"

    def _guess(self, text: str) -> tuple[str, str] | None:
        """A codec the undecodable bytes of ``text`` read as: (name, label)."""
        if self.codec.errors != "surrogateescape":
            return None
        raw = self.codec.raw(text)
        for name, label in (("utf-8", "UTF-8"), ("cp1252", "cp1252/Latin-1")):
            if name != self.codec.name.removesuffix("-sig"):
                with contextlib.suppress(UnicodeDecodeError):
                    raw.decode(name)
                    return name, label
        return None


def _lines(stream: TextIO) -> Iterator[str | None]:
    """Lines of a text stream; ``None`` for a line over the size limit."""
    limit = MAX_RECORD_BYTES
    while line := stream.readline(limit):
        if len(line) == limit and not line.endswith("\n"):
            while (rest := stream.readline(1 << 20)) and not rest.endswith("\n"):
                pass  # skip the rest of the over-long line
            yield None
        else:
            yield line


def _read_jsonl(source: _Source) -> Iterator[Article | Problem]:
    # Lines end at LF only: a lone CR is JSON whitespace, not a line end.
    with source.open(newline="\n") as (stream, codec):
        survey = _text_lines(_Source(source.path, codec.name))  # not followed
        bad = _Undecodable(source.path, codec, "line", survey)
        for number, line in enumerate(_lines(stream), start=1):
            if line is None:
                too_long = f"line longer than {MAX_RECORD_BYTES} characters"
                yield Problem(source.path, number, too_long)
                continue
            reason = codec.undecodable(line)
            if reason is not None:
                yield from bad.report(number, line, reason)
                continue
            item = _json_record(line, source.path, number)
            if item is not None:
                yield item


def _text_lines(source: _Source) -> Iterator[str]:
    with source.open(newline="\n") as (stream, _):
        yield from (line for line in _lines(stream) if line is not None)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _json_record(text: str, path: str, number: int) -> Article | Problem | None:
    """One JSON Lines line as an article or problem; ``None`` if blank."""
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
    return "null" if value is None else _JSON_KINDS.get(type(value), "a number")


def _read_txt(source: _Source) -> Iterator[Article | Problem]:
    path = source.path
    with open(path, "rb") as stream:
        if source.opened is not None:
            source.opened(stream)
        data = stream.read(MAX_RECORD_BYTES + 1)
    if len(data) > MAX_RECORD_BYTES:
        yield Problem(path, None, f"file larger than {MAX_RECORD_BYTES} bytes")
        return
    codec = _Codec.choose(data[:4], source.encoding)
    text = data.decode(codec.name, codec.errors).removeprefix("\ufeff")
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        reason = codec.undecodable(line)
        if reason is not None:
            bad = _Undecodable(path, codec, "line", iter(lines), one=True)
            yield from bad.report(number, line, reason)
            return
    if not text.strip():
        return  # reported as an empty file
    head, _, rest = text.replace("\r\n", "\n").lstrip().partition("\n")
    yield _article({"title": head.strip(), "body": rest.strip()}, path, None)


def _read_csv(source: _Source) -> Iterator[Article | Problem]:
    # Article bodies are far longer than csv's default field limit (128 KiB).
    # The limit is process-wide, so it is only ever raised.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_BYTES))
    path = source.path
    with source.open(newline="") as (stream, codec):
        survey = _csv_texts(_Source(path, codec.name))  # not followed
        bad = _Undecodable(path, codec, "row", survey)
        columns: list[str] | None = None
        for number, row in _csv_rows(csv.reader(stream)):
            if isinstance(row, str):
                malformed = f"malformed CSV ({row}); rest of file skipped"
                yield Problem(path, number, malformed)
                return
            if columns is None:
                columns, problem = _csv_header(row, codec.label)
                if problem is not None:
                    yield Problem(path, number, problem)
                    return
                continue
            cell = next((i for i, c in enumerate(row) if codec.undecodable(c)), None)
            if cell is not None:
                reason = f"column {cell + 1} is not valid {codec.label}"
                yield from bad.report(number, "".join(row), reason)
                continue
            yield _csv_record(columns, row, path, number)


def _csv_texts(source: _Source) -> Iterator[str]:
    with source.open(newline="") as (stream, _):
        yield from ("".join(row) for row in csv.reader(stream))


def _csv_rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str] | str]]:
    """(row number, row) for the rows that are not blank; an error ends them.

    Blank rows count, so that numbers match what an editor or a spreadsheet
    shows; the header is row 1 unless blank rows come before it.
    """
    number = 0
    try:
        for number, row in enumerate(reader, start=1):
            if any(cell.strip() for cell in row):
                yield number, row
    except csv.Error as exc:
        yield number + 1, str(exc)


def _csv_header(row: list[str], label: str) -> tuple[list[str], str | None]:
    """Column names (article keys in lower case) or a reason to give up."""
    if any(_SURROGATE.search(cell) for cell in row):
        return [], f"header is not valid {label}"
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
        reason = f"{len(row)} fields, but the header has {len(columns)} columns"
        return Problem(path, number, reason)
    record: dict[str, Any] = {}
    for i, (name, raw) in enumerate(zip(columns, row, strict=True)):
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
        article = article.evolve(id=stable_id(article.title, article.body, article.url))
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
