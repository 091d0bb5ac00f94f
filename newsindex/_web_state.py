"""What one web app holds: its index (opened on first use), its write rules,
and the background maintenance that follows writes.

Every method that touches the index blocks; the endpoints call them from a
worker thread, never on the event loop.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from starlette.exceptions import HTTPException

from newsindex import NewsIndex
from newsindex._locations import is_xapian
from newsindex.errors import ConfigurationError, NewsIndexError

_LOG: Final = logging.getLogger("newsindex.web")

#: Seconds for which the page's list of sources may be stale (it costs a
#: :meth:`NewsIndex.stats`, tens of milliseconds on thousands of articles).
SOURCES_TTL: Final = 60.0
#: Sources offered in the page's filter, most articles first.
SHOWN_SOURCES: Final = 50
#: Seconds a shutting-down app waits for a background merge.
CLOSE_WAIT: Final = 30.0
_INVALID_TOKEN: Final = 'Bearer realm="newsindex", error="invalid_token"'


class WebState:
    """The index an app serves and how it may be written.

    Args:
        index: an open :class:`NewsIndex` (the caller keeps it and closes
            it), or the path of one, opened on first use in the serving
            process and closed when the app shuts down.
        write_token: the bearer token that writes need; ``None`` makes the
            app read-only.
        write_timeout: seconds a write waits for the index's lock.
        max_body_bytes: largest request body accepted.

    Raises:
        ConfigurationError: an empty token, a negative timeout, a body bound
            below 1.
    """

    def __init__(
        self,
        index: NewsIndex | str | os.PathLike[str],
        *,
        write_token: str | None,
        write_timeout: float,
        max_body_bytes: int,
    ) -> None:
        if write_token is not None and (
            not isinstance(write_token, str) or not write_token
        ):
            raise ConfigurationError(
                "write_token must be a non-empty string, or None for a read-only app"
            )
        if isinstance(write_timeout, bool) or not write_timeout >= 0:
            raise ConfigurationError(
                f"write_timeout must be 0 or more seconds, not {write_timeout!r}"
            )
        if isinstance(max_body_bytes, bool) or not max_body_bytes >= 1:
            raise ConfigurationError(
                f"max_body_bytes must be 1 or more, not {max_body_bytes!r}"
            )
        self._index = index if isinstance(index, NewsIndex) else None
        self._path: Path | str | None = None
        if not isinstance(index, NewsIndex):  # a Xapian location stays a string
            self._path = str(index) if is_xapian(index) else Path(index)
        self._digest = None if write_token is None else _digest(write_token)
        self.write_timeout = float(write_timeout)
        self.max_body_bytes = max_body_bytes
        self._lock = threading.Lock()
        self._sources: tuple[float, tuple[str, ...]] | None = None
        self.maintenance = Maintenance(self.write_timeout)

    # -- the index ---------------------------------------------------------------

    def index(self) -> NewsIndex:
        """The index, opened now if this is its first use.

        Raises:
            IndexNotFoundError, IndexFormatError, ...: as :meth:`NewsIndex.open`
                (the next call tries again).
        """
        index = self._index
        if index is not None:
            return index
        with self._lock:
            if self._index is None:
                assert self._path is not None
                self._index = NewsIndex.open(self._path)
            return self._index

    def warm_up(self) -> None:
        """Open the index, build its analyzer and list its sources, so that
        the first reader does not wait for them.

        A failure is only logged: requests report it (and retry) later.
        """
        try:
            self.index().analyzer.terms("berita")
            self.sources()
        except NewsIndexError as exc:
            _LOG.warning("newsindex.web: the index is not available yet: %s", exc)

    def close(self) -> None:
        """Wait for maintenance (a while), then close the index if this app
        opened it.

        A merge still running after :data:`CLOSE_WAIT` seconds is left to
        end with the process: its work is published atomically or not at
        all, and the next writer removes its files.
        """
        self.maintenance.wait(CLOSE_WAIT)
        with self._lock:
            if self._path is not None and self._index is not None:
                self._index.close()
                self._index = None

    def sources(self) -> tuple[str, ...]:
        """The index's sources, most articles first, at most
        :data:`SOURCES_TTL` seconds old."""
        now = time.monotonic()
        cached = self._sources
        if cached is not None and now - cached[0] < SOURCES_TTL:
            return cached[1]
        names = tuple(name for name, _ in self.index().stats().sources)
        names = names[:SHOWN_SOURCES]
        self._sources = (now, names)
        return names

    # -- writing -----------------------------------------------------------------

    def authorize(self, authorization: str | None) -> None:
        """Check a request's ``Authorization`` header before a write.

        The token is compared in constant time (as SHA-256 digests, so that
        not even its length leaks).

        Raises:
            HTTPException: 403 if the app is read-only; 401 (with
                ``WWW-Authenticate: Bearer``) if the token is missing or wrong.
        """
        if self._digest is None:
            raise HTTPException(
                403, "this server is read-only: it was started without a write token"
            )
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise HTTPException(
                401,
                "writing needs the header 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": 'Bearer realm="newsindex"'},
            )
        # Header values arrive decoded as Latin-1: these are the bytes sent.
        sent = given.strip().encode("latin-1", "replace")
        if not hmac.compare_digest(hashlib.sha256(sent).digest(), self._digest):
            raise HTTPException(
                401,
                "the write token is wrong",
                headers={"WWW-Authenticate": _INVALID_TOKEN},
            )

    def after_write(self) -> None:
        """Start the index's background merge (see :class:`Maintenance`)."""
        index = self._index
        if index is not None:
            self.maintenance.start(index.merge)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


class Maintenance:
    """One background thread per app that merges small segments after writes.

    Each write through the API commits a small segment, and a commit merges
    only what stays quick; :meth:`NewsIndex.merge` does the rest, holding the
    write lock only to publish each merge, so writes and searches go on. A
    write that arrives while a merge runs asks for one more run, so nothing
    written is left unmerged for long.
    """

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False

    def start(self, merge: Callable[..., object]) -> None:
        """Run ``merge`` in the background, now or after the running one."""
        with self._lock:
            if self._thread is not None:  # running: it will run once more
                self._again = True
                return
            self._again = False
            self._thread = threading.Thread(
                target=self._run, args=(merge,), name="newsindex-merge", daemon=True
            )
            self._thread.start()

    def _run(self, merge: Callable[..., object]) -> None:
        while True:
            try:
                merge(timeout=self._timeout)
            except NewsIndexError as exc:
                # A busy lock or a closed index: the next write tries again.
                _LOG.info("newsindex.web: background merge skipped: %s", exc)
            except Exception:
                _LOG.exception("newsindex.web: background merge failed")
            with self._lock:
                # Deciding to stop and saying so happen under one lock, so a
                # write's start() either sees this thread or starts another.
                if not self._again:
                    self._thread = None
                    return
                self._again = False

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the running merge, if any, to finish."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
