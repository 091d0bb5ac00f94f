"""Reading one segment: its postings, per-document numbers and stored articles.

Every file is memory-mapped once, and every read after that slices a map, so
any number of threads may read one :class:`SegmentData` at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np
from whoosh.filedb.filetables import OrderedHashReader
from whoosh.filedb.structfile import StructFile

from newsindex._article import Article, article_from_stored
from newsindex._directory import IndexDirectory, restricted_loads
from newsindex._features import SegmentFeature
from newsindex._postings import (
    HASH_ITEM_LENGTHS,
    TERM_INFO,
    Postings,
    decode_postings,
)
from newsindex._registry import FEATURES
from newsindex._segment_files import (
    NUMBERS_EXT,
    POSTS_EXT,
    STORED_EXT,
    TERMS_EXT,
    read_numbers,
    read_stored,
    read_stored_offsets,
)
from newsindex.errors import CorruptIndexError

#: Where a term's posting list is, and in how many documents it occurs:
#: ``(offset, length, document frequency)``.
TermInfo = tuple[int, int, int]
#: ``madvise`` advice that drops a mapping's pages (not on every platform).
_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)
# Whoosh's hash table slot (key hash, item position).
_SLOT = struct.Struct("!Iq")
_TAIL = struct.Struct(">I")


def term_info(value: bytes) -> TermInfo:
    """Decode a term dictionary entry without Whoosh's codec.

    Raises:
        ValueError: the entry is not one newsindex writes (inlined postings,
            or damaged).
    """
    try:
        inlined, _, df, _, _, _, _, _, offset, length = TERM_INFO.unpack(value)
    except struct.error as exc:
        raise ValueError(f"bad term dictionary entry ({exc})") from None
    if inlined:
        raise ValueError("inlined postings are not newsindex's")
    return offset, length, df


def _map(path: str) -> mmap.mmap:
    with open(path, "rb") as handle:
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


class _MappedFile(StructFile):
    """A read-only StructFile over a memory map, for Whoosh's term table.

    Whoosh's ``get`` seeks and then reads, which races when threads share a
    file; slicing a memory map does not move any shared position. (The
    sequential ``read``/``seek`` are used only while opening.)
    """

    def __init__(self, mapped: mmap.mmap, name: str) -> None:
        super().__init__(mapped, name=name)  # type: ignore[arg-type]
        self._mapped = mapped

    def get(self, position: int, length: int) -> bytes:
        return self._mapped[position : position + length]

    def read_pickle(self) -> Any:
        # The term table's metadata: a dict of names and numbers only.
        return restricted_loads(self.file)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"file {os.path.basename(exc.filename or '')} is missing"
    text = str(exc) or type(exc).__name__
    return (
        text
        if isinstance(exc, (ValueError, OSError))
        else f"{text} ({type(exc).__name__})"
    )


def _read_features(
    directory: IndexDirectory, segment: Any
) -> dict[type[SegmentFeature], Any]:
    """The readers of the segment's feature files, read now: a merge may
    delete the files while the segment still serves searches."""
    found = {}
    for feature in FEATURES:
        path = directory.segment_path(segment, feature.ext)
        if os.path.exists(path):
            found[feature] = feature.read(path, segment.doc_count_all())
    return found


class SegmentData:
    """Read access to one segment: postings, numbers, stored articles.

    Thread-safe: every read after construction slices a memory map.

    Raises:
        CorruptIndexError: a file is missing, truncated or not ours.
    """

    def __init__(self, directory: IndexDirectory, segment: Any) -> None:
        self.segment = segment
        self.name = segment.segment_id()
        #: How errors name this segment: with its index, for the operator.
        self.where = f"the index at {directory.folder}, segment {self.name}"
        self._maps: list[mmap.mmap] = []
        try:
            terms_map = self._map(directory, TERMS_EXT)
            self._terms = OrderedHashReader(
                _MappedFile(terms_map, self.name), len(terms_map)
            )
            self._fieldmap: dict[str, int] = self._terms.extras["fieldmap"]
            self._terms_map = terms_map
            self._md5 = self._terms.hashtype == 0
            self._hash = self._terms.hashfn
            self._prefix = {
                field: struct.pack(">H", number)
                for field, number in self._fieldmap.items()
            }
            self._tables: list[tuple[int, int]] = self._terms.tables
            self._postings = self._map(directory, POSTS_EXT)
            self._stored_map = self._map(directory, STORED_EXT)
            with open(directory.segment_path(segment, NUMBERS_EXT), "rb") as handle:
                numbers = handle.read()
            self.lengths, self.published = read_numbers(numbers)
            #: Bytes of the segment's files when it was opened (they may be
            #: deleted by a merge while this reader still serves searches).
            self.size_bytes = len(numbers) + sum(len(m) for m in self._maps)
            self._offsets = read_stored_offsets(self._stored_map)
            self._features = _read_features(directory, segment)
            self.doc_count_all: int = segment.doc_count_all()
            if len(self.published) != self.doc_count_all:
                raise ValueError(
                    f"it holds {len(self.published)} documents, its table of "
                    f"contents says {self.doc_count_all}"
                )
        except Exception as exc:  # damage shows up as any kind of error
            self.close()
            raise CorruptIndexError(f"{self.where}: {_reason(exc)}") from exc
        self.live = np.ones(self.doc_count_all, dtype=bool)
        deleted = list(segment.deleted_docs())
        if deleted:
            self.live[np.asarray(deleted, dtype=np.int64)] = False
        self.doc_count = int(self.live.sum())

    def feature(self, feature: type[SegmentFeature]) -> Any:
        """The segment's reader of a segment feature, or ``None`` when the
        segment was written without it."""
        return self._features.get(feature)

    def _map(self, directory: IndexDirectory, ext: str) -> mmap.mmap:
        # Memory maps need no explicit close to avoid leaking: a snapshot
        # replaced while another thread still searches it is released when
        # the last reference goes.
        mapped = _map(directory.segment_path(self.segment, ext))
        self._maps.append(mapped)
        return mapped

    # -- postings ------------------------------------------------------------

    def _key(self, field: str, term: bytes) -> bytes | None:
        prefix = self._prefix.get(field)
        return None if prefix is None else prefix + term

    def postings(self, field: str, term: bytes) -> Postings | None:
        """Return the posting list of ``term`` in ``field``, or ``None``."""
        key = self._key(field, term)
        if key is None:
            return None
        value = self._lookup(key)
        if value is None:
            return None
        return self.read_postings(term_info(value), term)

    def _lookup(self, key: bytes) -> bytes | None:
        """The term table's value for ``key``: Whoosh's hash lookup (open
        addressing in one of 256 tables), read straight from the map."""
        if self._md5:  # Whoosh's md5_hash: the digest's last four bytes
            keyhash = _TAIL.unpack_from(
                hashlib.md5(key, usedforsecurity=False).digest(), 12
            )[0]
        else:
            keyhash = self._hash(key)
        start, slots = self._tables[keyhash & 255]
        if not slots:
            return None
        mapped = self._terms_map
        end = start + slots * _SLOT.size
        slot = start + (keyhash >> 8) % slots * _SLOT.size
        for _ in range(slots):
            slothash, item = _SLOT.unpack_from(mapped, slot)
            if not item:
                return None
            if slothash == keyhash:
                keylen, datalen = HASH_ITEM_LENGTHS.unpack_from(mapped, item)
                at = item + HASH_ITEM_LENGTHS.size
                if keylen == len(key) and mapped[at : at + keylen] == key:
                    return mapped[at + keylen : at + keylen + datalen]
            slot += _SLOT.size
            if slot == end:
                slot = start
        return None

    def read_postings(
        self, info: TermInfo, term: bytes, *, runs: bool = True
    ) -> Postings:
        """The posting list a term's dictionary entry (from :meth:`terms`)
        points at (``runs``: see :func:`decode_postings`)."""
        offset, length, _ = info
        data = self.record(offset, length)
        return decode_postings(data, f"{self.where}, term {term!r}", runs=runs)

    def doc_frequency(self, field: str, term: bytes) -> int:
        """Documents (deleted ones included) holding ``term`` in ``field``."""
        key = self._key(field, term)
        if key is None:
            return 0
        value = self._lookup(key)
        return 0 if value is None else term_info(value)[2]

    def terms(
        self, field: str, prefix: bytes = b""
    ) -> Iterator[tuple[bytes, TermInfo]]:
        """Yield ``(term, term info)`` in order for the terms of ``field``."""
        for term, value in self.entries(field, prefix):
            yield term, term_info(value)

    def entries(self, field: str, prefix: bytes = b"") -> Iterator[tuple[bytes, bytes]]:
        """Yield ``(term, dictionary entry)`` in order for the terms of
        ``field``; an entry is Whoosh's term info (``TERM_INFO``)."""
        start = self._key(field, prefix)
        if start is None:
            return
        head = start[:2]
        for key, value in self._terms.items_from(start):
            if key[:2] != head or not key.startswith(start):
                return
            yield key[2:], value

    def record(self, offset: int, length: int) -> bytes:
        """The bytes of a posting record (see ``_postings.py``)."""
        return self._postings[offset : offset + length]

    def facet_counts(self, field: str) -> dict[str, int]:
        """Live documents per value of a keyword field (``source``, ...)."""
        counts = {}
        for term, info in self.terms(field):
            live = int(self.live[self.read_postings(info, term).ids].sum())
            if live:
                counts[term.decode("utf-8")] = live
        return counts

    def term_count(self, field: str) -> int:
        """Number of distinct terms in ``field``."""
        return sum(1 for _ in self.terms(field))

    # -- documents -------------------------------------------------------------

    def stored(self, docnum: int) -> dict[str, Any]:
        """Return the stored article of ``docnum`` as a dict."""
        try:
            return read_stored(self.stored_blob(docnum))
        except (zlib.error, ValueError) as exc:
            raise CorruptIndexError(
                f"{self.where}: stored article {docnum} is damaged"
            ) from exc

    def stored_blob(self, docnum: int) -> bytes:
        """The compressed JSON of ``docnum``, as stored."""
        start, end = int(self._offsets[docnum]), int(self._offsets[docnum + 1])
        return self._stored_map[start:end]

    def article(self, docnum: int) -> Article:
        """Return the stored :class:`Article` of ``docnum``."""
        return article_from_stored(self.stored(docnum))

    def docnums_for_id(self, article_id: str) -> list[int]:
        """Live document numbers whose id is ``article_id``."""
        postings = self.postings("id", article_id.encode("utf-8"))
        if postings is None:
            return []
        return [d for d in postings.ids.tolist() if self.live[d]]

    def drop_pages(self) -> None:
        """Give back the memory of the file pages this process has read.

        For merges, which read each file once from start to end: the pages
        stay in the kernel's cache, and reading them again brings them back,
        but they no longer count in this process's resident memory (a merge
        of a large index otherwise holds its sources' whole files).
        """
        if _DONTNEED is None:
            return
        for mapped in self._maps:
            with contextlib.suppress(OSError, ValueError):
                mapped.madvise(_DONTNEED)

    def close(self) -> None:
        """Release the segment's files (searching it afterwards fails)."""
        for mapped in self._maps:
            mapped.close()
        self._maps = []
