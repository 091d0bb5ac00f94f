"""A segment's text while it is built: every chunk of every article as an id.

Indexing splits each text field at whitespace into *chunks* (``_tokens.py``).
A segment being built numbers its distinct chunks (:class:`ChunkTable`) and
keeps, for each field, the chunk id and character offset of every chunk of
every article (:class:`FieldChunks`): adding an article is a few builtins
mapped over its chunks. Each distinct chunk is analysed once per segment,
into the tokens it holds (term ids, offsets within the chunk). When the
segment is written, the token streams the posting lists are grouped from
are expanded from the chunk streams with numpy (:meth:`FieldChunks.tokens`),
and segment features that need the written text read it from here too
(:class:`SegmentText`).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Mapping
from itertools import accumulate
from operator import add

import numpy as np

from newsindex._kernels import speedups
from newsindex._tokens import split_chunks
from newsindex._values import Value

#: The (offset within the chunk, term) of each indexed word of a chunk.
ChunkWords = Callable[[str], tuple[tuple[int, str], ...]]


def chunk_ids_python(text: str, table: Mapping[str, int]) -> tuple[bytes, bytes]:
    """The ids in ``table`` of the chunks of ``text``, and the offset of each
    chunk, as native 32-bit numbers (the Python version of
    ``_speedups.chunk_ids``, see ``_kernels.py``)."""
    chunks = split_chunks(text)
    # Chunk i begins after the chunks before it and one space each.
    lengths = accumulate(map(len, chunks), initial=0)
    return (
        array("I", map(table.__getitem__, chunks)).tobytes(),
        array("I", map(add, lengths, range(len(chunks)))).tobytes(),
    )


chunk_ids = chunk_ids_python if speedups is None else speedups.chunk_ids


class ChunkTable(dict[str, int]):
    """Chunk -> id within one segment; a new chunk is analysed as it is met.

    Args:
        words: the analysis of a chunk (the analyzer's, cached there).
        vocabulary: term -> term id of the segment (assigns new ids).
    """

    def __init__(self, words: ChunkWords, vocabulary: Mapping[str, int]) -> None:
        super().__init__()
        self._words = words
        self._vocabulary = vocabulary
        #: Chunk id -> the chunk.
        self.chunks: list[str] = []
        # The tokens of chunk c are tids[first[c]:first[c + 1]], at those
        # offsets within the chunk.
        self._first = array("q", [0])
        self._tids = array("I")
        self._offsets = array("I")

    def __missing__(self, chunk: str) -> int:
        for offset, term in self._words(chunk):
            self._tids.append(self._vocabulary[term])
            self._offsets.append(offset)
        self._first.append(len(self._tids))
        cid = self[chunk] = len(self.chunks)
        self.chunks.append(chunk)
        return cid

    def tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``first`` (one more than the chunks), token term ids and offsets."""
        return (
            np.frombuffer(self._first, dtype=np.int64),
            np.frombuffer(self._tids, dtype=np.uint32),
            np.frombuffer(self._offsets, dtype=np.uint32),
        )


class FieldChunks:
    """One text field of a segment's articles, as chunk ids and offsets."""

    def __init__(self) -> None:
        self.ids = array("I")  # every chunk of every article, in order
        self.starts = array("I")  # its offset in its article's text
        self.counts = array("I")  # chunks per article

    @staticmethod
    def split(text: str, table: ChunkTable) -> tuple[bytes, bytes]:
        """The chunk ids of ``text`` and their offsets (new chunks get ids),
        as native 32-bit numbers."""
        return chunk_ids(text, table)

    def append(self, ids: bytes, starts: bytes) -> None:
        self.ids.frombytes(ids)
        self.starts.frombytes(starts)
        self.counts.append(len(ids) // self.ids.itemsize)

    def __len__(self) -> int:
        return len(self.ids)

    def _tokens_per_chunk(self, first: np.ndarray) -> np.ndarray:
        return np.diff(first).astype(np.int32)[np.frombuffer(self.ids, np.uint32)]

    def lengths(self, table: ChunkTable) -> np.ndarray:
        """The number of tokens (indexed words) of each article."""
        per_chunk = self._tokens_per_chunk(table.tables()[0])
        cumulative = np.r_[0, np.cumsum(per_chunk, dtype=np.int64)]
        counts = np.frombuffer(self.counts, dtype=np.uint32)
        bounds = np.cumsum(counts, dtype=np.int64)
        lengths: np.ndarray = cumulative[bounds] - cumulative[bounds - counts]
        return lengths.astype(np.uint32)

    def tokens(self, table: ChunkTable) -> tuple[np.ndarray, np.ndarray]:
        """The field's token stream: the term id and character offset of each
        indexed word, in order."""
        first, tids, offsets = table.tables()
        ids = np.frombuffer(self.ids, dtype=np.uint32)
        per_chunk = self._tokens_per_chunk(first)
        total = int(per_chunk.sum(dtype=np.int64))
        # A segment holds far fewer than 2**31 tokens: 32-bit temporaries.
        before = (np.cumsum(per_chunk, dtype=np.int64) - per_chunk).astype(np.int32)
        # The chunk (occurrence) of each token, and the token's index in the
        # chunk table: its chunk's first token there plus its rank within.
        owner = np.repeat(np.arange(len(ids), dtype=np.int32), per_chunk)
        index = np.arange(total, dtype=np.int32)
        index += np.repeat(first[ids].astype(np.int32) - before, per_chunk)
        del before, per_chunk
        starts = np.frombuffer(self.starts, dtype=np.uint32)[owner]
        del owner
        starts += offsets[index]
        return tids[index], starts


class SegmentText(Value):
    """What segment features may read of a segment's text when it is written.

    Attributes:
        chunks: each distinct chunk of the segment, by id.
        fields: per text field, the chunk id of every chunk of every article
            in order, and how many chunks each article has.
    """

    __slots__ = ("chunks", "fields")
    chunks: list[str]
    fields: Mapping[str, tuple[np.ndarray, np.ndarray]]

    def __init__(
        self, chunks: list[str], fields: Mapping[str, tuple[np.ndarray, np.ndarray]]
    ) -> None:
        self._set(chunks, fields)
