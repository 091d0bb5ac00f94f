"""Merging segments: which to merge (the policy) and how (the mechanics).

Every commit adds segments; merging keeps their number logarithmic in the size
of the index and drops deleted articles' data. The policy is tiered: once
:data:`MERGE_FACTOR` segments share a size tier (powers of ten above
:data:`TIER_FLOOR` live articles), they become one segment of the next tier,
and a segment that is mostly deleted articles is rewritten on its own. The
mechanics read the live documents of the sources and write one new segment
through ``_segment_files.py``: posting lists are merged term by term, their
document numbers renumbered.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any, Final

import numpy as np

from newsindex._codec import ArrayFieldWriter, NewsCodec
from newsindex._directory import IndexDirectory
from newsindex._segment_files import SegmentWriter
from newsindex._segment_reader import SegmentData
from newsindex.schema import TEXT_FIELDS

#: Segments of one size tier that trigger a merge into the next tier.
MERGE_FACTOR: Final = 8
#: Segments smaller than this share the lowest tier.
TIER_FLOOR: Final = 2_000
#: A segment with this share of deleted documents is rewritten at commit.
PURGE_DELETED_SHARE: Final = 0.4


def _tier(segment: Any) -> int:
    live = max(segment.doc_count(), 1)
    return 0 if live < TIER_FLOOR else 1 + int(math.log10(live / TIER_FLOOR))


def merge_candidates(segments: list[Any]) -> list[Any]:
    """The segments to merge next, or an empty list (the merge policy).

    A segment that is mostly deleted documents is rewritten on its own;
    otherwise, once :data:`MERGE_FACTOR` segments share a size tier (powers
    of ten above :data:`TIER_FLOOR`), they become one segment of the next
    tier. An index of N articles thus keeps at most about
    ``MERGE_FACTOR * log10(N / TIER_FLOOR)`` segments.
    """
    for segment in segments:
        if segment.deleted_count() > PURGE_DELETED_SHARE * segment.doc_count_all():
            return [segment]
    tiers: dict[int, list[Any]] = defaultdict(list)
    for segment in segments:
        tiers[_tier(segment)].append(segment)
    for tier in sorted(tiers):
        if len(tiers[tier]) >= MERGE_FACTOR:
            return tiers[tier]
    return []


def merge_segments(
    directory: IndexDirectory, codec: NewsCodec, sources: list[SegmentData]
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
    if base == 0:
        return None
    files = SegmentWriter(directory, codec)
    try:
        for seg in sources:
            for docnum in np.flatnonzero(seg.live).tolist():
                files.store(seg.stored_blob(docnum))
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

    def postings(writer: ArrayFieldWriter, name: str) -> None:
        _merge_field(writer, name, sources, maps, lengths.get(name))

    return files.finish(lengths, published, postings)


def _merge_field(
    writer: ArrayFieldWriter,
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
    writer: ArrayFieldWriter,
    term: bytes,
    parts: Iterable[tuple[int, Any]],
    sources: list[SegmentData],
    maps: list[np.ndarray],
    lengths: np.ndarray | None,
) -> None:
    ids_out, tfs_out, pos_out, starts_out = [], [], [], []
    has_tfs = has_pos = False
    for i, info in parts:
        postings = sources[i].read_postings(info, term)
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
