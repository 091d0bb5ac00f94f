"""Building a new segment from articles.

Adding an article (:meth:`SegmentBuilder.prepare` and
:meth:`~SegmentBuilder.append`) splits its text into chunks and keeps their
ids (``_segment_text.py``): the per-word cost of building is a dictionary
lookup and an array append. Token streams are expanded from the chunks and
grouped into posting lists with numpy once, when the segment is finished.
The files are written by ``_segment_files.py``.
"""

from __future__ import annotations

import contextlib
import itertools
from array import array
from collections.abc import Callable
from typing import Any, Final

import attrs
import numpy as np

from newsindex._analysis import Analyzer
from newsindex._article import Article, published_timestamp
from newsindex._codec import ArrayFieldWriter, NewsCodec, TermStats
from newsindex._directory import IndexDirectory
from newsindex._fields import KEYWORD_FIELDS, NO_DATE, TEXT_FIELDS, facet_key
from newsindex._postings import (
    HAS_POSITIONS,
    HAS_STARTS,
    HAS_TFS,
    MAX_TF,
    SHORT_POSITIONS,
    encode_postings,
    record_header,
)
from newsindex._registry import FEATURES
from newsindex._segment_files import SegmentWriter, stored_blob
from newsindex._segment_text import ChunkTable, FieldChunks, SegmentText


@attrs.frozen
class PreparedArticle:
    """An article analysed and encoded, ready to append to a segment."""

    id: str
    chunks: tuple[bytes, ...]  # chunk ids per text field (native uint32)
    starts: tuple[bytes, ...]  # character offset of each chunk (native uint32)
    facets: tuple[str, str]  # source and category keys
    published: int
    blob: bytes
    features: tuple[Any, ...]  # what each segment feature keeps of it


class _Vocabulary(dict[str, int]):
    """Term -> dense id, assigning the next id to unseen terms."""

    def __missing__(self, term: str) -> int:
        tid = self[term] = len(self)
        return tid


def _sorted_vocabulary(terms: list[str]) -> tuple[list[str], np.ndarray]:
    """The terms in byte order, and rank[id] = position of terms[id] in it.

    (UTF-8 byte order is code point order, which is Python's str order.)
    """
    order = sorted(range(len(terms)), key=terms.__getitem__)
    ranks = np.empty(len(terms), dtype=np.int32)
    ranks[np.asarray(order, dtype=np.int64)] = np.arange(len(terms), dtype=np.int32)
    return [terms[i] for i in order], ranks


#: A segment of this many words or more gives its memory back when written.
_GIVE_BACK_FROM_WORDS: Final = 100_000


def _give_back_memory() -> None:
    """Return the heap's free memory to the system (glibc only).

    glibc keeps what a flush frees for the process's next allocations:
    measured on a parallel load of 25,420 articles, each worker stayed about
    45 MB larger after each segment than before it, so that the next
    segment's peak stacked on top. One call takes a few milliseconds, next to
    seconds of writing.
    """
    import ctypes

    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(None).malloc_trim(0)


class SegmentBuilder:
    """Accumulates articles in memory and writes them as one new segment.

    Args:
        directory: the index directory.
        analyzer: the index's analyzer.
        codec: the codec new segments are written with.
    """

    def __init__(
        self, directory: IndexDirectory, analyzer: Analyzer, codec: NewsCodec
    ) -> None:
        self._analyzer = analyzer
        self._files = SegmentWriter(directory, codec)
        self._features = [feature(analyzer) for feature in FEATURES]
        self._vocab = _Vocabulary()
        self._table = ChunkTable(analyzer.chunk_words, self._vocab)
        self._text = {name: FieldChunks() for name in TEXT_FIELDS}
        self._keywords: dict[str, list[tuple[str, int]]] = {
            k: [] for k in KEYWORD_FIELDS
        }
        self._published = array("q")

    @property
    def segment(self) -> Any:
        """The Whoosh segment object of the segment being built."""
        return self._files.segment

    @property
    def doc_count(self) -> int:
        """Articles added so far."""
        return self._files.doc_count

    @property
    def word_count(self) -> int:
        """Words held in memory (stopwords included), the measure used to
        decide when to flush."""
        return sum(len(field) for field in self._text.values())

    def prepare(self, article: Article) -> PreparedArticle:
        """Analyse and encode ``article`` without changing the segment.

        Everything that can fail on bad input fails here, so that a failed
        article leaves no trace (see :meth:`append`).
        """
        chunks, starts = [], []
        for name in TEXT_FIELDS:
            ids, offsets = FieldChunks.split(getattr(article, name), self._table)
            chunks.append(ids)
            starts.append(offsets)
        facets = (facet_key(article.source), facet_key(article.category))
        ts = published_timestamp(article.published)
        return PreparedArticle(
            article.id,
            tuple(chunks),
            tuple(starts),
            facets,
            NO_DATE if ts is None else int(ts),
            stored_blob(article),
            tuple(feature.prepare(article) for feature in self._features),
        )

    def append(self, prepared: PreparedArticle) -> int:
        """Add a prepared article; return its document number."""
        docnum = self._files.store(prepared.blob)
        for name, chunks, starts in zip(
            TEXT_FIELDS, prepared.chunks, prepared.starts, strict=True
        ):
            self._text[name].append(chunks, starts)
        self._keywords["id"].append((prepared.id, docnum))
        for name, key in zip(("source", "category"), prepared.facets, strict=True):
            if key:
                self._keywords[name].append((key, docnum))
        self._published.append(prepared.published)
        for feature, kept in zip(self._features, prepared.features, strict=True):
            feature.append(kept, docnum)
        return docnum

    def add(self, article: Article) -> int:
        """Analyse and buffer one article; return its document number."""
        return self.append(self.prepare(article))

    def finish(self) -> Any:
        """Write the segment's files and return the Whoosh segment object.

        The builder's buffers are freed then, and after a large segment the
        memory is given back to the system.
        """
        words = self.word_count
        segment = self._write()
        self._vocab = _Vocabulary()
        self._table = ChunkTable(self._analyzer.chunk_words, self._vocab)
        self._text.clear()
        self._keywords.clear()
        self._features.clear()
        if words >= _GIVE_BACK_FROM_WORDS:
            _give_back_memory()
        return segment

    def _write(self) -> Any:
        terms, ranks = _sorted_vocabulary(list(self._vocab))
        table = self._table
        lengths = {name: self._text[name].lengths(table) for name in TEXT_FIELDS}

        def postings(writer: ArrayFieldWriter, name: str) -> None:
            if name in TEXT_FIELDS:
                # Expanded one field at a time: the builder's memory peak.
                tokens = list(self._text[name].tokens(table))
                _write_text_field(writer, tokens, lengths[name], ranks, terms)
            else:
                _write_keyword_field(writer, self._keywords[name])

        text = SegmentText(
            self._table.chunks,
            {
                name: (
                    np.frombuffer(field.ids, dtype=np.uint32),
                    np.frombuffer(field.counts, dtype=np.uint32),
                )
                for name, field in self._text.items()
            },
        )

        def features(path_of: Callable[[str], str]) -> None:
            for feature in self._features:
                feature.write(path_of(feature.ext), self.doc_count, text)

        published = np.frombuffer(self._published, dtype=np.int64)
        return self._files.finish(lengths, published, postings, features)

    def abandon(self) -> None:
        """Close open files; the lock holder deletes the segment's files."""
        self._files.abandon()


def _by_term(
    tokens: list[np.ndarray], counts: np.ndarray, ranks: np.ndarray
) -> tuple[np.ndarray, ...]:
    """A field's token stream sorted by term, then document, then position.

    ``tokens`` holds the stream, term ids and character starts, and is
    emptied: each array is freed as soon as it is sorted (this is the
    builder's memory peak, so everything is 32-bit and kept no longer than
    needed; a segment holds far fewer than 2**31 tokens).

    Returns ``(term rank, document, position, character start)`` per token,
    then the start and length of each (term, document) run. A word repeated
    more than :data:`MAX_TF` times in one document keeps its first
    :data:`MAX_TF` occurrences.
    """
    tids, char_starts = tokens
    tokens.clear()
    r = ranks[tids]
    del tids
    order = np.argsort(r, kind="stable").astype(np.int32)
    r = r[order]
    c = char_starts[order]
    del char_starts
    d = np.repeat(np.arange(len(counts), dtype=np.int32), counts)[order]
    starts = (np.cumsum(counts, dtype=np.int64) - counts).astype(np.int32)
    p = np.arange(len(order), dtype=np.int32)
    p -= np.repeat(starts, counts)
    p = p[order]
    del order

    post_starts, tfs = _boundaries(r, d)
    if int(tfs.max()) > MAX_TF:
        within = np.arange(len(r)) - np.repeat(post_starts, tfs)
        keep = within < MAX_TF
        r, d, p, c = r[keep], d[keep], p[keep], c[keep]
        post_starts, tfs = _boundaries(r, d)
    return r, d, p, c, post_starts, tfs


#: Tokens whose posting records are encoded and written together: a flush
#: holds one batch's records, not the whole field's.
_BATCH_TOKENS: Final = 1 << 18


# Long: the per-term statistics and the record slices come from the same run
# boundaries, and the loop that writes them is the hot path of a flush.
def _write_text_field(
    writer: ArrayFieldWriter,
    tokens: list[np.ndarray],
    counts: np.ndarray,
    ranks: np.ndarray,
    terms: list[str],
) -> None:
    """Group a field's token stream (emptied, see :func:`_by_term`) into
    posting lists and write them."""
    if not len(tokens[0]):
        return
    r, d, p, c, post_starts, tfs = _by_term(tokens, counts, ranks)
    post_docs = d[post_starts]
    post_ranks = r[post_starts]
    n_tokens = len(r)
    del r, d
    term_starts = np.flatnonzero(np.r_[True, post_ranks[1:] != post_ranks[:-1]])
    term_ends = np.r_[term_starts[1:], len(post_ranks)]
    tok_starts = post_starts[term_starts]
    tok_ends = np.r_[tok_starts[1:], n_tokens]
    # Per-term statistics for Whoosh's term info, all at once.
    post_lengths = counts[post_docs]
    stats = TermStats(
        dfs=term_ends - term_starts,
        weights=np.add.reduceat(tfs, term_starts),
        max_tfs=np.maximum.reduceat(tfs, term_starts),
        min_ids=post_docs[term_starts],
        max_ids=post_docs[term_ends - 1],
        min_lengths=np.minimum.reduceat(post_lengths, term_starts),
        max_lengths=np.maximum.reduceat(post_lengths, term_starts),
    )
    del post_lengths
    short = int(p.max()) <= 0xFFFF
    flags = HAS_TFS | HAS_POSITIONS | HAS_STARTS | (SHORT_POSITIONS if short else 0)
    pos_size = 2 if short else 4
    # The records' parts as little-endian bytes, sliced without copies.
    ids_buf = _bytes(post_docs, "<u4")
    tfs_buf = _bytes(tfs, "<u2")
    pos_buf = _bytes(p, "<u2" if short else "<u4")
    start_buf = _bytes(c, "<u4")
    del p, c
    btexts = [terms[rank].encode("utf-8") for rank in post_ranks[term_starts].tolist()]
    cuts = np.searchsorted(tok_starts, np.arange(0, n_tokens, _BATCH_TOKENS))
    cuts = np.unique(np.r_[cuts, len(term_starts)]).tolist()
    join = b"".join
    for lo, hi in itertools.pairwise(cuts):
        records = [
            join(
                (
                    record_header(b - a, flags),
                    ids_buf[4 * a : 4 * b],
                    tfs_buf[2 * a : 2 * b],
                    pos_buf[pos_size * ta : pos_size * tb],
                    start_buf[4 * ta : 4 * tb],
                )
            )
            for a, b, ta, tb in zip(
                term_starts[lo:hi].tolist(),
                term_ends[lo:hi].tolist(),
                tok_starts[lo:hi].tolist(),
                tok_ends[lo:hi].tolist(),
                strict=True,
            )
        ]
        writer.add_records(btexts[lo:hi], records, stats.part(lo, hi))


def _bytes(values: np.ndarray, dtype: str) -> memoryview:
    """The bytes of ``values`` (non-negative) as ``dtype``: copied only to
    change their width or byte order, for a signed array of the same width
    holds the same bits."""
    target = np.dtype(dtype)
    same = values.dtype.itemsize == target.itemsize
    if same and target.isnative and values.dtype.isnative:
        values = values.view(target)
    else:
        values = values.astype(target)
    return np.ascontiguousarray(values).data.cast("B")


def _boundaries(r: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and length of each (term, document) run."""
    new = np.empty(len(r), dtype=bool)
    new[0] = True
    new[1:] = (r[1:] != r[:-1]) | (d[1:] != d[:-1])
    starts = np.flatnonzero(new)
    lengths = np.diff(np.r_[starts, len(r)])
    return starts, lengths


def _write_keyword_field(
    writer: ArrayFieldWriter, pairs: list[tuple[str, int]]
) -> None:
    """Write a keyword field's posting lists (document ids only)."""
    if not pairs:
        return
    pairs.sort()
    keys, docs = zip(*pairs, strict=True)
    docs_array = np.asarray(docs, dtype=np.uint32)
    firsts = [0, *(i for i in range(1, len(keys)) if keys[i] != keys[i - 1])]
    ends = [*firsts[1:], len(keys)]
    dfs = [b - a for a, b in zip(firsts, ends, strict=True)]
    records = [
        encode_postings(docs_array[a:b], None, None)
        for a, b in zip(firsts, ends, strict=True)
    ]
    stats = TermStats(
        dfs=dfs,
        weights=dfs,
        max_tfs=[1.0] * len(dfs),
        min_ids=[docs[a] for a in firsts],
        max_ids=[docs[b - 1] for b in ends],
        min_lengths=[0] * len(dfs),
        max_lengths=[0] * len(dfs),
    )
    writer.add_records([keys[a].encode("utf-8") for a in firsts], records, stats)
