"""Which HTTP status each error becomes: the one place that decides.

===========================================  ====  ==========================
error                                        code  why
===========================================  ====  ==========================
``QueryError``, ``ArticleError``,            400   the request is wrong
``InputError``
``IndexLockedError``                         503   another writer is busy;
                                                   ``Retry-After`` says when
``IndexNotFoundError``, ``IndexClosedError``  503   no index to serve (not
                                                   built yet, mid-swap, or
                                                   shutting down); the next
                                                   request opens it again
``CorruptIndexError``, any other             500   the index needs an
``NewsIndexError``                                 operator (message given)
an ``HTTPException`` (401, 403, 404, 413)    its   raised by the app itself
anything else                                500   a bug: logged with its
                                                   traceback
===========================================  ====  ==========================
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Final

import attrs
from starlette.exceptions import HTTPException

from newsindex.errors import (
    ArticleError,
    CorruptIndexError,
    IndexClosedError,
    IndexLockedError,
    IndexNotFoundError,
    InputError,
    NewsIndexError,
    QueryError,
)

_LOG: Final = logging.getLogger("newsindex.web")


@attrs.frozen
class Problem:
    """What a failed request is told.

    Attributes:
        status: the HTTP status.
        message: one sentence for the client.
        headers: extra response headers (``Retry-After``,
            ``WWW-Authenticate``).
    """

    status: int
    message: str
    headers: Mapping[str, str] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, object]:
        """The JSON body of an API error."""
        return {"error": self.message, "status": self.status}


def problem_for(exc: BaseException) -> Problem:
    """The status, message and headers ``exc`` becomes (see the module table)."""
    if isinstance(exc, HTTPException):
        return Problem(exc.status_code, str(exc.detail), dict(exc.headers or {}))
    if isinstance(exc, (QueryError, ArticleError, InputError)):
        return Problem(400, str(exc))
    if isinstance(exc, IndexLockedError):
        seconds = max(1, math.ceil(exc.retry_after))
        _LOG.info(
            "newsindex.web: a write waited %.1f s for the lock (held by pid %s)",
            exc.waited,
            exc.holder,
        )
        return Problem(
            503,
            f"the index is busy with another write; try again in {seconds} s",
            {"Retry-After": str(seconds)},
        )
    if isinstance(exc, (IndexNotFoundError, IndexClosedError)):
        return Problem(503, f"no index to serve: {exc}", {"Retry-After": "5"})
    if isinstance(exc, CorruptIndexError):
        _LOG.error("newsindex.web: the index is damaged: %s", exc)
        return Problem(
            500, f"the index is damaged ('newsindex check' lists the damage): {exc}"
        )
    if isinstance(exc, NewsIndexError):
        _LOG.error("newsindex.web: %s: %s", type(exc).__name__, exc)
        return Problem(500, str(exc))
    return Problem(500, "internal error (a bug in newsindex; see the server log)")
