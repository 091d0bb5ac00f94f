"""Segments: building one from articles, reading one, merging several.

A segment is an immutable slice of the index. Beside Whoosh's term dictionary
(``.trm``) and newsindex's array postings (``.pst``, see :mod:`._codec`), each
segment has two files of newsindex's own:

``.nxd``  per-document numbers as little-endian arrays:
          ``magic "NXd1" | n (u32) | title lengths u32[n] | body lengths u32[n]
          | published i64[n]`` (seconds since the epoch, or ``NO_DATE``).
``.nxs``  the articles as JSON (no pickle), each compressed on its own so
          that one can be read without the others:
          ``magic "NXs1" | blobs... | offsets u64[n+1] | n (u32) | "NXs1"``.

Deleted documents stay in a segment's files until a merge drops them; the
segment object (pickled into Whoosh's table of contents) lists them.
"""

from __future__ import annotations

import heapq
import json
import mmap
import os
import struct
import zlib
from array import array
from collections.abc import Iterable, Iterator
from typing import Any, Final

import attrs
import numpy as np
from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.filedb.filetables import OrderedHashReader
from whoosh.filedb.structfile import StructFile

from newsindex._analysis import Analyzer
from newsindex._article import Article, published_timestamp
from newsindex._codec import (
    HAS_POSITIONS,
    HAS_STARTS,
    HAS_TFS,
    MAX_TF,
    SHORT_POSITIONS,
    NewsCodec,
    Postings,
    decode_postings,
    record_header,
)
from newsindex.errors import CorruptIndexError
from newsindex.schema import (
    INDEX_NAME,
    NO_DATE,
    TEXT_FIELDS,
    facet_key,
    restricted_loads,
)

__all__ = ["SegmentBuilder", "SegmentData", "merge_segments"]

KEYWORD_FIELDS: Final = ("category", "id", "source")
_NXD = struct.Struct("<4sI")
_NXS_TAIL = struct.Struct("<I4s")
_NXD_MAGIC: Final = b"NXd1"
_NXS_MAGIC: Final = b"NXs1"
_COMPRESSION: Final = 1


@attrs.frozen
class _Prepared:
    """An article analysed and encoded, ready to append to a segment."""

    id: str
    tokens: tuple[array[int], ...]  # term ids per text field
    starts: tuple[array[int], ...]  # character offset of each token
    facets: tuple[str, str]  # source and category keys
    published: int
    blob: bytes


class _Vocabulary(dict[str, int]):
    """Term -> dense id, assigning the next id to unseen terms."""

    def __missing__(self, term: str) -> int:
        tid = self[term] = len(self)
        return tid


def _json_bytes(article: Article) -> bytes:
    text = json.dumps(article.to_dict(), ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(text.encode("utf-8"), _COMPRESSION)


def _sorted_vocabulary(terms: list[str]) -> tuple[list[str], np.ndarray]:
    """The terms in byte order, and rank[id] = position of terms[id] in it.

    (UTF-8 byte order is code point order, which is Python's str order.)
    """
    order = sorted(range(len(terms)), key=terms.__getitem__)
    ranks = np.empty(len(terms), dtype=np.int32)
    ranks[np.asarray(order, dtype=np.int64)] = np.arange(len(terms), dtype=np.int32)
    return [terms[i] for i in order], ranks


class SegmentBuilder:
    """Accumulates articles in memory and writes them as one new segment.

    Analysis happens in :meth:`add`; postings are grouped with numpy in
    :meth:`finish`, so the per-word cost of building is a cache lookup and an
    array append.

    Args:
        storage: Whoosh ``FileStorage`` of the index directory.
        analyzer: the index's analyzer.
        codec: the codec new segments are written with.
    """

    def __init__(self, storage: Any, analyzer: Analyzer, codec: NewsCodec) -> None:
        self._storage = storage
        self._analyzer = analyzer
        self._codec = codec
        self.segment = codec.new_segment(storage, INDEX_NAME)
        self._vocab = _Vocabulary()
        self._tokens = {name: array("I") for name in TEXT_FIELDS}
        self._starts = {name: array("I") for name in TEXT_FIELDS}
        self._lengths = {name: array("I") for name in TEXT_FIELDS}
        self._keywords: dict[str, list[tuple[str, int]]] = {
            k: [] for k in KEYWORD_FIELDS
        }
        self._published = array("q")
        self._stored = segment_file(storage, self.segment, ".nxs", "wb")
        self._stored.write(_NXS_MAGIC)
        self._offsets = array("Q", [len(_NXS_MAGIC)])
        self.doc_count = 0

    @property
    def token_count(self) -> int:
        """Tokens held in memory, the measure used to decide when to flush."""
        return sum(len(t) for t in self._tokens.values())

    def prepare(self, article: Article) -> _Prepared:
        """Analyse and encode ``article`` without changing the segment.

        Everything that can fail on bad input fails here, so that a failed
        article leaves no trace (see :meth:`append`).
        """
        vocab = self._vocab.__getitem__
        analyze = self._analyzer.terms_and_starts
        tokens, starts = [], []
        for name in TEXT_FIELDS:
            terms, offsets = analyze(getattr(article, name))
            tokens.append(array("I", map(vocab, terms)))
            starts.append(array("I", offsets))
        facets = (facet_key(article.source), facet_key(article.category))
        ts = published_timestamp(article.published)
        return _Prepared(
            article.id,
            tuple(tokens),
            tuple(starts),
            facets,
            NO_DATE if ts is None else int(ts),
            _json_bytes(article),
        )

    def append(self, prepared: _Prepared) -> int:
        """Add a prepared article; return its document number."""
        docnum = self.doc_count
        for name, tokens, starts in zip(
            TEXT_FIELDS, prepared.tokens, prepared.starts, strict=True
        ):
            self._tokens[name].extend(tokens)
            self._starts[name].extend(starts)
            self._lengths[name].append(len(tokens))
        self._keywords["id"].append((prepared.id, docnum))
        for name, key in zip(("source", "category"), prepared.facets, strict=True):
            if key:
                self._keywords[name].append((key, docnum))
        self._published.append(prepared.published)
        self._stored.write(prepared.blob)
        self._offsets.append(self._offsets[-1] + len(prepared.blob))
        self.doc_count += 1
        return docnum

    def add(self, article: Article) -> int:
        """Analyse and buffer one article; return its document number."""
        return self.append(self.prepare(article))

    def finish(self) -> Any:
        """Write the segment's files and return the Whoosh segment object."""
        self._finish_stored()
        self._write_numbers()
        writer = self._codec.field_writer(self._storage, self.segment)
        try:
            lengths = {
                name: np.frombuffer(self._lengths[name], dtype=np.uint32)
                for name in TEXT_FIELDS
            }
            terms, ranks = _sorted_vocabulary(list(self._vocab))
            for name in sorted((*TEXT_FIELDS, *KEYWORD_FIELDS)):
                writer.start_field(name, _FIELD_STUB)
                if name in TEXT_FIELDS:
                    _write_text_field(
                        writer,
                        np.frombuffer(self._tokens[name], dtype=np.uint32),
                        np.frombuffer(self._starts[name], dtype=np.uint32),
                        lengths[name],
                        ranks,
                        terms,
                    )
                else:
                    _write_keyword_field(writer, self._keywords[name])
                writer.finish_field()
        finally:
            writer.close()
        self.segment.set_doc_count(self.doc_count)
        self.segment._fieldlengths = {
            name: int(lengths[name].sum(dtype=np.int64)) for name in TEXT_FIELDS
        }
        # Recorded in the table of contents; ``check`` compares them.
        self.segment.newsindex_checksums = checksums(self._storage.folder, self.segment)
        return self.segment

    def abandon(self) -> None:
        """Close open files; the caller deletes the segment's files."""
        if not self._stored.closed:
            self._stored.close()

    def _finish_stored(self) -> None:
        out = self._stored
        out.write(self._offsets.tobytes() if _LITTLE else _swapped(self._offsets))
        out.write(_NXS_TAIL.pack(self.doc_count, _NXS_MAGIC))
        out.close()

    def _write_numbers(self) -> None:
        with segment_file(self._storage, self.segment, ".nxd", "wb") as out:
            out.write(_NXD.pack(_NXD_MAGIC, self.doc_count))
            for name in ("title", "body"):
                out.write(
                    np.frombuffer(self._lengths[name], np.uint32)
                    .astype("<u4")
                    .tobytes()
                )
            out.write(np.frombuffer(self._published, np.int64).astype("<i8").tobytes())


_LITTLE = np.little_endian


def _swapped(values: array[int]) -> bytes:
    copy = array(values.typecode, values)
    copy.byteswap()
    return copy.tobytes()


class _FieldStub:
    """The little of a Whoosh field object that the field writer reads."""

    format = None


_FIELD_STUB = _FieldStub()


def _write_text_field(
    writer: Any,
    tids: np.ndarray,
    char_starts: np.ndarray,
    counts: np.ndarray,
    ranks: np.ndarray,
    terms: list[str],
) -> None:
    """Group a field's token stream into posting lists and write them."""
    if not len(tids):
        return
    # 32-bit throughout (a segment holds far fewer than 2**31 tokens), and
    # each temporary freed once used: this is the builder's memory peak.
    order = np.argsort(ranks[tids], kind="stable").astype(np.int32)
    r = ranks[tids[order]]
    docs = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
    d = docs[order]
    del docs
    starts = (np.cumsum(counts, dtype=np.int64) - counts).astype(np.int32)
    pos = np.arange(len(tids), dtype=np.int32)
    pos -= np.repeat(starts, counts)
    p = pos[order]
    c = char_starts[order]
    del pos, order

    post_starts, tfs = _boundaries(r, d)
    if int(tfs.max()) > MAX_TF:
        # Keep the first MAX_TF occurrences of a word in a document.
        within = np.arange(len(r)) - np.repeat(post_starts, tfs)
        keep = within < MAX_TF
        r, d, p, c = r[keep], d[keep], p[keep], c[keep]
        post_starts, tfs = _boundaries(r, d)

    post_docs = d[post_starts]
    post_ranks = r[post_starts]
    term_starts = np.flatnonzero(np.r_[True, post_ranks[1:] != post_ranks[:-1]])
    term_ends = np.r_[term_starts[1:], len(post_ranks)]
    tok_starts = post_starts[term_starts]
    tok_ends = np.r_[tok_starts[1:], len(r)]
    # Per-term statistics for Whoosh's term info, all at once.
    post_lengths = counts[post_docs]
    weights = np.add.reduceat(tfs, term_starts).tolist()
    max_tfs = np.maximum.reduceat(tfs, term_starts).tolist()
    min_lengths = np.minimum.reduceat(post_lengths, term_starts).tolist()
    max_lengths = np.maximum.reduceat(post_lengths, term_starts).tolist()
    min_ids = post_docs[term_starts].tolist()
    max_ids = post_docs[term_ends - 1].tolist()

    short = int(p.max()) <= 0xFFFF
    flags = HAS_TFS | HAS_POSITIONS | HAS_STARTS | (SHORT_POSITIONS if short else 0)
    pos_size = 2 if short else 4
    ids_buf = memoryview(post_docs.astype("<u4").tobytes())
    tfs_buf = memoryview(tfs.astype("<u2").tobytes())
    pos_buf = memoryview(p.astype("<u2" if short else "<u4").tobytes())
    start_buf = memoryview(c.astype("<u4").tobytes())
    add = writer.add_record
    join = b"".join
    for k, (rank, a, b, ta, tb) in enumerate(
        zip(
            post_ranks[term_starts].tolist(),
            term_starts.tolist(),
            term_ends.tolist(),
            tok_starts.tolist(),
            tok_ends.tolist(),
            strict=True,
        )
    ):
        record = join(
            (
                record_header(b - a, flags),
                ids_buf[4 * a : 4 * b],
                tfs_buf[2 * a : 2 * b],
                pos_buf[pos_size * ta : pos_size * tb],
                start_buf[4 * ta : 4 * tb],
            )
        )
        add(
            terms[rank].encode("utf-8"),
            record,
            df=b - a,
            weight=float(weights[k]),
            max_tf=float(max_tfs[k]),
            min_id=min_ids[k],
            max_id=max_ids[k],
            min_length=min_lengths[k],
            max_length=max_lengths[k],
        )


def _boundaries(r: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and length of each (term, document) run."""
    new = np.empty(len(r), dtype=bool)
    new[0] = True
    new[1:] = (r[1:] != r[:-1]) | (d[1:] != d[:-1])
    starts = np.flatnonzero(new)
    lengths = np.diff(np.r_[starts, len(r)])
    return starts, lengths


def _write_keyword_field(writer: Any, pairs: list[tuple[str, int]]) -> None:
    pairs.sort()
    i = 0
    while i < len(pairs):
        key = pairs[i][0]
        j = i
        while j < len(pairs) and pairs[j][0] == key:
            j += 1
        ids = np.fromiter((doc for _, doc in pairs[i:j]), dtype=np.uint32, count=j - i)
        writer.add_postings_arrays(key.encode("utf-8"), ids, None, None, None, None)
        i = j


def segment_file(storage: Any, segment: Any, ext: str, mode: str) -> Any:
    """Open one of a segment's files directly (newsindex's own files)."""
    return open(os.path.join(storage.folder, segment.make_filename(ext)), mode)


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


#: The files of a segment that newsindex writes and checksums.
SEGMENT_FILES: Final = (NewsCodec.TERMS_EXT, NewsCodec.POSTS_EXT, ".nxd", ".nxs")


def checksums(
    folder: str, segment: Any, exts: Iterable[str] = SEGMENT_FILES
) -> dict[str, int]:
    """CRC-32 of each of a segment's files (missing files are left out)."""
    found = {}
    for ext in exts:
        crc = 0
        try:
            with open(os.path.join(folder, segment.make_filename(ext)), "rb") as handle:
                while chunk := handle.read(1 << 20):
                    crc = zlib.crc32(chunk, crc)
        except FileNotFoundError:
            continue
        found[ext] = crc
    return found


class SegmentData:
    """Read access to one segment: postings, numbers, stored articles.

    Thread-safe: every read after construction slices a memory map.

    Raises:
        CorruptIndexError: a file is missing, truncated or not ours.
    """

    def __init__(self, storage: Any, segment: Any) -> None:
        self.segment = segment
        self.name = segment.segment_id()
        folder = storage.folder
        #: How errors name this segment: with its index, for the operator.
        self.where = f"the index at {folder}, segment {self.name}"
        self._maps: list[mmap.mmap] = []
        try:
            terms_map = self._map(folder, NewsCodec.TERMS_EXT)
            self._terms = OrderedHashReader(
                _MappedFile(terms_map, self.name), len(terms_map)
            )
            self._fieldmap: dict[str, int] = self._terms.extras["fieldmap"]
            self._postings = self._map(folder, NewsCodec.POSTS_EXT)
            self._stored_map = self._map(folder, ".nxs")
            self._read_numbers(folder)
            self._read_stored_offsets()
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

    def _map(self, folder: str, ext: str) -> mmap.mmap:
        # Memory maps need no explicit close to avoid leaking: a snapshot
        # replaced while another thread still searches it is released when
        # the last reference goes.
        mapped = _map(os.path.join(folder, self.segment.make_filename(ext)))
        self._maps.append(mapped)
        return mapped

    def _read_numbers(self, folder: str) -> None:
        path = os.path.join(folder, self.segment.make_filename(".nxd"))
        with open(path, "rb") as handle:
            data = handle.read()
        magic, n = _NXD.unpack_from(data)
        if magic != _NXD_MAGIC or len(data) != _NXD.size + n * 16:
            raise ValueError("bad per-document numbers file")
        base = _NXD.size
        self.lengths = {
            "title": np.frombuffer(data, "<u4", n, base).astype(np.float32),
            "body": np.frombuffer(data, "<u4", n, base + 4 * n).astype(np.float32),
        }
        self.published = np.frombuffer(data, "<i8", n, base + 8 * n).astype(np.int64)

    def _read_stored_offsets(self) -> None:
        stored = self._stored_map
        size = len(stored)
        n, magic = _NXS_TAIL.unpack_from(stored, size - _NXS_TAIL.size)
        start = size - _NXS_TAIL.size - 8 * (n + 1)
        if magic != _NXS_MAGIC or start < len(_NXS_MAGIC):
            raise ValueError("bad stored-articles file")
        self._offsets = np.frombuffer(
            stored[start : start + 8 * (n + 1)], "<u8"
        ).astype(np.int64)

    # -- postings ------------------------------------------------------------

    def _key(self, field: str, term: bytes) -> bytes | None:
        fieldid = self._fieldmap.get(field)
        if fieldid is None:
            return None
        return struct.pack(">H", fieldid) + term

    def postings(self, field: str, term: bytes) -> Postings | None:
        """Return the posting list of ``term`` in ``field``, or ``None``."""
        key = self._key(field, term)
        if key is None:
            return None
        value = self._terms.get(key)
        if value is None:
            return None
        return self._read_postings(W3TermInfo.from_bytes(value), term)

    def _read_postings(self, info: Any, term: bytes) -> Postings:
        offset, length = info.extent()
        if isinstance(length, tuple):  # whoosh3 3.54 decodes it as a 1-tuple
            (length,) = length
        data = self._postings[offset : offset + length]
        return decode_postings(data, f"{self.where}, term {term!r}")

    def doc_frequency(self, field: str, term: bytes) -> int:
        """Documents (deleted ones included) holding ``term`` in ``field``."""
        key = self._key(field, term)
        if key is None:
            return 0
        value = self._terms.get(key)
        return 0 if value is None else int(W3TermInfo.from_bytes(value).doc_frequency())

    def terms(self, field: str, prefix: bytes = b"") -> Iterator[tuple[bytes, Any]]:
        """Yield ``(term, terminfo)`` in order for the terms of ``field``."""
        start = self._key(field, prefix)
        if start is None:
            return
        head = start[:2]
        for key, value in self._terms.items_from(start):
            if key[:2] != head or not key.startswith(start):
                return
            yield key[2:], W3TermInfo.from_bytes(value)

    def facet_counts(self, field: str) -> dict[str, int]:
        """Live documents per value of a keyword field (``source``, ...)."""
        counts = {}
        for term, info in self.terms(field):
            live = int(self.live[self._read_postings(info, term).ids].sum())
            if live:
                counts[term.decode("utf-8")] = live
        return counts

    def term_count(self, field: str) -> int:
        """Number of distinct terms in ``field``."""
        return sum(1 for _ in self.terms(field))

    # -- documents -------------------------------------------------------------

    def stored(self, docnum: int) -> dict[str, Any]:
        """Return the stored article of ``docnum`` as a dict."""
        blob = self.stored_blob(docnum)
        try:
            record: dict[str, Any] = json.loads(zlib.decompress(blob))
        except (zlib.error, ValueError) as exc:
            raise CorruptIndexError(
                f"{self.where}: stored article {docnum} is damaged"
            ) from exc
        return record

    def stored_blob(self, docnum: int) -> bytes:
        """The compressed JSON of ``docnum``, as stored."""
        start, end = int(self._offsets[docnum]), int(self._offsets[docnum + 1])
        return self._stored_map[start:end]

    def article(self, docnum: int) -> Article:
        """Return the stored :class:`Article` of ``docnum``."""
        return Article._from_stored(self.stored(docnum))

    def docnums_for_id(self, article_id: str) -> list[int]:
        """Live document numbers whose id is ``article_id``."""
        postings = self.postings("id", article_id.encode("utf-8"))
        if postings is None:
            return []
        return [d for d in postings.ids.tolist() if self.live[d]]

    def close(self) -> None:
        """Release the segment's files (searching it afterwards fails)."""
        for mapped in self._maps:
            mapped.close()
        self._maps = []


# -- merging -------------------------------------------------------------------


def merge_segments(
    storage: Any, codec: NewsCodec, sources: list[SegmentData]
) -> Any | None:
    """Write the live documents of ``sources`` as one new segment.

    Returns the new Whoosh segment object, or ``None`` when no document is
    live (the sources can simply be dropped).
    """
    maps = []
    base = 0
    for seg in sources:
        docmap = np.full(seg.doc_count_all, -1, dtype=np.int64)
        live = np.flatnonzero(seg.live)
        docmap[live] = np.arange(base, base + len(live))
        base += len(live)
        maps.append(docmap)
    total = base
    if total == 0:
        return None
    segment = codec.new_segment(storage, INDEX_NAME)
    _merge_documents(storage, segment, sources, total)
    writer = codec.field_writer(storage, segment)
    try:
        lengths = {
            name: np.concatenate([s.lengths[name][s.live] for s in sources]).astype(
                np.uint32
            )
            for name in TEXT_FIELDS
        }
        for name in sorted((*TEXT_FIELDS, *KEYWORD_FIELDS)):
            writer.start_field(name, _FIELD_STUB)
            _merge_field(writer, name, sources, maps, lengths.get(name))
            writer.finish_field()
    finally:
        writer.close()
    segment.set_doc_count(total)
    segment._fieldlengths = {
        name: int(lengths[name].sum(dtype=np.int64)) for name in TEXT_FIELDS
    }
    segment.newsindex_checksums = checksums(storage.folder, segment)
    return segment


def _merge_documents(
    storage: Any, segment: Any, sources: list[SegmentData], total: int
) -> None:
    offsets = array("Q", [len(_NXS_MAGIC)])
    with segment_file(storage, segment, ".nxs", "wb") as out:
        out.write(_NXS_MAGIC)
        for seg in sources:
            for docnum in np.flatnonzero(seg.live).tolist():
                blob = seg.stored_blob(docnum)
                out.write(blob)
                offsets.append(offsets[-1] + len(blob))
        out.write(offsets.tobytes() if _LITTLE else _swapped(offsets))
        out.write(_NXS_TAIL.pack(total, _NXS_MAGIC))
    with segment_file(storage, segment, ".nxd", "wb") as out:
        out.write(_NXD.pack(_NXD_MAGIC, total))
        for name in ("title", "body"):
            merged = np.concatenate([s.lengths[name][s.live] for s in sources])
            out.write(merged.astype("<u4").tobytes())
        dates = np.concatenate([s.published[s.live] for s in sources])
        out.write(dates.astype("<i8").tobytes())


def _merge_field(
    writer: Any,
    field: str,
    sources: list[SegmentData],
    maps: list[np.ndarray],
    lengths: np.ndarray | None,
) -> None:
    streams = [_tagged_terms(seg, field, i) for i, seg in enumerate(sources)]
    current: bytes | None = None
    parts: list[tuple[int, Any]] = []
    for term, i, info in heapq.merge(*streams, key=lambda item: item[0]):
        if term != current:
            if current is not None:
                _write_merged(writer, current, parts, sources, maps, lengths)
            current, parts = term, []
        parts.append((i, info))
    if current is not None:
        _write_merged(writer, current, parts, sources, maps, lengths)


def _tagged_terms(
    seg: SegmentData, field: str, tag: int
) -> Iterator[tuple[bytes, int, Any]]:
    # A function, not a generator expression in a loop: the tag must be bound
    # when the stream is made, not when it is read.
    for term, info in seg.terms(field):
        yield term, tag, info


def _write_merged(
    writer: Any,
    term: bytes,
    parts: Iterable[tuple[int, Any]],
    sources: list[SegmentData],
    maps: list[np.ndarray],
    lengths: np.ndarray | None,
) -> None:
    ids_out, tfs_out, pos_out, starts_out = [], [], [], []
    has_tfs = has_pos = False
    for i, info in parts:
        postings = sources[i]._read_postings(info, term)
        new_ids = maps[i][postings.ids]
        keep = new_ids >= 0
        if not keep.any():
            continue
        ids_out.append(new_ids[keep])
        tfs_out.append(postings.tfs[keep])
        has_tfs = has_tfs or bool((postings.tfs != 1).any())
        if postings.positions is not None:
            has_pos = True
            occurrences = np.repeat(keep, postings.tfs)
            pos_out.append(postings.positions[occurrences])
            if postings.starts is not None:
                starts_out.append(postings.starts[occurrences])
    if not ids_out:
        return
    ids = np.concatenate(ids_out).astype(np.uint32)
    tfs = np.concatenate(tfs_out).astype(np.uint16) if (has_tfs or has_pos) else None
    positions = np.concatenate(pos_out) if has_pos else None
    # Offsets survive a merge only if every source had them.
    starts = (
        np.concatenate(starts_out)
        if has_pos and len(starts_out) == len(pos_out)
        else None
    )
    doc_lengths = lengths[ids] if lengths is not None else None
    writer.add_postings_arrays(term, ids, tfs, positions, starts, doc_lengths)
