"""Serving an index behind a symbolic link, and swapping in another.

:class:`~newsindex.NewsIndex` objects opened on the link follow a swap on
their next search (``NewsIndex._follow_swap``); this module makes the swap.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from newsindex._manifest import Manifest
from newsindex.errors import IndexExistsError, NewsIndexError


def swap_index(link: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Point the symbolic link ``link`` at the index in ``target``, atomically.

    Serve an index through a link (``/srv/news/index -> index-2026-11-27``)
    and a rebuilt one can replace it with no moment without an index:
    every :class:`NewsIndex` opened on the link switches to the new index on
    its next search. The new index must have the analyzer of the one the
    link serves, which the indexes open on it search with.

    Raises:
        IndexNotFoundError: ``target`` is not an index.
        CorruptIndexError: ``target``'s manifest is damaged.
        AnalyzerMismatchError: the link serves an index built with another
            analyzer.
        IndexExistsError: ``link`` exists and is not a symbolic link.
    """
    new = Path(target).resolve()
    manifest = Manifest.read(new)
    where = Path(link)
    if where.exists() and not where.is_symlink():
        raise IndexExistsError(
            f"{where} is not a symbolic link; move it aside and serve the index "
            "through a link to swap it atomically"
        )
    try:
        served = Manifest.read(where.resolve())
    except NewsIndexError:
        served = None  # nothing (sound) served: the swap restores service
    if served is not None:
        manifest.analyzer(served.analyzer())
    temporary = where.with_name(f".{where.name}.swap-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    os.symlink(new, temporary, target_is_directory=True)
    os.replace(temporary, where)
