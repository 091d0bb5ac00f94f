"""Segment features: data a segment keeps beside its postings, one file each.

Some search features need more than posting lists: the written forms of the
words (did-you-mean, typo tolerance, autocomplete), a fingerprint of each
article (syndicated copies, related articles). Each is a *segment feature*:
a class that analyses an article when it is added, writes one file of the
segment (its own extension) when the segment is finished, merges the files
of several segments when they are merged, and reads one back for searching.
The segment layer calls every class listed in ``_registry.py`` at those four
points and knows nothing more about them.

A segment written before a feature existed has no file for it:
:meth:`SegmentFeature.read` is not called and the feature's reader is
``None`` for that segment (searches then do without it there).
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

import numpy as np

from newsindex._analysis import Analyzer
from newsindex._article import Article
from newsindex._segment_text import SegmentText


class SegmentFeature(Protocol):
    """What the segment layer needs of a feature (one instance per segment
    being built; class methods for merging and reading)."""

    #: The extension of the feature's file, ``.nx`` and one letter.
    ext: ClassVar[str]

    def __init__(self, analyzer: Analyzer) -> None: ...

    def prepare(self, article: Article) -> Any:
        """What the feature keeps of ``article``, without changing any state
        (a failure here leaves the segment as it was)."""
        ...

    def append(self, prepared: Any, docnum: int) -> None:
        """Keep ``prepared`` as document ``docnum`` (the next number)."""
        ...

    def write(self, path: str, doc_count: int, text: SegmentText) -> None:
        """Write the feature's file of a segment of ``doc_count`` documents
        (``text``: the segment's text fields as chunks, for a feature that
        reads the written text without keeping its own copy)."""
        ...

    @classmethod
    def merge(cls, sources: list[tuple[Any, np.ndarray]], path: str) -> None:
        """Write the file of a merged segment.

        Args:
            sources: per source segment, its reader (from :meth:`read`, or
                ``None`` when that segment has no file) and its document map
                (each document's number in the merged segment, -1 for one
                dropped).
            path: where to write.
        """
        ...

    @classmethod
    def read(cls, path: str, doc_count_all: int) -> Any:
        """A reader of the file at ``path`` (for searches and merges).

        Raises:
            ValueError, OSError: the file is damaged or missing.
        """
        ...
