"""Posting lists as flat arrays: the record format, encoded and decoded.

A posting list is one record in a segment's ``.pst`` file::

    magic "NXp1" | count n (u32) | flags (u8)
    doc numbers       n x u32, ascending
    term frequencies  n x u16        (if flags & HAS_TFS; else all 1)
    positions         sum(tf) x u16/u32, grouped by document, ascending
                                     (if flags & HAS_POSITIONS)
    starts            sum(tf) x u32, the character offset where each of those
                      occurrences begins in the stored text
                                     (if flags & HAS_STARTS)

so that a reader turns it into numpy arrays without a Python loop, and no
pickle is involved in reading postings. Reading needs only this module and
numpy (searches never import Whoosh's codec); ``_codec.py`` writes records
through Whoosh's codec extension point.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from itertools import chain
from typing import Final

import numpy as np

from newsindex._kernels import speedups
from newsindex.errors import CorruptIndexError

MAGIC: Final = b"NXp1"
HAS_TFS: Final = 1
HAS_POSITIONS: Final = 2
SHORT_POSITIONS: Final = 4
HAS_STARTS: Final = 8
#: Frequencies are stored in 16 bits; a word repeated more often than this in
#: one field of one article counts (and keeps positions) this many times.
MAX_TF: Final = 65535

_HEADER = struct.Struct("<4sIB")
#: Whoosh 3's term info (``W3TermInfo.to_bytes``), as newsindex writes it for
#: its postings (never inlined): flags, weight, df, min and max length bytes,
#: max weight, min and max id, then the postings' offset (long) and length
#: (int). The term dictionary's values; read without Whoosh's codec.
TERM_INFO: Final = struct.Struct("!BfIBBfIIqi")
#: The lengths of an item of Whoosh's hash file (the term dictionary): key
#: and value, before the key and the value themselves.
HASH_ITEM_LENGTHS: Final = struct.Struct("!ii")

U32 = np.dtype("<u4")
U16 = np.dtype("<u2")


class Postings:
    """One term's posting list in one segment, as arrays.

    Attributes:
        ids: segment-local document numbers, ascending (uint32).
        tfs: occurrences in each document (uint16).
        positions: word positions, ``tfs[i]`` of them per document, or
            ``None`` for fields without positions.
        starts: character offset of each occurrence in the stored text,
            aligned with :attr:`positions` (what highlighting needs), or
            ``None``.
    """

    __slots__ = ("_bounds", "ids", "positions", "starts", "tfs")

    def __init__(
        self,
        ids: np.ndarray,
        tfs: np.ndarray,
        positions: np.ndarray | None,
        starts: np.ndarray | None = None,
        bounds: np.ndarray | None = None,
    ) -> None:
        self.ids = ids
        self.tfs = tfs
        self.positions = positions
        self.starts = starts
        self._bounds = bounds

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def bounds(self) -> np.ndarray:
        """Start of each document's run in :attr:`positions` (n + 1 values).

        Computed once per posting list (when it is read, if it has
        positions): scoring, proximity and snippets all look occurrences up
        through it.
        """
        if self._bounds is None:
            self._bounds = _bounds(self.tfs)
        return self._bounds


def _bounds(tfs: np.ndarray) -> np.ndarray:
    out = np.zeros(len(tfs) + 1, dtype=np.int64)
    tfs.cumsum(out=out[1:])
    return out


def record_header(count: int, flags: int) -> bytes:
    """The fixed header of a posting record."""
    return _HEADER.pack(MAGIC, count, flags)


def encode_postings(
    ids: np.ndarray,
    tfs: np.ndarray | None,
    positions: np.ndarray | None,
    starts: np.ndarray | None = None,
) -> bytes:
    """Return the record for one posting list (see the module docstring)."""
    flags = 0
    parts = [b"", ids.astype(U32, copy=False).tobytes()]
    if tfs is not None:
        flags |= HAS_TFS
        parts.append(tfs.astype(U16, copy=False).tobytes())
    if positions is not None:
        flags |= HAS_POSITIONS
        if len(positions) == 0 or int(positions.max()) <= 0xFFFF:
            flags |= SHORT_POSITIONS
            parts.append(positions.astype(U16, copy=False).tobytes())
        else:
            parts.append(positions.astype(U32, copy=False).tobytes())
        if starts is not None:
            flags |= HAS_STARTS
            parts.append(starts.astype(U32, copy=False).tobytes())
    parts[0] = _HEADER.pack(MAGIC, len(ids), flags)
    return b"".join(parts)


def decode_postings(
    data: bytes, where: str = "postings", *, runs: bool = True
) -> Postings:
    """Turn a record from :func:`encode_postings` back into arrays.

    ``runs``: compute :attr:`Postings.bounds` now (searches use them; a
    merge, which copies whole lists, does not).

    Raises:
        CorruptIndexError: the record is truncated or not ours.
    """
    try:
        magic, count, flags = _HEADER.unpack_from(data)
    except struct.error:
        raise CorruptIndexError(f"{where}: posting record is truncated") from None
    if magic != MAGIC:
        raise CorruptIndexError(f"{where}: bad posting record tag {magic!r}")
    offset = _HEADER.size
    try:
        ids = np.frombuffer(data, U32, count, offset)
        offset += 4 * count
        if flags & HAS_TFS:
            tfs = np.frombuffer(data, U16, count, offset)
            offset += 2 * count
        else:
            tfs = np.ones(count, dtype=U16)
        positions = starts = bounds = None
        if flags & HAS_POSITIONS:
            if runs:
                bounds = _bounds(tfs)
                total = int(bounds[-1])
            else:
                total = int(tfs.sum(dtype=np.int64))
            dtype = U16 if flags & SHORT_POSITIONS else U32
            positions = np.frombuffer(data, dtype, total, offset)
            offset += dtype.itemsize * total
            if flags & HAS_STARTS:
                starts = np.frombuffer(data, U32, total, offset)
    except ValueError:
        raise CorruptIndexError(f"{where}: posting record is truncated") from None
    return Postings(ids, tfs, positions, starts, bounds)


def join_records_python(
    records: Sequence[bytes], shifts: Sequence[int]
) -> tuple[bytes, int, int, int, int] | None:
    """One record holding the lists of ``records`` one after another, each
    one's document numbers moved by its shift (a merge of segments without
    deletions: the numbers stay ascending), without decoding the rest.

    Returns ``(record, documents, occurrences, first id, last id)``, or
    ``None`` when the records differ in layout (position width, offsets),
    carry frequencies without positions or hold no document (or there are
    none): then decode and encode them. :func:`join_records` is this,
    compiled where it was built (see ``_kernels.py``).
    """
    if not records:
        return None
    parts: tuple[list[bytes], ...] = ([], [], [], [])  # ids, tfs, positions, starts
    flags = -1
    documents = occurrences = 0
    first = last = 0
    for record, shift in zip(records, shifts, strict=True):
        magic, count, these = _HEADER.unpack_from(record)
        if magic != MAGIC or (flags >= 0 and these != flags):
            return None
        flags = these
        if flags & HAS_TFS and not flags & HAS_POSITIONS:
            return None
        if count == 0:
            return None
        at = _HEADER.size
        ids = np.frombuffer(record, U32, count, at) + shift
        parts[0].append(ids.astype(U32, copy=False).tobytes())
        if documents == 0:
            first = int(ids[0])
        last = int(ids[-1])
        documents += count
        at += 4 * count
        if flags & HAS_TFS:
            parts[1].append(record[at : at + 2 * count])
            at += 2 * count
        if flags & HAS_POSITIONS:
            width = 2 if flags & SHORT_POSITIONS else 4
            each = width + (4 if flags & HAS_STARTS else 0)
            total, odd = divmod(len(record) - at, each)
            if odd:
                return None
            parts[2].append(record[at : at + width * total])
            parts[3].append(record[at + width * total :])
            occurrences += total
    joined = b"".join([record_header(documents, flags), *chain.from_iterable(parts)])
    return joined, documents, occurrences, first, last


join_records = join_records_python if speedups is None else speedups.join_records
