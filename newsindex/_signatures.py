"""A fingerprint of each article's text, a segment feature: MinHash of word
shingles, for finding near-copies (syndicated stories) at query time.

An article's *shingles* are the runs of :data:`SHINGLE_WORDS` consecutive
words of its body (lower case, ASCII punctuation dropped). Two articles are
near-copies when most of their shingles are shared: the Jaccard similarity
of the two sets is high. A wire story republished under another headline,
with a sentence cut or a paragraph moved, keeps most of its shingles; two
articles about the same event written apart share few.

The *signature* estimates that similarity cheaply: :data:`SIGNATURE_SIZE`
independent hash functions, each keeping the smallest hash of the article's
shingles (MinHash: for one function, two sets have the same minimum with
probability equal to their Jaccard similarity). The share of equal positions
of two signatures estimates their similarity; 64 positions give a standard
error of 0.05 at 0.8. Each position keeps 16 bits (two unrelated minima are
equal by chance once in 65,536), so a signature is 128 bytes, and four
consecutive positions read as one 64-bit number form an LSH *band*: articles
whose bands are all different are not compared at all (``_duplicates.py``).

Signatures depend on the text only, not on the analyzer (no stemming: a copy
is the same words), and are computed when an article is added, in whichever
process analyses it. Articles with fewer than :data:`MIN_SHINGLES` shingles
(a title with no body, a one-line item) get no signature and are never
collapsed: short texts look alike without being copies.

The ``.nxm`` file: a 16-byte header (``NXMH``, format version, positions,
documents) and then every document's 16-bit positions, little-endian, read
back memory-mapped.
"""

from __future__ import annotations

import functools
import hashlib
import mmap
import struct
import zlib
from collections.abc import Callable
from typing import Any, ClassVar, Final

import numpy as np

from newsindex._analysis import Analyzer
from newsindex._article import Article
from newsindex._kernels import speedups
from newsindex._segment_text import SegmentText
from newsindex._values import Value

#: Hash positions of a signature.
SIGNATURE_SIZE: Final = 64
#: Positions in one LSH band (one 64-bit number of 16-bit positions).
BAND_SIZE: Final = 4
#: Words in a shingle.
SHINGLE_WORDS: Final = 3
#: Fewer shingles than this: no signature (see the module docstring).
MIN_SHINGLES: Final = 8
#: Shingles hashed at once: the temporary array stays at 128 KB, whatever
#: the length of the article.
_CHUNK: Final = 256

_HEADER = struct.Struct("<4sHHQ")
_MAGIC: Final = b"NXMH"
_VERSION: Final = 1
#: Bytes that separate words: ASCII punctuation, symbols and space. (Splitting
#: UTF-8 bytes is three times faster than a regular expression; letters
#: beyond ASCII are bytes of 128 and up, and stay inside their words.)
_SEPARATORS: Final = bytes(
    32 if not chr(byte).isalnum() and byte < 128 else byte for byte in range(256)
)
#: The signature of an article without one (no real signature has its first
#: band at the maximum: each position is the least of many hashes).
NO_SIGNATURE: Final = np.full(SIGNATURE_SIZE, 0xFFFF, dtype="<u2")
NO_SIGNATURE.flags.writeable = False
#: The band value of a document without a signature.
NO_BAND: Final = 0xFFFF_FFFF_FFFF_FFFF


def _digest(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


@functools.cache
def _hash_functions() -> tuple[np.ndarray, np.ndarray]:
    """The multipliers (odd) and increments of the MinHash functions, fixed
    for ever (derived from their names, not from a random generator whose
    stream could change): signatures written by any version must stay
    comparable."""
    values = [_digest(b"newsindex minhash %d" % i) for i in range(2 * SIGNATURE_SIZE)]
    multipliers = np.array(values[:SIGNATURE_SIZE], dtype=np.uint64) | np.uint64(1)
    return multipliers, np.array(values[SIGNATURE_SIZE:], dtype=np.uint64)


_MIX: Final = (
    np.uint64(0x9E3779B97F4A7C15),
    np.uint64(0xC2B2AE3D27D4EB4F),
    np.uint64(0x165667B19E3779F9),
    np.uint64(0xFF51AFD7ED558CCD),
)


def words_of(text: str) -> list[bytes]:
    """The words shingles are made of: lower case, UTF-8, split at ASCII
    punctuation and spaces."""
    return _words_bytes(text).split()


def shingle_hashes(text: str) -> np.ndarray:
    """One 64-bit hash per shingle of ``text`` (repeats included)."""
    words = words_of(text)
    if len(words) < SHINGLE_WORDS:
        return np.empty(0, dtype=np.uint64)
    # CRC-32 of each word: the same in every process (unlike hash()), and
    # three times faster than looking words up in a table of better hashes.
    crc = np.fromiter(map(zlib.crc32, words), dtype=np.uint64, count=len(words))
    # The three words' codes, each times its own odd constant (wrapping),
    # summed, then finished like MurmurHash3 so that every bit counts.
    n = len(words) - SHINGLE_WORDS + 1
    shingles: np.ndarray = (
        crc[:n] * _MIX[0] + crc[1 : n + 1] * _MIX[1] + crc[2:] * _MIX[2]
    )
    shingles ^= shingles >> np.uint64(33)
    shingles *= _MIX[3]
    shingles ^= shingles >> np.uint64(33)
    return shingles


def signature_of(text: str) -> np.ndarray:
    """The MinHash signature of ``text`` (16-bit positions), or
    :data:`NO_SIGNATURE` when it has too few shingles."""
    if speedups is None:
        return signature_of_python(text)
    return signature_with(speedups.minhash, text)


def signature_with(
    minhash: Callable[[bytes, bytes, bytes, int], bytes | None], text: str
) -> np.ndarray:
    """:func:`signature_of` through a compiled ``minhash`` (``_speedups``,
    see ``_kernels.py``), which takes the words' bytes whole."""
    found = minhash(_words_bytes(text), *_hash_bytes(), MIN_SHINGLES)
    if found is None:
        return NO_SIGNATURE
    return np.frombuffer(found, dtype="<u2")


def _words_bytes(text: str) -> bytes:
    """The bytes :func:`words_of` splits: words between spaces."""
    return text.lower().encode("utf-8").translate(_SEPARATORS)


@functools.cache
def _hash_bytes() -> tuple[bytes, bytes]:
    multipliers, increments = _hash_functions()
    return multipliers.tobytes(), increments.tobytes()


def signature_of_python(text: str) -> np.ndarray:
    """:func:`signature_of` in Python and numpy, the reference for the
    compiled ``_speedups.minhash``."""
    shingles = shingle_hashes(text)
    if len(shingles) < MIN_SHINGLES:
        return NO_SIGNATURE
    multipliers, increments = _hash_functions()
    # Multiply-add: the order of a*x + b (mod 2**64), decided by its top
    # bits, is a universal hash of x. Chunks bound the memory of a long text.
    lowest = [
        (shingles[start : start + _CHUNK, None] * multipliers + increments).min(axis=0)
        for start in range(0, len(shingles), _CHUNK)
    ]
    least: np.ndarray = lowest[0] if len(lowest) == 1 else np.min(lowest, axis=0)
    # Keep 16 bits from the middle: the minimum of many hashes is small, so
    # its top bits are mostly zero, while these are still evenly spread
    # (b-bit MinHash).
    return ((least >> np.uint64(24)) & np.uint64(0xFFFF)).astype("<u2")


def article_signature(article: Article) -> np.ndarray:
    """The signature of an article: of its body, or of its title and body
    together when the body alone is too short."""
    found = signature_of(article.body)
    if found is NO_SIGNATURE and article.title:
        found = signature_of(f"{article.title}\n{article.body}")
    return found


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of signatures ``a`` and ``b`` (rows of
    the last axis; broadcast), 0 where either has none."""
    equal: np.ndarray = (a == b).mean(axis=-1)
    has = ~(_missing(a) | _missing(b))
    out: np.ndarray = np.where(has, equal, 0.0)
    return out


def _missing(signatures: np.ndarray) -> np.ndarray:
    missing: np.ndarray = (signatures[..., :BAND_SIZE] == 0xFFFF).all(axis=-1)
    return missing


class SignatureTable(Value):
    """The signatures of one segment's documents, memory-mapped.

    Attributes:
        values: ``(documents, SIGNATURE_SIZE)`` 16-bit positions.
    """

    __slots__ = ("values",)
    values: np.ndarray

    def __init__(self, values: np.ndarray) -> None:
        self._set(values)

    def bands(self, docnums: np.ndarray, count: int) -> np.ndarray:
        """The first ``count`` LSH bands of ``docnums`` as 64-bit numbers,
        ``(len(docnums), count)``; a document without a signature has
        :data:`NO_BAND` in every band."""
        wide: np.ndarray = self.values.view("<u8")
        picked: np.ndarray = wide[docnums, :count]
        return picked


def _write(path: str, values: np.ndarray) -> None:
    header = _HEADER.pack(_MAGIC, _VERSION, SIGNATURE_SIZE, len(values))
    with open(path, "wb") as out:
        out.write(header)
        out.write(np.ascontiguousarray(values, dtype="<u2").tobytes())


class Signatures:
    """Segment feature: each document's MinHash signature (see the module
    docstring)."""

    ext: ClassVar[str] = ".nxm"

    def __init__(self, analyzer: Analyzer) -> None:
        self._rows: list[np.ndarray] = []

    def prepare(self, article: Article) -> np.ndarray:
        return article_signature(article)

    def append(self, prepared: np.ndarray, docnum: int) -> None:
        self._rows.append(prepared)

    def write(self, path: str, doc_count: int, text: SegmentText) -> None:
        values = np.empty((doc_count, SIGNATURE_SIZE), dtype="<u2")
        values[:] = NO_SIGNATURE
        if self._rows:
            values[: len(self._rows)] = np.stack(self._rows)
        _write(path, values)

    @classmethod
    def merge(cls, sources: list[tuple[Any, np.ndarray]], path: str) -> None:
        # Live documents keep their rows, in the merged order; documents of
        # a segment written before signatures existed get none.
        size = sum(int((docmap >= 0).sum()) for _, docmap in sources)
        values = np.empty((size, SIGNATURE_SIZE), dtype="<u2")
        for table, docmap in sources:
            kept = np.flatnonzero(docmap >= 0)
            if table is None:
                values[docmap[kept]] = NO_SIGNATURE
            else:
                values[docmap[kept]] = table.values[kept]
        _write(path, values)

    @classmethod
    def read(cls, path: str, doc_count_all: int) -> SignatureTable:
        with open(path, "rb") as handle:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        if len(mapped) < _HEADER.size:
            raise ValueError("signature file is truncated")
        magic, version, size, count = _HEADER.unpack_from(mapped)
        if magic != _MAGIC or size != SIGNATURE_SIZE:
            raise ValueError("not a signature file")
        if version != _VERSION:
            raise ValueError(f"signature file format {version} is not supported")
        if count != doc_count_all or len(mapped) != _HEADER.size + 2 * size * count:
            raise ValueError("signature file has the wrong size")
        values = np.frombuffer(mapped, "<u2", size * count, _HEADER.size)
        return SignatureTable(values.reshape(count, size))
