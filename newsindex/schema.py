"""The index layout: Whoosh fields, and the manifest that records the analyzer.

An index directory holds Whoosh's files (``_MAIN_<generation>.toc`` and the
segment files ``MAIN_<segment>.*``) and ``newsindex.json``, the manifest::

    {"format": "newsindex", "schema_version": 1, "newsindex_version": "0.1.0",
     "analyzer": {"tokenizer": 1, "stemmer": "sastrawi-1.2.1",
                  "stopwords": [...], "protected_words": [...]}}

The manifest is written once, when the index is created, and read every time
it is opened: the analyzer that built an index is the only one that may search
it.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import secrets
from pathlib import Path
from typing import IO, Any, Final

import attrs
from whoosh import columns, fields
from whoosh.filedb.structfile import StructFile

from newsindex._analysis import Analyzer
from newsindex._codec import PositionsFormat
from newsindex._version import __version__
from newsindex.errors import (
    AnalyzerMismatchError,
    CorruptIndexError,
    IndexFormatError,
    IndexNotFoundError,
)

__all__ = [
    "INDEX_NAME",
    "MANIFEST_NAME",
    "NO_DATE",
    "SCHEMA_VERSION",
    "TEXT_FIELDS",
    "Manifest",
    "TableOfContents",
    "build_schema",
    "facet_key",
    "read_toc",
    "restricted_loads",
]

#: Bumped whenever the fields or the posting encoding change incompatibly.
SCHEMA_VERSION: Final = 1
#: Whoosh's name for the index inside the directory.
INDEX_NAME: Final = "MAIN"
MANIFEST_NAME: Final = "newsindex.json"
#: Analysed fields, in the order their postings are written.
TEXT_FIELDS: Final = ("body", "title")
#: Column value of articles without a publication date (sorts last).
NO_DATE: Final = -(2**63)
#: The version of Whoosh's table-of-contents format that we read.
_TOC_VERSION: Final = -111


class TextField(fields.FieldType):
    """An analysed field (title or body): term frequencies and positions.

    newsindex's writer analyses text itself; Whoosh's per-field indexing path
    is not used, so this field carries no Whoosh analyzer to pickle into the
    index's table of contents.
    """

    def __init__(self) -> None:
        super().__init__(
            format=PositionsFormat(),
            analyzer=None,  # type: ignore[arg-type]
            scorable=True,
            stored=True,
        )

    def index(self, value: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "newsindex fields are written by newsindex's IndexWriter, not Whoosh's"
        )


def build_schema() -> fields.Schema:
    """Return the Whoosh schema of a newsindex index."""
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=TextField(),
        body=TextField(),
        source=fields.ID(stored=True),
        category=fields.ID(stored=True),
        published=fields.COLUMN(columns.NumericColumn("q", default=NO_DATE)),
        url=fields.STORED(),
        extra=fields.STORED(),
    )


def facet_key(value: str) -> str:
    """The indexed form of a source or category: trimmed, lower case."""
    return " ".join(value.split()).casefold()


class Manifest:
    """Reads, writes and checks ``newsindex.json``."""

    def __init__(self, path: Path, record: dict[str, Any]) -> None:
        self.path = path
        self.record = record

    @classmethod
    def create(cls, path: Path, analyzer: Analyzer) -> Manifest:
        """Write a new manifest for ``analyzer`` atomically."""
        record = {
            "format": "newsindex",
            "schema_version": SCHEMA_VERSION,
            "newsindex_version": __version__,
            "analyzer": analyzer.describe(),
        }
        target = path / MANIFEST_NAME
        # Created like the index's other files (mode 0o666 less the umask),
        # under a unique name, then renamed into place.
        tmp = path / f".manifest-{os.getpid()}-{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(record, out, ensure_ascii=False, indent=1)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return cls(path, record)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """Read and validate the manifest of the index at ``path``.

        Raises:
            IndexNotFoundError: no manifest (not a newsindex index).
            IndexFormatError: written by an incompatible version.
            CorruptIndexError: the manifest is not valid JSON.
        """
        target = path / MANIFEST_NAME
        try:
            text = target.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise IndexNotFoundError(f"no newsindex index at {path}") from None
        except OSError as exc:
            raise CorruptIndexError(f"cannot read {target}: {exc}") from exc
        except UnicodeDecodeError:
            raise CorruptIndexError(f"{target} is damaged (not UTF-8 text)") from None
        try:
            record = json.loads(text)
        except ValueError as exc:
            raise CorruptIndexError(
                f"{target} is damaged (not valid JSON: {exc})"
            ) from None
        if not isinstance(record, dict) or record.get("format") != "newsindex":
            raise IndexFormatError(f"{target} is not a newsindex manifest")
        version = record.get("schema_version")
        if version != SCHEMA_VERSION:
            raise IndexFormatError(
                f"the index at {path} has schema version {version!r} (written by "
                f"newsindex {record.get('newsindex_version', '?')}); this "
                f"newsindex ({__version__}) reads version {SCHEMA_VERSION}. "
                "Re-index the articles into a new directory."
            )
        return cls(path, record)

    def analyzer(self, given: Analyzer | None = None) -> Analyzer:
        """Return the analyzer to use with this index.

        Args:
            given: the analyzer the caller asked for, or ``None`` to rebuild
                the recorded one.

        Raises:
            AnalyzerMismatchError: ``given`` differs from the recorded
                analyzer, or the recorded one cannot be rebuilt.
        """
        description = self.record["analyzer"]
        if given is not None:
            if given.describe() != description:
                raise AnalyzerMismatchError(
                    f"the index at {self.path} was built with analyzer "
                    f"{_summary(description)}, not {_summary(given.describe())}; "
                    "open it without an analyzer, or re-index"
                )
            return given
        try:
            return Analyzer.from_description(description)
        except (KeyError, TypeError, ValueError) as exc:
            raise AnalyzerMismatchError(f"index at {self.path}: {exc}") from exc


def _summary(description: dict[str, Any]) -> str:
    return (
        f"[stemmer {description.get('stemmer')}, "
        f"{len(description.get('stopwords', ()))} stopwords, "
        f"{len(description.get('protected_words', ()))} protected words, "
        f"tokenizer {description.get('tokenizer')}]"
    )


# -- reading Whoosh's pickles safely -------------------------------------------

#: The only classes an index's pickles may name: what Whoosh's table of
#: contents holds for a newsindex schema. Anything else (``os.system``,
#: ``builtins.eval``, ...) makes unpickling fail instead of running it.
_PICKLE_ALLOWED: Final = frozenset(
    {
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("newsindex._codec", "NewsCodec"),
        ("newsindex._codec", "PositionsFormat"),
        ("newsindex.schema", "TextField"),
        ("whoosh.analysis.tokenizers", "IDTokenizer"),
        ("whoosh.codec.whoosh3", "W3Segment"),
        ("whoosh.columns", "NumericColumn"),
        ("whoosh.fields", "COLUMN"),
        ("whoosh.fields", "ID"),
        ("whoosh.fields", "STORED"),
        ("whoosh.fields", "Schema"),
        ("whoosh.formats", "Existence"),
    }
)


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _PICKLE_ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in an index")
        return super().find_class(module, name)


def restricted_loads(data: bytes | IO[bytes]) -> Any:
    """Unpickle data from an index, allowing only the index's own classes.

    Raises:
        pickle.UnpicklingError: the data names any other class or function.
    """
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    return _RestrictedUnpickler(stream).load()


@attrs.frozen
class TableOfContents:
    """One generation of Whoosh's table of contents: schema and segments."""

    generation: int
    schema: Any
    segments: list[Any]


_TOC_FILE = re.compile(rf"^_{INDEX_NAME}_(\d+)\.toc$")


def latest_generation(folder: str) -> int:
    """The newest committed generation in ``folder``, or -1."""
    best = -1
    for name in os.listdir(folder):
        match = _TOC_FILE.match(name)
        if match:
            best = max(best, int(match.group(1)))
    return best


def read_toc(folder: str, generation: int | None = None) -> TableOfContents:
    """Read Whoosh's table of contents without running pickled code.

    Whoosh's own reader unpickles the schema and segment list with no
    restriction (and leaves its file open when it fails); this one reads the
    same format with :func:`restricted_loads`.

    Raises:
        FileNotFoundError: the file vanished (a concurrent commit replaced it).
        CorruptIndexError: there is no table of contents, or it is damaged.
    """
    if generation is None:
        generation = latest_generation(folder)
        if generation < 0:
            raise CorruptIndexError(f"the index at {folder} has no table of contents")
    name = f"_{INDEX_NAME}_{generation}.toc"
    with open(os.path.join(folder, name), "rb") as handle:
        data = handle.read()
    try:
        stream = StructFile(io.BytesIO(data))
        sizes = (stream.read_varint(), stream.read_varint(), stream.read_varint())
        if sizes != (4, 8, 4) or stream.read_int() != -12345:
            raise ValueError("unexpected header")
        if stream.read_int() != _TOC_VERSION:
            raise ValueError("unknown table of contents version")
        for _ in range(3):  # the Whoosh release that wrote it
            stream.read_varint()
        schema = restricted_loads(stream.read_string())
        if stream.read_int() != generation:
            raise ValueError("generation number does not match the file name")
        stream.read_int()
        segments = restricted_loads(stream.file)
        if not isinstance(segments, list):
            raise ValueError("segment list is not a list")
    except Exception as exc:  # any damage shows up as some exception
        raise CorruptIndexError(
            f"the index at {folder}: table of contents {name} is unreadable ({exc})"
        ) from exc
    return TableOfContents(generation, schema, segments)
