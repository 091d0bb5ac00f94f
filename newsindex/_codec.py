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

import struct
from array import array
from typing import Any

import numpy as np
from whoosh import formats
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3TermInfo
from whoosh.matching.mcore import ListMatcher

from newsindex._postings import (
    MAX_TF,
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
    """Field writer that takes a whole posting list at once."""

    def add_record(
        self,
        btext: bytes,
        record: bytes,
        *,
        df: int,
        weight: float,
        max_tf: float,
        min_id: int,
        max_id: int,
        min_length: int,
        max_length: int,
    ) -> None:
        """Write one term's encoded posting list and its dictionary entry.

        The statistics go into Whoosh's term info, where Whoosh's own
        matchers and ``doc_frequency`` find them.
        """
        postfile = self._postfile
        offset = postfile.tell()
        postfile.write(record)
        info = W3TermInfo()
        info._weight = weight
        info._df = df
        info._maxweight = max_tf
        info._minid = min_id
        info._maxid = max_id
        info._minlength = min_length
        info._maxlength = max_length
        info.set_extent(offset, len(record))
        self._tindex.add(struct.pack(">H", self._fieldid) + btext, info.to_bytes())

    def add_postings_arrays(
        self,
        btext: bytes,
        ids: np.ndarray,
        tfs: np.ndarray | None,
        positions: np.ndarray | None,
        starts: np.ndarray | None,
        lengths: np.ndarray | None,
    ) -> None:
        """Encode and write one term's postings (``ids`` ascending)."""
        has_lengths = lengths is not None and len(lengths) > 0
        self.add_record(
            btext,
            encode_postings(ids, tfs, positions, starts),
            df=len(ids),
            weight=float(tfs.sum(dtype=np.int64))
            if tfs is not None
            else float(len(ids)),
            max_tf=float(tfs.max()) if tfs is not None else 1.0,
            min_id=int(ids[0]),
            max_id=int(ids[-1]),
            min_length=int(lengths.min()) if has_lengths else 0,  # type: ignore[union-attr]
            max_length=int(lengths.max()) if has_lengths else 0,  # type: ignore[union-attr]
        )


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
