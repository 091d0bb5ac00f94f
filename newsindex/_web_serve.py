"""``newsindex serve``: uvicorn running :func:`newsindex.web.create_app`.

uvicorn starts its worker processes afresh and builds the app in each from
an import string, :data:`FACTORY`. The command hands the index path and the
write token to that factory through two environment variables it sets for
its own process and so for the workers (:data:`INDEX_VARIABLE`,
:data:`TOKEN_VARIABLE`); they are the command's private channel, not a
setting. Each worker opens its own :class:`~newsindex.NewsIndex` when it
starts serving, never before.

Importing this module imports uvicorn, Starlette and Jinja2: the command
imports it only to serve, and reports the ``web`` extra missing otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import uvicorn
from starlette.applications import Starlette

from newsindex.errors import ConfigurationError
from newsindex.web import create_app

#: The app factory uvicorn imports in each worker.
FACTORY: Final = "newsindex._web_serve:app_from_environment"
#: The index directory the workers serve (set by :func:`serve`).
INDEX_VARIABLE: Final = "NEWSINDEX_SERVE_INDEX"
#: The write token of the workers, if any (set or cleared by :func:`serve`).
TOKEN_VARIABLE: Final = "NEWSINDEX_SERVE_WRITE_TOKEN"


def app_from_environment() -> Starlette:
    """The app of one server process, from the variables :func:`serve` set.

    Raises:
        ConfigurationError: :data:`INDEX_VARIABLE` is not set.
    """
    path = os.environ.get(INDEX_VARIABLE, "")
    if not path:
        raise ConfigurationError(
            f"{INDEX_VARIABLE} is not set: start the server with 'newsindex serve'"
        )
    return create_app(path, write_token=os.environ.get(TOKEN_VARIABLE) or None)


def serve(
    index: Path | str, *, host: str, port: int, workers: int, write_token: str | None
) -> None:
    """Serve ``index`` until interrupted (blocking).

    Args:
        index: the index directory; kept as given (made absolute, links not
            followed), so that a swap of a link is followed.
        host: the address to bind.
        port: the port to bind.
        workers: server processes; each opens the index itself.
        write_token: the bearer token writes need, or ``None`` (read-only).
    """
    os.environ[INDEX_VARIABLE] = (
        index if isinstance(index, str) else os.path.abspath(index)
    )
    if write_token:
        os.environ[TOKEN_VARIABLE] = write_token
    else:
        os.environ.pop(TOKEN_VARIABLE, None)
    uvicorn.run(
        FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # The index follows new commits itself; a restart is never needed.
        reload=False,
        server_header=False,
    )
