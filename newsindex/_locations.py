"""Index locations: which engine (``_engine.py``) serves a location."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from newsindex._engine import XAPIAN_LOCAL, XAPIAN_TCP
from newsindex.errors import ConfigurationError

if TYPE_CHECKING:  # the engines are imported when a location is opened
    from newsindex._engine import Engine, Settings


def is_xapian(location: str | os.PathLike[str]) -> bool:
    """Whether ``location`` names a Xapian database or shards."""
    return isinstance(location, str) and location.startswith((XAPIAN_LOCAL, XAPIAN_TCP))


def open_engine(
    location: str | os.PathLike[str], settings: Settings, *, create: bool | None
) -> Engine:
    """The engine of the index at ``location``.

    Args:
        create: ``True`` to create a new index, ``False`` to open one,
            ``None`` to open it or create it if there is none.
    """
    if is_xapian(location):
        try:
            from newsindex._xapian import open_xapian
        except ImportError as exc:
            if (exc.name or "").partition(".")[0] == "newsindex":
                raise
            raise ConfigurationError(
                f"{location}: Xapian's Python bindings are missing; they come "
                "from your system's packages (Debian and Ubuntu: apt install "
                "python3-xapian, then a venv made with --system-site-packages "
                "from /usr/bin/python3); see the README, 'Beyond one machine'"
            ) from exc
        return open_xapian(str(location), settings, create=create)
    from newsindex._embedded import open_embedded

    if isinstance(location, str) and "://" in location:
        raise ConfigurationError(
            f"unknown index location {location!r}: give a directory, "
            f"{XAPIAN_LOCAL}PATH or {XAPIAN_TCP}HOST:PORT[,HOST:PORT...]"
        )
    return open_embedded(Path(location), settings, create=create)
