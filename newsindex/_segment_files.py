"""A segment's files: their names, newsindex's own formats, and the one writer.

A segment is an immutable slice of the index. Beside Whoosh's term dictionary
(``.trm``) and newsindex's array postings (``.pst``, see ``_codec.py``), each
segment has two files of newsindex's own:

``.nxd``  per-document numbers as little-endian arrays:
          ``magic "NXd1" | n (u32) | title lengths u32[n] | body lengths u32[n]
          | published i64[n]`` (seconds since the epoch, or ``NO_DATE``).
``.nxs``  the articles as UTF-8 JSON (no pickle), one after another:
          ``magic "NXs1" | blobs... | offsets u64[n+1] | n (u32) | "NXs1"``.
          Segments written by earlier versions hold each article compressed
          with zlib; both are read (a JSON object starts with ``{``, a zlib
          stream never does). Compressing a news article of 2 KB took
          33 microseconds and reading it back 11, a twentieth of a build
          and the largest part of building a page of hits, for a file a
          little under half the size.

:class:`SegmentWriter` writes all four files of a new segment, whether its
documents come from articles (``_segment_builder.py``) or from other segments
(``_merging.py``). Deleted documents stay in a segment's files until a merge
drops them; the segment object (pickled into the table of contents) lists
them, with the checksums recorded here.
"""

from __future__ import annotations

import contextlib
import json
import struct
import zlib
from array import array
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from newsindex._article import Article
from newsindex._directory import INDEX_NAME, IndexDirectory
from newsindex._fields import KEYWORD_FIELDS, TEXT_FIELDS
from newsindex._registry import FEATURES

if TYPE_CHECKING:  # the writing path; searches never import Whoosh's codec
    from newsindex._codec import ArrayFieldWriter, NewsCodec

#: Whoosh's term dictionary and newsindex's array postings (written through
#: Whoosh's W3 codec, ``_codec.py``).
TERMS_EXT: Final = ".trm"
POSTS_EXT: Final = ".pst"
NUMBERS_EXT: Final = ".nxd"
STORED_EXT: Final = ".nxs"
#: The files of a segment that newsindex writes and checksums.
SEGMENT_FILES: Final = (TERMS_EXT, POSTS_EXT, NUMBERS_EXT, STORED_EXT)

_NXD = struct.Struct("<4sI")
_NXS_TAIL = struct.Struct("<I4s")
_NXD_MAGIC: Final = b"NXd1"
_NXS_MAGIC: Final = b"NXs1"
_LITTLE: Final = bool(np.little_endian)

#: Writes one field's posting lists: ``(field writer, field name)``.
FieldPostings = Callable[["ArrayFieldWriter", str], None]
#: Writes the segment features' files, given where each extension goes.
FeatureFiles = Callable[[Callable[[str], str]], None]


def segment_exts() -> tuple[str, ...]:
    """The extensions of the files a new segment has and checksums."""
    return (*SEGMENT_FILES, *(feature.ext for feature in FEATURES))


def stored_blob(article: Article) -> bytes:
    """An article as the ``.nxs`` file stores it: JSON."""
    text = json.dumps(article.to_dict(), ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


_DECODE: Final = json.JSONDecoder().raw_decode


def read_stored(blob: bytes) -> dict[str, Any]:
    """The article record in a stored blob.

    Raises:
        zlib.error, ValueError: the blob is damaged.
    """
    if blob[:1] != b"{":  # compressed, as earlier versions stored it
        blob = zlib.decompress(blob)
    # The decoder straight on the text: json.loads would first sniff the
    # bytes' encoding, which the format fixes (UTF-8).
    text = blob.decode("utf-8")
    record, end = _DECODE(text)
    if end != len(text) or not isinstance(record, dict):
        raise ValueError("not a JSON object")
    return record


class _FieldStub:
    """The little of a Whoosh field object that the field writer reads."""

    format = None


_FIELD_STUB = _FieldStub()


class SegmentWriter:
    """Writes a new segment: stored articles as they come, the rest at the end.

    Args:
        directory: the index directory.
        codec: the codec that writes the term dictionary and postings.
    """

    def __init__(self, directory: IndexDirectory, codec: NewsCodec) -> None:
        self._directory = directory
        self._codec = codec
        self.segment: Any = codec.new_segment(directory.storage, INDEX_NAME)
        path = directory.segment_path(self.segment, STORED_EXT)
        # Open across calls to store(); finish() or abandon() closes it.
        self._stored = open(path, "wb")  # noqa: SIM115
        self._stored.write(_NXS_MAGIC)
        self._offsets = array("Q", [len(_NXS_MAGIC)])

    @property
    def doc_count(self) -> int:
        """Documents stored so far."""
        return len(self._offsets) - 1

    def store(self, blob: bytes) -> int:
        """Append one document's stored article; return its document number."""
        docnum = self.doc_count
        self._stored.write(blob)
        self._offsets.append(self._offsets[-1] + len(blob))
        return docnum

    def finish(
        self,
        lengths: Mapping[str, np.ndarray],
        published: np.ndarray,
        postings: FieldPostings,
        features: FeatureFiles,
    ) -> Any:
        """Write the rest of the segment and return its Whoosh segment object.

        Args:
            lengths: words per document of each text field.
            published: each document's date key (see ``_article.py``).
            postings: writes a field's posting lists, called once per field
                in name order (the order of Whoosh's term dictionary).
            features: writes the segment features' files (``_features.py``).
        """
        try:
            return self._finish(lengths, published, postings, features)
        finally:
            self.abandon()

    def _finish(
        self,
        lengths: Mapping[str, np.ndarray],
        published: np.ndarray,
        postings: FieldPostings,
        features: FeatureFiles,
    ) -> Any:
        n = self.doc_count
        self._stored.write(_little(self._offsets))
        self._stored.write(_NXS_TAIL.pack(n, _NXS_MAGIC))
        self._stored.close()
        with open(self._directory.segment_path(self.segment, NUMBERS_EXT), "wb") as out:
            out.write(_NXD.pack(_NXD_MAGIC, n))
            for name in ("title", "body"):
                out.write(np.asarray(lengths[name]).astype("<u4").tobytes())
            out.write(np.asarray(published).astype("<i8").tobytes())
        writer = self._codec.field_writer(self._directory.storage, self.segment)
        try:
            for name in sorted((*TEXT_FIELDS, *KEYWORD_FIELDS)):
                writer.start_field(name, _FIELD_STUB)
                postings(writer, name)
                writer.finish_field()
        finally:
            writer.close()
        features(lambda ext: self._directory.segment_path(self.segment, ext))
        segment = self.segment
        segment.set_doc_count(n)
        segment._fieldlengths = {
            name: int(np.asarray(lengths[name]).sum(dtype=np.int64))
            for name in TEXT_FIELDS
        }
        # Recorded in the table of contents; ``check`` compares them.
        segment.newsindex_checksums = checksums(
            self._directory, segment, segment_exts()
        )
        return segment

    def abandon(self) -> None:
        """Close open files; the lock holder deletes the segment's files.

        A write error while closing (the last buffered bytes of a file on a
        full disk) is ignored: the file is discarded anyway.
        """
        with contextlib.suppress(OSError):
            self._stored.close()


def _little(values: array[int]) -> bytes:
    if _LITTLE:
        return values.tobytes()
    copy = array(values.typecode, values)
    copy.byteswap()
    return copy.tobytes()


def read_numbers(data: bytes) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The text fields' lengths and the dates of a ``.nxd`` file.

    Raises:
        ValueError: the file is not one, or is truncated.
    """
    magic, n = _NXD.unpack_from(data)
    if magic != _NXD_MAGIC or len(data) != _NXD.size + n * 16:
        raise ValueError("bad per-document numbers file")
    base = _NXD.size
    lengths = {
        "title": np.frombuffer(data, "<u4", n, base).astype(np.float32),
        "body": np.frombuffer(data, "<u4", n, base + 4 * n).astype(np.float32),
    }
    published = np.frombuffer(data, "<i8", n, base + 8 * n).astype(np.int64)
    return lengths, published


def read_stored_offsets(stored: Any) -> np.ndarray:
    """Where each document's blob starts in a ``.nxs`` file (n + 1 offsets).

    Raises:
        ValueError: the file is not one, or is truncated.
    """
    size = len(stored)
    n, magic = _NXS_TAIL.unpack_from(stored, size - _NXS_TAIL.size)
    start = size - _NXS_TAIL.size - 8 * (n + 1)
    if magic != _NXS_MAGIC or start < len(_NXS_MAGIC):
        raise ValueError("bad stored-articles file")
    offsets: np.ndarray = np.frombuffer(
        stored[start : start + 8 * (n + 1)], "<u8"
    ).astype(np.int64)
    return offsets


def checksums(
    directory: IndexDirectory, segment: Any, exts: Iterable[str] = SEGMENT_FILES
) -> dict[str, int]:
    """CRC-32 of each of a segment's files (missing files are left out)."""
    found = {}
    for ext in exts:
        crc = 0
        try:
            with open(directory.segment_path(segment, ext), "rb") as handle:
                while chunk := handle.read(1 << 20):
                    crc = zlib.crc32(chunk, crc)
        except FileNotFoundError:
            continue
        found[ext] = crc
    return found
