"""The manifest, ``newsindex.json``: what an index records about itself.

It is written once, when the index is created, and read every time the index
is opened: the analyzer that built an index is the only one that may search
it::

    {"format": "newsindex", "schema_version": 1, "newsindex_version": "0.1.0",
     "analyzer": {"tokenizer": 1, "stemmer": "sastrawi-1.2.1",
                  "stopwords": [...], "protected_words": [...]}}

A manifest that is not of this shape is damage, reported as such by
:meth:`Manifest.read` (and so by ``open``, ``check`` and ``swap``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from newsindex._analysis import Analyzer
from newsindex._directory import MANIFEST_NAME, write_atomically
from newsindex._version import __version__
from newsindex.errors import (
    AnalyzerMismatchError,
    CorruptIndexError,
    IndexFormatError,
    IndexNotFoundError,
)

#: Bumped whenever the fields or the posting encoding change incompatibly.
SCHEMA_VERSION: Final = 1
#: The analyzer record's keys and the type of each value.
_ANALYZER_KEYS: Final = {
    "tokenizer": int,
    "stemmer": str,
    "stopwords": list,
    "protected_words": list,
}


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
        text = json.dumps(record, ensure_ascii=False, indent=1)
        write_atomically(path, MANIFEST_NAME, text.encode("utf-8"), ".manifest-")
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
        problem = _analyzer_problem(record.get("analyzer"))
        if problem is not None:
            raise CorruptIndexError(f"{target} is damaged ({problem})")
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


def _analyzer_problem(record: object) -> str | None:
    """What is wrong with a manifest's analyzer record, or ``None``."""
    if not isinstance(record, dict):
        return "its 'analyzer' is not a JSON object"
    for key, kind in _ANALYZER_KEYS.items():
        value = record.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"its analyzer has no {key!r} of the right type"
        if isinstance(value, list) and not all(isinstance(w, str) for w in value):
            return f"its analyzer's {key!r} are not all words"
    return None
