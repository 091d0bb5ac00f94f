"""The embedded engine: an index directory of segments, searched in process.

The default engine behind :class:`NewsIndex` (see ``_engine.py``): segments
written with Whoosh's file formats (``_segment_files.py``), read through
memory-mapped snapshots (``_snapshot.py``), searched with numpy
(``_searching.py``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np

from newsindex._analysis import Analyzer
from newsindex._article import Article
from newsindex._directory import MANIFEST_NAME, IndexDirectory, prepare_new
from newsindex._engine import Settings
from newsindex._expansions import expansions_of
from newsindex._lexicon import complete
from newsindex._manifest import Manifest
from newsindex._options import DateBound, SearchOptions
from newsindex._results import SearchResults
from newsindex._searching import search
from newsindex._snapshot import Snapshot, load_snapshot
from newsindex._stemtable import attach_stem_table
from newsindex.errors import IndexClosedError, IndexNotFoundError

if TYPE_CHECKING:  # imported where used: a search needs none of them
    from newsindex._checking import CheckReport
    from newsindex._merging import MergeSummary
    from newsindex._stats import IndexStats
    from newsindex._writing import IndexWriter


def open_embedded(
    root: Path, settings: Settings, *, create: bool | None
) -> EmbeddedEngine:
    """The embedded index in ``root`` (see :func:`newsindex._engine.open_engine`).

    Raises:
        IndexExistsError: creating, and ``root`` is not an empty directory.
        IndexNotFoundError: opening, and there is no index there.
    """
    if create is None:
        create = not (root / MANIFEST_NAME).exists()
    if create:
        prepare_new(root)
        analyzer = settings.analyzer or Analyzer()
        from newsindex.schema import build_schema

        IndexDirectory(str(root)).create(build_schema())
        # The manifest comes last: its presence marks a complete index.
        Manifest.create(root, analyzer)
        return EmbeddedEngine(root, analyzer, settings)
    if not root.is_dir():
        raise IndexNotFoundError(f"no newsindex index at {root}")
    chosen = Manifest.read(root).analyzer(settings.analyzer)
    engine = EmbeddedEngine(root, chosen, settings)
    engine._current()  # fail now, not at the first search, if it is damaged
    return engine


#: How long an index directory must have stayed unchanged before a listing
#: of it is reused (see :meth:`EmbeddedEngine._latest_generation`).
SETTLED_NS: Final = 1_000_000_000


class EmbeddedEngine:
    """An index directory (see the module docstring); thread-safe."""

    def __init__(self, path: Path, analyzer: Analyzer, settings: Settings) -> None:
        self._expansions = expansions_of(settings.expansions)
        self._path = path
        self._analyzer = analyzer
        self._ranking = settings.ranking
        self._limits = settings.limits
        self._directory = IndexDirectory(os.path.realpath(path))
        attach_stem_table(self._analyzer, self._directory)
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._closed = False
        #: The directory last seen behind ``path`` (device, inode), and its
        #: last listing that can be trusted while the directory's
        #: modification time stays the same: (time, newest generation).
        self._seen: tuple[int, int] | None = None
        self._listed: tuple[int, int] | None = None

    @property
    def location(self) -> str:
        return str(self._path)

    @property
    def path(self) -> Path:
        return self._path

    @property
    def analyzer(self) -> Analyzer:
        return self._analyzer

    # -- snapshots ---------------------------------------------------------------

    def _current(self) -> Snapshot:
        """The snapshot of the latest commit, reopened if it changed.

        Follows a newer commit, and a swap of the directory behind a
        symbolic link (see :func:`swap_index`).
        """
        if self._closed:
            raise IndexClosedError(f"the index at {self._path} was closed")
        latest = self._latest_generation()
        snapshot = self._snapshot
        if snapshot is not None and snapshot.generation == latest:
            return snapshot
        with self._lock:
            snapshot = self._snapshot
            if snapshot is None or snapshot.generation != latest:
                snapshot = load_snapshot(self._directory, snapshot)
                # Replaced snapshots are not closed here: a search in another
                # thread may still be reading them. Their files close when the
                # last reference goes.
                self._snapshot = snapshot
            return snapshot

    def _latest_generation(self) -> int:
        """The newest committed generation, following a swapped link.

        One ``stat`` of the directory per search in the steady state: a
        commit adds a table of contents to the directory, which changes its
        modification time, so a listing stays true while that time does.
        Only a listing made a while after the last change is kept
        (:data:`SETTLED_NS`): file systems stamp times with a coarse clock,
        and a change within the same tick as the one before would not move
        the time. While commits keep coming, every search lists.
        """
        seen = os.stat(self._path)  # follows a symbolic link
        here = (seen.st_dev, seen.st_ino)
        if here != self._seen:
            real = os.path.realpath(self._path)
            if real != self._directory.folder:
                self._follow_swap(real)
            self._seen, self._listed = here, None
        listed = self._listed
        if listed is not None and listed[0] == seen.st_mtime_ns:
            return listed[1]
        listed_at = time.time_ns()
        latest = self._directory.latest_generation()
        if listed_at - seen.st_mtime_ns > SETTLED_NS:
            self._listed = (seen.st_mtime_ns, latest)
        return latest

    def _follow_swap(self, real: str) -> None:
        """Switch to the index a swapped symbolic link now points at."""
        with self._lock:
            if real == self._directory.folder:
                return
            Manifest.read(Path(real)).analyzer(self._analyzer)
            self._directory = IndexDirectory(real)
            attach_stem_table(self._analyzer, self._directory)
            # Drop the old snapshot (searches still using it keep it alive);
            # generations of two indexes are not comparable.
            self._snapshot = None

    # -- writing -------------------------------------------------------------------

    def writer(self, timeout: float, jobs: int) -> IndexWriter:
        from newsindex._writing import IndexWriter

        return IndexWriter(self._writable(), self._analyzer, timeout=timeout, jobs=jobs)

    def _writable(self) -> IndexDirectory:
        """The directory to write to: the one a swapped link points at now."""
        if self._closed:
            raise IndexClosedError(f"the index at {self._path} was closed")
        real = os.path.realpath(self._path)
        if real != self._directory.folder:
            self._follow_swap(real)
        return self._directory

    def merge(self, timeout: float, everything: bool) -> MergeSummary:
        from newsindex._merging import merge_committed

        return merge_committed(self._writable(), everything=everything, timeout=timeout)

    # -- reading -------------------------------------------------------------------

    def count(self) -> int:
        """Number of articles in the latest commit."""
        return self._current().doc_count

    def get(self, article_id: str) -> Article | None:
        """Return the article with ``article_id``, or ``None``."""
        for segment in self._current().segments:
            docnums = segment.docnums_for_id(article_id)
            if docnums:
                return segment.article(docnums[-1])
        return None

    def search(self, query: str, options: SearchOptions) -> SearchResults:
        return search(
            self._current(), self._analyzer, self._ranking, self._limits, query,
            options, self._expansions,
        )  # fmt: skip

    def suggest(self, prefix: str, limit: int) -> tuple[str, ...]:
        return complete(self._current(), prefix, limit, self._limits.max_limit)

    def related(
        self, article_id: str, limit: int, since: DateBound, until: DateBound
    ) -> SearchResults:
        from newsindex._related import related_articles

        return related_articles(
            self._current(), self._analyzer, self._ranking, self._limits,
            article_id, limit=limit, since=since, until=until,
        )  # fmt: skip

    def check(self) -> CheckReport:
        from newsindex._checking import check_index

        return check_index(self._path)

    def stats(self) -> IndexStats:
        snapshot = self._current()
        # From the files as opened: a commit may delete them meanwhile.
        size = snapshot.size_bytes + self._manifest_size()
        from newsindex._stats import index_stats

        return index_stats(snapshot, str(self._path), size, self._analyzer)

    def _manifest_size(self) -> int:
        try:
            return os.stat(os.path.join(self._directory.folder, MANIFEST_NAME)).st_size
        except OSError:  # swapped away meanwhile
            return 0

    def articles(self) -> Iterator[Article]:
        snapshot = self._current()
        for segment in snapshot.segments:
            for docnum in np.flatnonzero(segment.live).tolist():
                yield segment.article(docnum)

    def close(self) -> None:
        with self._lock:
            if self._snapshot is not None:
                self._snapshot.close()
                self._snapshot = None
            self._closed = True
