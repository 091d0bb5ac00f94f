"""The stem table: every stem a stemmer gave for this index, kept with it.

A word's stem never changes for a given stemmer and version, yet stemming a
new word costs Sastrawi 130-340 µs, about 60% of a cold build. So the stems
an index's writers computed are kept in a file of the index directory,
``stems-<stemmer name>.nxt``, and every process that analyses text for the
index (writers, their worker processes, searchers) looks a word up there
before asking the stemmer. Known words are then never stemmed twice, and a
process that only searches known words never loads the stemmer's
dictionary. The table is built on the user's machine from the user's own
text: nothing derived from Sastrawi's dictionary ships with newsindex.

The file is a cache: writers replace it after a commit (atomically); losing
it costs time, not correctness. Format (little-endian)::

    magic "NXt1" | n (u32) | offsets u32[n + 1] | "word\\tstem" ... (UTF-8)

with the entries sorted by word, so a lookup is a binary search in the
memory-mapped file.
"""

from __future__ import annotations

import mmap
import os
import re
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np

from newsindex._directory import IndexDirectory, write_atomically

_MAGIC: Final = b"NXt1"
_HEAD = struct.Struct("<4sI")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def table_name(stemmer_name: str) -> str:
    """The file name of a stemmer's table in an index directory."""
    return f"stems-{_UNSAFE.sub('_', stemmer_name)}.nxt"


class StemTable:
    """A read-only view of a stem table file (absent: an empty table).

    Thread-safe: lookups slice a memory map.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._map: mmap.mmap | None = None
        self._offsets = np.zeros(1, dtype=np.uint32)
        try:
            with open(self.path, "rb") as handle:
                mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # absent, or empty
            return
        magic, n = _HEAD.unpack_from(mapped) if len(mapped) >= _HEAD.size else (b"", 0)
        end = _HEAD.size + 4 * (n + 1)
        if magic != _MAGIC or len(mapped) < end:
            mapped.close()  # not ours, or torn: a cache starts again
            return
        self._map = mapped
        self._offsets = np.frombuffer(mapped, "<u4", n + 1, _HEAD.size)
        self._base = end

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def _entry(self, i: int) -> tuple[bytes, bytes]:
        assert self._map is not None
        start = self._base + int(self._offsets[i])
        end = self._base + int(self._offsets[i + 1])
        word, _, stem = self._map[start:end].partition(b"\t")
        return word, stem

    def get(self, word: str) -> str | None:
        """The stem recorded for ``word``, or ``None``."""
        if self._map is None:
            return None
        key = word.encode("utf-8")
        lo, hi = 0, len(self)
        while lo < hi:
            mid = (lo + hi) // 2
            found, stem = self._entry(mid)
            if found < key:
                lo = mid + 1
            elif found > key:
                hi = mid
            else:
                return stem.decode("utf-8")
        return None

    def items(self) -> dict[str, str]:
        """Every entry (for rewriting the table)."""
        out = {}
        for i in range(len(self)):
            word, stem = self._entry(i)
            out[word.decode("utf-8")] = stem.decode("utf-8")
        return out


def table_bytes(entries: Mapping[str, str]) -> bytes:
    """The file of a table of ``entries``."""
    blobs = [f"{w}\t{entries[w]}".encode() for w in sorted(entries)]
    offsets = np.zeros(len(blobs) + 1, dtype="<u4")
    offsets[1:] = np.cumsum([len(b) for b in blobs], dtype=np.int64)
    return b"".join([_HEAD.pack(_MAGIC, len(blobs)), offsets.tobytes(), *blobs])


class LearnsStems(Protocol):
    """What of an analyzer the table needs (``_analysis.Analyzer``)."""

    @property
    def stemmer(self) -> Any: ...

    def use_stem_table(self, table: StemTable | None) -> None: ...

    def learned_stems(self) -> dict[str, str]: ...

    def learn_stems(self, stems: Mapping[str, str]) -> None: ...


#: Stems learned since the table was written that make rewriting it worth
#: its cost (a table of 100,000 words takes about 0.1 s to rewrite).
REWRITE_AFTER: Final = 1_000


def attach_stem_table(analyzer: LearnsStems, directory: IndexDirectory) -> None:
    """Give ``analyzer`` the stem table of the index in ``directory``."""
    if analyzer.stemmer.name == "none":  # nothing to remember
        return
    path = directory.path(table_name(analyzer.stemmer.name))
    analyzer.use_stem_table(StemTable(path))


def save_learned_stems(analyzer: LearnsStems, directory: IndexDirectory) -> None:
    """Add the stems ``analyzer`` learned to the index's table, when there
    are enough of them (the lock holder's job, after a commit); the rest
    waits in the analyzer for a later commit."""
    if analyzer.stemmer.name == "none":
        return
    name = table_name(analyzer.stemmer.name)
    table = StemTable(directory.path(name))
    learned = analyzer.learned_stems()
    if len(learned) < max(REWRITE_AFTER, len(table) // 20):
        analyzer.learn_stems(learned)  # not yet worth a rewrite
        return
    entries = table.items()
    entries.update(learned)
    write_atomically(Path(directory.folder), name, table_bytes(entries), f"{name}.")
    analyzer.use_stem_table(StemTable(directory.path(name)))
