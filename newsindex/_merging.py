"""Merging segments: which to merge (the policy), how (the mechanics), and
when (inside a commit, or in the background).

Every commit adds segments; merging keeps their number logarithmic in the size
of the index and drops deleted articles' data. The policy is by size: a
segment's *level* is how many times :data:`MERGE_FACTOR` its live articles
exceed :data:`LEVEL_FLOOR`, so sizes are compared with each other, not with a
fixed count; once :data:`MERGE_FACTOR` segments share a level they become one
segment of the next, and a segment that is mostly deleted articles is
rewritten on its own. An index of N articles keeps at most about
``(MERGE_FACTOR - 1) * log(N / LEVEL_FLOOR, MERGE_FACTOR)`` segments.

A commit does only the merges that fit in :data:`COMMIT_MERGE_ARTICLES`, so a
one-article commit costs about the same on any index; larger merges wait for
:func:`merge_committed` (``NewsIndex.merge()``), which writes the merged
segment while other processes go on writing, and holds the write lock only to
publish it.

The mechanics read the live documents of the sources and write one new
segment through ``_segment_files.py``: posting lists are merged term by term,
their document numbers renumbered.
"""

from __future__ import annotations

import heapq
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Final

import attrs
import numpy as np
from whoosh.util.numeric import byte_to_length

from newsindex._codec import ArrayFieldWriter, NewsCodec
from newsindex._directory import MERGE_LOCK_NAME, IndexDirectory, TableOfContents
from newsindex._fields import TEXT_FIELDS
from newsindex._postings import TERM_INFO, join_records
from newsindex._registry import FEATURES
from newsindex._segment_files import SegmentWriter
from newsindex._segment_reader import SegmentData, term_info
from newsindex.errors import IndexLockedError

#: Segments of one level that are merged into one segment of the next.
MERGE_FACTOR: Final = 8
#: Live articles below which segments share the lowest level.
LEVEL_FLOOR: Final = 10
#: Articles one commit may read to merge; larger merges wait for
#: ``NewsIndex.merge()`` (measured: about 0.5 ms an article).
COMMIT_MERGE_ARTICLES: Final = 2_000
#: Posting lists a merge reads from its sources between giving back the
#: memory of the pages it has read (see ``SegmentData.drop_pages``).
DROP_PAGES_EVERY: Final = 20_000
#: A segment with this share of deleted documents is rewritten.
PURGE_DELETED_SHARE: Final = 0.4
#: Tries at publishing a background merge that concurrent commits overtook.
MERGE_RETRIES: Final = 5


def level(segment: Any) -> int:
    """A segment's size level: 0 below ``LEVEL_FLOOR * MERGE_FACTOR`` live
    articles, one more for each further factor of :data:`MERGE_FACTOR`."""
    live = max(int(segment.doc_count()), LEVEL_FLOOR)
    found, bound = 0, LEVEL_FLOOR * MERGE_FACTOR
    while live >= bound:
        found, bound = found + 1, bound * MERGE_FACTOR
    return found


def _work(group: Sequence[Any]) -> int:
    """Articles a merge of ``group`` reads, deleted ones included."""
    return sum(int(segment.doc_count_all()) for segment in group)


def merge_candidates(
    segments: Sequence[Any], *, most: int | None = None, least: int = 0
) -> list[Any]:
    """The next group of segments to merge, or an empty list (the policy).

    Args:
        segments: the index's segments.
        most: merge no group that reads more articles than this.
        least: merge no group that reads this many articles or fewer.
    """

    def fits(group: Sequence[Any]) -> bool:
        return least < _work(group) and (most is None or _work(group) <= most)

    for segment in segments:
        deleted = (
            segment.deleted_count() > PURGE_DELETED_SHARE * segment.doc_count_all()
        )
        if deleted and fits([segment]):
            return [segment]
    levels: dict[int, list[Any]] = defaultdict(list)
    for segment in segments:
        levels[level(segment)].append(segment)
    for number in sorted(levels):
        group = levels[number]
        if len(group) >= MERGE_FACTOR and fits(group):
            return group
    return []


def document_maps(sources: Sequence[SegmentData]) -> list[np.ndarray]:
    """Per source, each document's number in the merged segment (-1: dropped,
    as it is deleted); the live documents keep their order."""
    maps = []
    base = 0
    for seg in sources:
        docmap = np.full(seg.doc_count_all, -1, dtype=np.int64)
        live = np.flatnonzero(seg.live)
        docmap[live] = np.arange(base, base + len(live))
        base += len(live)
        maps.append(docmap)
    return maps


def merge_segments(
    directory: IndexDirectory, codec: NewsCodec, sources: list[SegmentData]
) -> Any | None:
    """Write the live documents of ``sources`` as one new segment.

    Returns the new Whoosh segment object, or ``None`` when no document is
    live (the sources can simply be dropped).
    """
    maps = document_maps(sources)
    if not any(len(m) and m.max() >= 0 for m in maps):
        return None
    files = SegmentWriter(directory, codec)
    try:
        for seg in sources:
            for docnum in np.flatnonzero(seg.live).tolist():
                files.store(seg.stored_blob(docnum))
            seg.drop_pages()
    except BaseException:
        files.abandon()
        raise
    lengths = {
        name: np.concatenate([s.lengths[name][s.live] for s in sources]).astype(
            np.uint32
        )
        for name in TEXT_FIELDS
    }
    published = np.concatenate([s.published[s.live] for s in sources])

    merging = _Merging(sources, maps)

    def postings(writer: ArrayFieldWriter, name: str) -> None:
        _merge_field(writer, name, merging, lengths.get(name))

    def features(path_of: Callable[[str], str]) -> None:
        for feature in FEATURES:
            readers = [source.feature(feature) for source in sources]
            feature.merge(list(zip(readers, maps, strict=True)), path_of(feature.ext))

    return files.finish(lengths, published, postings, features)


class _Merging:
    """The segments being merged, each one's map of document numbers (see
    :func:`document_maps`), and for each without deletions how far its
    numbers move (all by the same amount; ``None`` for the others)."""

    def __init__(self, sources: list[SegmentData], maps: list[np.ndarray]) -> None:
        self.sources = sources
        self.maps = maps
        self.shifts = [
            int(docmap[0]) if len(docmap) and bool(seg.live.all()) else None
            for seg, docmap in zip(sources, maps, strict=True)
        ]


def _merge_field(
    writer: ArrayFieldWriter,
    field: str,
    merging: _Merging,
    lengths: np.ndarray | None,
) -> None:
    streams = [_tagged_terms(seg, field, i) for i, seg in enumerate(merging.sources)]
    current: bytes | None = None
    parts: list[tuple[int, bytes]] = []
    # (term, source) never ties, so the entries are never compared.
    for count, (term, i, entry) in enumerate(heapq.merge(*streams)):
        if term != current:
            if current is not None:
                _merge_term(writer, current, parts, merging, lengths)
            current, parts = term, []
        parts.append((i, entry))
        if count % DROP_PAGES_EVERY == DROP_PAGES_EVERY - 1:
            # The lists read so far are not read again.
            for seg in merging.sources:
                seg.drop_pages()
    if current is not None:
        _merge_term(writer, current, parts, merging, lengths)


def _tagged_terms(
    seg: SegmentData, field: str, tag: int
) -> Iterator[tuple[bytes, int, bytes]]:
    # A function, not a generator expression in a loop: the tag must be bound
    # when the stream is made, not when it is read.
    for term, entry in seg.entries(field):
        yield term, tag, entry


def _merge_term(
    writer: ArrayFieldWriter,
    term: bytes,
    parts: list[tuple[int, bytes]],
    merging: _Merging,
    lengths: np.ndarray | None,
) -> None:
    """Write one term's merged posting list.

    From sources without deletions the records are joined as they are
    (:func:`join_records`), and the term's statistics come from the
    sources' dictionary entries: the documents keep their lengths, and
    Whoosh's length bytes keep the order of the lengths. Otherwise (or
    for records laid out differently) the lists are decoded and encoded.
    """
    shifts = merging.shifts
    infos = [TERM_INFO.unpack(entry) for _, entry in parts]
    moves = [shifts[i] for i, _ in parts]
    if all(move is not None for move in moves) and not any(info[0] for info in infos):
        records = [
            merging.sources[i].record(info[8], info[9])
            for (i, _), info in zip(parts, infos, strict=True)
        ]
        joined = join_records(records, moves)  # type: ignore[arg-type]
        if joined is not None:
            record, documents, occurrences, first, last = joined
            stats = (
                documents,
                float(occurrences) if occurrences else float(documents),
                max(info[5] for info in infos),
                first,
                last,
                byte_to_length(min(info[3] for info in infos)),
                byte_to_length(max(info[4] for info in infos)),
            )
            writer.add_encoded(term, record, stats)
            return
    _write_merged(
        writer, term, [(i, term_info(entry)) for i, entry in parts], merging, lengths
    )


def _write_merged(
    writer: ArrayFieldWriter,
    term: bytes,
    parts: Iterable[tuple[int, Any]],
    merging: _Merging,
    lengths: np.ndarray | None,
) -> None:
    ids_out, tfs_out, pos_out, starts_out = [], [], [], []
    has_tfs = has_pos = False
    shifts = merging.shifts
    for i, info in parts:
        postings = merging.sources[i].read_postings(info, term, runs=False)
        if shifts[i] is not None:  # nothing deleted: every posting stays
            ids_out.append(postings.ids + shifts[i])
            tfs_out.append(postings.tfs)
            positions, starts = postings.positions, postings.starts
        else:
            new_ids = merging.maps[i][postings.ids]
            keep = new_ids >= 0
            if not keep.any():
                continue
            ids_out.append(new_ids[keep])
            tfs_out.append(postings.tfs[keep])
            occurrences = np.repeat(keep, postings.tfs)
            positions = starts = None
            if postings.positions is not None:
                positions = postings.positions[occurrences]
            if postings.starts is not None:
                starts = postings.starts[occurrences]
        if positions is None:
            has_tfs = has_tfs or bool((postings.tfs != 1).any())
        else:
            has_pos = True
            pos_out.append(positions)
            if starts is not None:
                starts_out.append(starts)
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


# -- merging in the background ---------------------------------------------------


@attrs.frozen
class MergeSummary:
    """What :meth:`NewsIndex.merge` (or ``optimize``) did.

    Attributes:
        merges: merges published (0 when there was nothing to merge, or
            another process was merging).
        articles: articles the merges rewrote.
        segments: segments of the index afterwards.
        seconds: time taken.
    """

    merges: int
    articles: int
    segments: int
    seconds: float


def merge_committed(
    directory: IndexDirectory, *, everything: bool = False, timeout: float = 10.0
) -> MergeSummary:
    """Merge the committed segments that commits left to merge (or, with
    ``everything``, all of them into one), holding the write lock only to
    publish each merge.

    One process merges an index at a time: if another is merging, this
    returns at once. A merge that a concurrent commit overtook (it merged or
    rewrote a source) is dropped and chosen again, at most
    :data:`MERGE_RETRIES` times.

    Raises:
        IndexLockedError: publishing waited ``timeout`` seconds for a writer.
    """
    started = time.perf_counter()
    try:
        guard = directory.lock(0.0, MERGE_LOCK_NAME)
    except IndexLockedError:
        toc = directory.read_toc()
        return MergeSummary(0, 0, len(toc.segments), time.perf_counter() - started)
    merges = articles = overtaken = 0
    codec = NewsCodec()
    try:
        directory.remove_staging()  # a killed merger's (we hold the merge lock)
        while overtaken < MERGE_RETRIES:
            toc = directory.read_toc()
            if everything:
                done = len(toc.segments) < 2 and not any(
                    s.has_deletions() for s in toc.segments
                )
                group = [] if done or merges else list(toc.segments)
            else:
                group = merge_candidates(toc.segments, least=COMMIT_MERGE_ARTICLES)
            if not group:
                break
            if _merge_and_publish(directory, codec, group, timeout):
                merges += 1
                articles += _work(group)
            else:
                overtaken += 1
        segments = len(directory.read_toc().segments)
    finally:
        guard.release()
    return MergeSummary(merges, articles, segments, time.perf_counter() - started)


def _merge_and_publish(
    directory: IndexDirectory, codec: NewsCodec, group: list[Any], timeout: float
) -> bool:
    """Merge ``group`` into a segment staged apart, then publish it under the
    write lock; ``False`` if a commit changed the group meanwhile."""
    staging = directory.staging()
    try:
        readers = [SegmentData(directory, segment) for segment in group]
        try:
            maps = document_maps(readers)
            merged = merge_segments(staging, codec, readers)
        finally:
            for reader in readers:
                reader.close()
        lock = directory.lock(timeout)
        try:
            latest = directory.read_toc()
            current = {s.segment_id(): s for s in latest.segments}
            if any(s.segment_id() not in current for s in group):
                return False
            if merged is not None:
                _delete_late(merged, group, current, maps)
                directory.adopt(staging, merged)
            kept = [s for s in latest.segments if s.segment_id() not in _ids(group)]
            segments = kept if merged is None else [*kept, merged]
            directory.write_toc(
                TableOfContents(latest.generation + 1, latest.schema, segments)
            )
            directory.remove_unused(latest.generation + 1, segments)
        finally:
            lock.release()
    finally:
        directory.remove_staging(staging)
    return True


def _ids(segments: Iterable[Any]) -> set[str]:
    return {segment.segment_id() for segment in segments}


def _delete_late(
    merged: Any, group: list[Any], current: dict[str, Any], maps: list[np.ndarray]
) -> None:
    """Delete from ``merged`` what commits deleted from its sources while it
    was being written (replaced or deleted articles)."""
    for source, docmap in zip(group, maps, strict=True):
        before = set(source.deleted_docs())
        for docnum in sorted(set(current[source.segment_id()].deleted_docs()) - before):
            merged.delete_document(int(docmap[docnum]))
