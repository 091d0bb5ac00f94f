"""Verifying an index: every file opened, every article and posting list read.

:func:`check_index` (``NewsIndex.check()``, ``newsindex check``) reports
problems instead of raising them, so that one damaged segment does not hide
the state of the others. It reads everything, so it takes about as long as
reading the whole index once (seconds for tens of thousands of articles).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from newsindex._directory import IndexDirectory
from newsindex._fields import KEYWORD_FIELDS, TEXT_FIELDS
from newsindex._manifest import Manifest
from newsindex._segment_files import checksums
from newsindex._segment_reader import SegmentData
from newsindex._snapshot import OPEN_RETRIES
from newsindex.errors import NewsIndexError


@attrs.frozen
class CheckReport:
    """What :func:`check_index` found.

    Attributes:
        path: the index directory.
        generation: the committed generation checked (-1 if none).
        segments: segments in it.
        articles: live articles read successfully.
        problems: each problem found, in words; empty when the index is sound.
    """

    path: str
    generation: int
    segments: int
    articles: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether no problem was found."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible form."""
        return {**attrs.asdict(self), "problems": list(self.problems), "ok": self.ok}


def check_index(path: str | os.PathLike[str]) -> CheckReport:
    """Open every segment of the index at ``path`` and read all of it.

    Checks that the manifest and table of contents read, that every
    segment's files open, that every stored article decodes and carries the
    id its ``id`` posting says, that every posting list decodes with sorted
    document numbers inside the segment, that the text fields' token counts
    agree with their postings, and that no id is live twice.

    Safe beside writers: when a commit replaces the generation being read
    (and its files go), the check starts again on the new one.
    """
    root = Path(path)
    directory = IndexDirectory(os.path.realpath(root))
    report = CheckReport(str(root), -1, 0, 0, ("not checked",))
    for _ in range(OPEN_RETRIES):
        before = _latest(directory)
        report = _check_once(root, directory)
        if report.ok or _latest(directory) == before:
            break
    return report


def _latest(directory: IndexDirectory) -> int | None:
    try:
        return directory.latest_generation()
    except OSError:
        return None


def _check_once(root: Path, directory: IndexDirectory) -> CheckReport:
    """Check the latest generation once (see :func:`check_index`)."""
    problems: list[str] = []
    try:
        Manifest.read(root)
        toc = directory.read_toc()
    except (NewsIndexError, OSError) as exc:
        return CheckReport(str(root), -1, 0, 0, (str(exc),))
    live_ids: Counter[str] = Counter()
    articles = 0
    for segment in toc.segments:
        name = segment.segment_id()
        try:
            data = SegmentData(directory, segment)
        except NewsIndexError as exc:
            problems.append(str(exc))
            continue
        if not _checksums_match(directory, segment, problems):
            data.close()
            continue
        try:
            articles += _check_segment(data, live_ids, problems)
        except Exception as exc:  # damage shows up in many shapes
            problems.append(f"segment {name}: unreadable ({exc!r})")
        finally:
            data.close()
    for article_id, count in live_ids.items():
        if count > 1:
            problems.append(f"id {article_id!r} is live {count} times")
    return CheckReport(
        str(root), toc.generation, len(toc.segments), articles, tuple(problems)
    )


def _check_segment(
    data: SegmentData, live_ids: Counter[str], problems: list[str]
) -> int:
    """Check one segment; return how many live articles read correctly."""
    name = data.name
    n = data.doc_count_all
    id_of: dict[int, str] = {}
    for term, info in data.terms("id"):
        postings = data.read_postings(info, term)
        for docnum in postings.ids.tolist():
            id_of[docnum] = term.decode("utf-8")
    good = 0
    for docnum in range(n):
        if not data.live[docnum]:
            continue
        try:
            article = data.article(docnum)
        except NewsIndexError as exc:
            problems.append(str(exc))
            continue
        if id_of.get(docnum) != article.id:
            problems.append(
                f"segment {name}: article {docnum} is stored as {article.id!r} "
                f"but indexed as {id_of.get(docnum)!r}"
            )
            continue
        live_ids[article.id] += 1
        good += 1
    for field in (*TEXT_FIELDS, *KEYWORD_FIELDS):
        tokens = 0
        for term, info in data.terms(field):
            postings = data.read_postings(info, term)
            ids = postings.ids.astype(np.int64)
            if len(ids) and (int(ids[-1]) >= n or bool(np.any(np.diff(ids) <= 0))):
                problems.append(
                    f"segment {name}: postings of {field}:{term!r} are out of "
                    "order or out of range"
                )
            tokens += int(postings.tfs.sum(dtype=np.int64))
        if field in TEXT_FIELDS and tokens != int(
            data.lengths[field].sum(dtype=np.float64)
        ):
            problems.append(
                f"segment {name}: field {field} has {tokens} postings for "
                f"{int(data.lengths[field].sum())} words"
            )
    return good


def _checksums_match(
    directory: IndexDirectory, segment: Any, problems: list[str]
) -> bool:
    """Compare a segment's files with the checksums recorded when written."""
    recorded = getattr(segment, "newsindex_checksums", None)
    if recorded is None:  # written without them (by Whoosh itself)
        return True
    found = checksums(directory, segment, recorded)
    damaged = sorted(ext for ext, crc in recorded.items() if found.get(ext) != crc)
    for ext in damaged:
        problems.append(
            f"segment {segment.segment_id()}: file {segment.make_filename(ext)} "
            "does not match its checksum (changed after it was written)"
        )
    return not damaged
