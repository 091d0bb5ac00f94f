"""Posting lists as flat arrays, inside Whoosh's segment files.

Whoosh's default codec stores postings in pickled blocks of 128 and decodes
them one posting at a time in Python; that costs about 1.4 microseconds per
posting to read and more to write. newsindex keeps Whoosh's segments, term
dictionary, stored fields, columns and table of contents, and replaces only
the posting list encoding through Whoosh's codec extension point: a posting
list is one record in the segment's ``.pst`` file, in the format of
``_postings.py`` (flat arrays: read without a Python loop or a pickle). This
module writes those records for Whoosh's writers; searches read them without
it. The matcher returned to Whoosh
(:class:`ArrayMatcher`) still speaks Whoosh's matcher protocol, so Whoosh's
own queries keep working on a newsindex index.
"""

from __future__ import annotations

import operator
import struct
from array import array
from collections.abc import Sequence
from itertools import accumulate, repeat
from typing import Any, Final

import attrs
import numpy as np
from whoosh import formats
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter
from whoosh.matching.mcore import ListMatcher
from whoosh.util.numeric import byte_to_length

from newsindex._postings import (
    HASH_ITEM_LENGTHS,
    MAX_TF,
    TERM_INFO,
    U16,
    U32,
    Postings,
    decode_postings,
    encode_postings,
)


class PositionsFormat(formats.Positions):
    """Whoosh posting format for analysed text: frequency and positions.

    Only Whoosh's own matchers use the per-posting value encoding below
    (positions as little-endian u32); newsindex reads :class:`Postings`.
    """

    def encode(self, poslist: Any) -> bytes:
        return array("I", poslist).tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return array("I", valuestring).tolist()

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 4

    def decode_weight(self, valuestring: bytes) -> float:
        return float(len(valuestring) // 4) * self.field_boost


class ArrayMatcher(ListMatcher):
    """Whoosh matcher over a decoded :class:`Postings`."""

    def __init__(
        self,
        postings: Postings,
        format_: Any,
        scorer: Any = None,
        term: Any = None,
        terminfo: Any = None,
        position: int = 0,
    ) -> None:
        super().__init__(
            postings.ids.tolist(),
            weights=postings.tfs.astype(np.float32).tolist(),
            format=format_,
            scorer=scorer,
            position=position,
            term=term,
            terminfo=terminfo,
        )
        self.postings = postings
        self._offsets: np.ndarray | None = None

    def value(self) -> bytes:
        positions = self.postings.positions
        if positions is None:
            return b""
        if self._offsets is None:
            self._offsets = self.postings.bounds
        i = self._i
        chunk = positions[self._offsets[i] : self._offsets[i + 1]]
        return chunk.astype(U32).tobytes()

    def supports(self, astype: str) -> bool:
        return self._format is not None and bool(self._format.supports(astype))

    def copy(self) -> ArrayMatcher:
        return ArrayMatcher(
            self.postings,
            self._format,
            self._scorer,
            self._term,
            self._terminfo,
            self._i,
        )


class ArrayFieldWriter(W3FieldWriter):
    """Field writer that takes whole posting lists, many at once.

    Terms given one at a time (:meth:`add_postings_arrays`, as merges do)
    are held until :data:`PENDING_TERMS` of them or :data:`PENDING_BYTES`
    of postings are waiting, or the field ends, then written together: a
    write costs a position query of the files, a system call each.
    """

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        self._pending: list[tuple[bytes, bytes, tuple[Any, ...]]] = []
        self._pending_bytes = 0

    def add_records(
        self, btexts: list[bytes], records: list[bytes], stats: TermStats
    ) -> None:
        """Write terms' encoded posting lists and their dictionary entries.

        ``btexts`` must be in ascending order (and after any term written
        before). The statistics go into Whoosh's term info, where Whoosh's
        own matchers and ``doc_frequency`` find them. The bytes are Whoosh's
        (``W3TermInfo.to_bytes`` and ``OrderedHashWriter.add``, one term at
        a time), written for all the terms at once.
        """
        self._write_pending()
        if not btexts:
            return
        postfile = self._postfile
        sizes = [len(record) for record in records]
        offsets = list(accumulate(sizes, initial=postfile.tell()))
        postfile.write(b"".join(records))
        values = b"".join(
            map(
                TERM_INFO.pack,
                repeat(0),  # not inlined
                _listed(stats.weights),
                _listed(stats.dfs),
                _length_bytes(stats.min_lengths).tolist(),
                _length_bytes(stats.max_lengths).tolist(),
                _listed(stats.max_tfs),
                _listed(stats.min_ids),
                _listed(stats.max_ids),
                offsets,  # one more than the terms: the end
                sizes,
            )
        )
        prefix = struct.pack(">H", self._fieldid)
        keys = [prefix + btext for btext in btexts]
        _add_ordered(self._tindex, keys, values, TERM_INFO.size)

    def add_postings_arrays(
        self,
        btext: bytes,
        ids: np.ndarray,
        tfs: np.ndarray | None,
        positions: np.ndarray | None,
        starts: np.ndarray | None,
        lengths: np.ndarray | None,
    ) -> None:
        """Encode one term's postings (``ids`` ascending) for writing."""
        has_lengths = lengths is not None and len(lengths) > 0
        stats = (
            len(ids),
            float(tfs.sum(dtype=np.int64)) if tfs is not None else len(ids),
            float(tfs.max()) if tfs is not None else 1.0,
            int(ids[0]),
            int(ids[-1]),
            int(lengths.min()) if has_lengths else 0,  # type: ignore[union-attr]
            int(lengths.max()) if has_lengths else 0,  # type: ignore[union-attr]
        )
        self.add_encoded(btext, encode_postings(ids, tfs, positions, starts), stats)

    def add_encoded(self, btext: bytes, record: bytes, stats: tuple[Any, ...]) -> None:
        """Write one term's posting record, with its statistics in the order
        of :class:`TermStats`' fields (held; see the class docstring)."""
        self._pending.append((btext, record, stats))
        self._pending_bytes += len(record)
        if len(self._pending) >= PENDING_TERMS or self._pending_bytes >= PENDING_BYTES:
            self._write_pending()

    def _write_pending(self) -> None:
        if not self._pending:
            return
        btexts, records, stats = zip(*self._pending, strict=True)
        self._pending, self._pending_bytes = [], 0
        self.add_records(
            list(btexts), list(records), TermStats(*zip(*stats, strict=True))
        )

    def finish_field(self) -> None:
        self._write_pending()
        super().finish_field()

    def close(self) -> None:
        self._write_pending()
        super().close()


#: Terms, and bytes of postings, that :meth:`ArrayFieldWriter.add_postings_arrays`
#: holds before writing them.
PENDING_TERMS: Final = 4096
PENDING_BYTES: Final = 8 << 20


@attrs.frozen
class TermStats:
    """Per-term statistics of the terms given to
    :meth:`ArrayFieldWriter.add_records`, one list (or array) each."""

    dfs: Sequence[int] | np.ndarray
    weights: Sequence[float] | np.ndarray
    max_tfs: Sequence[float] | np.ndarray
    min_ids: Sequence[int] | np.ndarray
    max_ids: Sequence[int] | np.ndarray
    min_lengths: Sequence[int] | np.ndarray
    max_lengths: Sequence[int] | np.ndarray

    def part(self, start: int, stop: int) -> TermStats:
        """The statistics of the terms from ``start`` up to ``stop``."""
        return TermStats(
            *(getattr(self, f.name)[start:stop] for f in attrs.fields(TermStats))
        )


#: The length each byte stands for (Whoosh's ``byte_to_length``); lengths
#: from the last one up are stored as 255.
_LENGTH_TABLE = np.array([byte_to_length(i) for i in range(256)], dtype=np.int64)


def _length_bytes(lengths: Sequence[int] | np.ndarray) -> np.ndarray:
    """Whoosh's ``length_to_byte`` of each length."""
    lengths = np.asarray(lengths, dtype=np.int64)
    found = np.searchsorted(_LENGTH_TABLE, lengths, side="left")
    return np.where(lengths >= _LENGTH_TABLE[-1], 255, found).astype(np.uint8)


def _listed(values: Sequence[Any] | np.ndarray) -> list[Any]:
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


def _add_ordered(table: Any, keys: list[bytes], values: bytes, size: int) -> None:
    """``OrderedHashWriter.add(key, value)`` for each key in order, where
    ``values`` holds the values back to back, ``size`` bytes each."""
    if not keys[0] > table.lastkey or not all(map(operator.lt, keys, keys[1:])):
        raise ValueError(f"keys must increase: {table.lastkey!r}, {keys[:3]!r}...")
    dbfile = table.dbfile
    at = dbfile.tell()
    parts: list[bytes] = []
    positions: list[int] = []
    pack = HASH_ITEM_LENGTHS.pack
    for i, key in enumerate(keys):
        positions.append(at)
        parts += (pack(len(key), size), key, values[i * size : (i + 1) * size])
        at += HASH_ITEM_LENGTHS.size + len(key) + size
    dbfile.write(b"".join(parts))
    table.index.extend(positions)
    hashfn, buckets = table.hashfn, table.buckets
    for key, position in zip(keys, positions, strict=True):
        keyhash = hashfn(key)
        buckets[keyhash & 255].append((keyhash, position))
    table.lastkey = keys[-1]


class ArrayPostingsWriter:
    """Whoosh's per-posting writer protocol, buffered into one record.

    Used only when Whoosh itself writes postings (for example through
    ``IndexWriter.add_document``); newsindex writes whole arrays.
    """

    def __init__(self, postfile: Any) -> None:
        self._postfile = postfile
        self._terminfo: Any = None
        self._format: Any = None

    def start_postings(self, format_: Any, terminfo: Any) -> None:
        self._format = format_
        self._terminfo = terminfo
        self._ids: list[int] = []
        self._tfs: list[int] = []
        self._positions: list[int] = []
        self._minlength: int | None = None
        self._maxlength = 0

    def add_posting(
        self, id_: int, weight: float, vbytes: bytes, length: int | None = None
    ) -> None:
        self._ids.append(id_)
        if self._format.supports("positions"):
            poses = self._format.decode_positions(vbytes)[:MAX_TF]
            self._tfs.append(len(poses))
            self._positions.extend(poses)
        else:
            self._tfs.append(min(MAX_TF, max(1, round(weight))))
        if length:
            self._minlength = (
                length if self._minlength is None else min(self._minlength, length)
            )
            self._maxlength = max(self._maxlength, length)

    def finish_postings(self) -> Any:
        ids = np.asarray(self._ids, dtype=U32)
        tfs = np.asarray(self._tfs, dtype=U16)
        positions = (
            np.asarray(self._positions, dtype=U32)
            if self._format.supports("positions")
            else None
        )
        record = encode_postings(ids, tfs, positions)
        info = self._terminfo
        offset = self._postfile.tell()
        self._postfile.write(record)
        info._weight = float(tfs.sum())
        info._df = len(ids)
        info._maxweight = float(tfs.max()) if len(tfs) else 0.0
        info._minid = int(ids[0]) if len(ids) else None
        info._maxid = int(ids[-1]) if len(ids) else None
        info._minlength = self._minlength or 0
        info._maxlength = self._maxlength
        info.set_extent(offset, len(record))
        self._terminfo = None
        return info

    def written(self) -> bool:
        return False


class NewsCodec(W3Codec):
    """Whoosh's W3 codec with array posting lists (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()

    def field_writer(self, storage: Any, segment: Any) -> ArrayFieldWriter:
        return ArrayFieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        if byteids:  # term vectors, which newsindex does not use
            return super().postings_writer(dbfile, byteids)
        return ArrayPostingsWriter(dbfile)

    def postings_reader(
        self,
        dbfile: Any,
        terminfo: Any,
        format_: Any,
        term: Any = None,
        scorer: Any = None,
    ) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term, scorer)
        offset, length = terminfo.extent()
        postings = decode_postings(dbfile.get(offset, length), f"term {term!r}")
        return ArrayMatcher(
            postings, format_, scorer=scorer, term=term, terminfo=terminfo
        )
