"""Snapshots: the segments of one committed generation, opened for searching."""

from __future__ import annotations

import functools
from typing import Final

import numpy as np

from newsindex._directory import IndexDirectory
from newsindex._fields import TEXT_FIELDS
from newsindex._segment_reader import SegmentData
from newsindex.errors import CorruptIndexError

#: Tries at opening the latest generation while other processes commit.
OPEN_RETRIES: Final = 20


class Snapshot:
    """The segments of one committed generation, ready to search.

    Immutable once built, so any number of threads may search it at once.
    """

    def __init__(
        self, generation: int, segments: list[SegmentData], toc_bytes: int = 0
    ) -> None:
        self.generation = generation
        self.segments = segments
        #: Bytes of this generation's files (table of contents and segments).
        self.size_bytes = toc_bytes + sum(s.size_bytes for s in segments)
        self.doc_count = sum(s.doc_count for s in segments)
        self.avg_length: dict[str, float] = {}
        for name in TEXT_FIELDS:
            total = sum(float(s.lengths[name][s.live].sum()) for s in segments)
            self.avg_length[name] = total / self.doc_count if self.doc_count else 1.0

    # Whole-snapshot columns, made at the first search that needs them: the
    # segments' documents numbered one after another (a segment's numbers
    # start at ``starts[i]``), so a query is scored in one pass however
    # many segments the index has.

    @functools.cached_property
    def starts(self) -> np.ndarray:
        """Each segment's first number in the snapshot's numbering."""
        counts = [s.doc_count_all for s in self.segments]
        return np.cumsum([0, *counts], dtype=np.int64)[:-1]

    @functools.cached_property
    def size(self) -> int:
        """Documents in the snapshot's numbering (deleted ones included)."""
        return sum(s.doc_count_all for s in self.segments)

    @functools.cached_property
    def lengths(self) -> dict[str, np.ndarray]:
        """Each text field's length per document."""
        return {
            field: _joined([s.lengths[field] for s in self.segments])
            for field in TEXT_FIELDS
        }

    @functools.cached_property
    def live(self) -> np.ndarray:
        """Whether each document is live (not deleted)."""
        return _joined([s.live for s in self.segments])

    @functools.cached_property
    def published(self) -> np.ndarray:
        """Each document's date key (``NO_DATE`` for undated ones)."""
        return _joined([s.published for s in self.segments])

    def close(self) -> None:
        """Close the segments' files."""
        for segment in self.segments:
            segment.close()


def _joined(columns: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(columns) if columns else np.empty(0, dtype=np.int64)


def load_snapshot(
    directory: IndexDirectory, previous: Snapshot | None = None
) -> Snapshot:
    """Open the latest generation, reusing the segments it shares with
    ``previous``.

    A commit in another process may replace the table of contents and delete
    merged segments between our listing and our opening them; then the
    listing names a newer generation and we try again. Damage that persists
    in one generation is reported at once.

    Raises:
        CorruptIndexError: a file is damaged or missing, or the index changed
            too often while opening.
    """
    reusable = {}
    if previous is not None:
        reusable = {s.name: s for s in previous.segments}
    for _ in range(OPEN_RETRIES):
        generation = directory.latest_generation()
        try:
            toc = directory.read_toc(
                generation if generation >= 0 else None, reading=True
            )
            segments = []
            for segment in toc.segments:
                old = reusable.get(segment.segment_id())
                if (
                    old is not None
                    and old.segment.deleted_count() == segment.deleted_count()
                ):
                    segments.append(old)
                else:
                    segments.append(SegmentData(directory, segment))
            return Snapshot(toc.generation, segments, toc.size_bytes)
        except (FileNotFoundError, CorruptIndexError) as exc:
            if directory.latest_generation() != generation:
                continue  # a commit moved on: open the new generation
            if isinstance(exc, CorruptIndexError):
                raise
            raise CorruptIndexError(
                f"the index at {directory.folder}: file {exc.filename} is missing"
            ) from exc
    raise CorruptIndexError(
        f"the index at {directory.folder} changed {OPEN_RETRIES} times while opening"
    )
