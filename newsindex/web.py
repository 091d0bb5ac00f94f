"""A web app over a :class:`~newsindex.NewsIndex`: a search page and a JSON API.

Needs the ``web`` extra (``pip install "newsindex[web]"``: Starlette, Jinja2,
uvicorn); ``import newsindex`` never imports it. Serve it with
``newsindex serve``, or give :func:`create_app`'s result to any ASGI server::

    from newsindex.web import create_app
    app = create_app("/srv/news/index", write_token=os.environ["TOKEN"])

=========================================  ===================================
``GET /``                                  the search page (``q``, ``since``,
                                           ``until``, ``source``,
                                           ``category``, ``sort``, ``page``)
``GET /api/search``                        ``SearchResults.to_dict()``: the
                                           page's arguments, and ``limit``;
                                           ``source`` and ``category`` repeat
``GET /api/articles/{id}``                 ``Article.to_dict()``, or 404
``GET /api/stats``                         ``IndexStats.to_dict()``
``POST /api/articles``                     add or replace one article (a JSON
                                           object, as ``Article.from_dict``
                                           reads it) or a list of them, in one
                                           commit; returns the ``WriteSummary``
                                           fields and the ``ids``
``DELETE /api/articles/{id}``              delete one article, or 404
=========================================  ===================================

Writes need ``Authorization: Bearer <token>``: without a token configured
the app is read-only (403); a missing or wrong token gets 401, and nothing
is written. Errors are JSON under ``/api`` (``{"error": ..., "status": ...}``)
and pages elsewhere: 400 for bad arguments or articles, 413 for a body over
the bound, 503 (with ``Retry-After``) while another writer holds the index or
when there is no index, 500 for a damaged index. Every response carries a
strict Content-Security-Policy: the page runs no inline script or style.

Searches and writes run in worker threads; a :class:`~newsindex.NewsIndex`
is thread-safe. With several server processes, each opens its own index.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Final

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from newsindex import NewsIndex
from newsindex._web_api import Api
from newsindex._web_errors import problem_for
from newsindex._web_http import SecurityHeaders
from newsindex._web_pages import Pages
from newsindex._web_state import WebState
from newsindex.errors import NewsIndexError

__all__ = ["create_app"]

#: Largest request body accepted by default: 10 MiB.
DEFAULT_MAX_BODY_BYTES: Final = 10 * 1024 * 1024


def create_app(
    index: NewsIndex | str | os.PathLike[str],
    *,
    write_token: str | None = None,
    write_timeout: float = 5.0,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> Starlette:
    """Build the ASGI app serving ``index`` (see the module docstring).

    Args:
        index: an open :class:`~newsindex.NewsIndex`, which the caller keeps
            and closes; or the path of one, which the app opens on first use
            in the process that serves it (never at import time, so never
            before a server forks its workers) and closes at shutdown.
        write_token: the bearer token that ``POST`` and ``DELETE`` need;
            ``None`` (the default) makes the app read-only.
        write_timeout: seconds a write waits for another writer before it
            is answered 503 with ``Retry-After``.
        max_body_bytes: largest request body accepted (413 beyond), checked
            as the body arrives.

    Returns:
        a Starlette application (an ASGI callable).

    Raises:
        ConfigurationError: an empty ``write_token``, a negative
            ``write_timeout`` or a ``max_body_bytes`` below 1.
    """
    state = WebState(
        index,
        write_token=write_token,
        write_timeout=write_timeout,
        max_body_bytes=max_body_bytes,
    )
    pages = Pages(state)
    on_error = _error_handler(pages)
    return Starlette(
        routes=_routes(Api(state), pages),
        middleware=[Middleware(SecurityHeaders)],
        # One handler for HTTPException (404, 405 and the app's own 401, 403,
        # 413), library errors, and bugs (Exception: a 500, and the server
        # logs the traceback).
        exception_handlers={
            HTTPException: on_error,
            NewsIndexError: on_error,
            Exception: on_error,
        },
        lifespan=_lifespan(state),
    )


def _routes(api: Api, pages: Pages) -> list[BaseRoute]:
    return [
        Route("/", pages.search, methods=["GET"]),
        Route("/api/search", api.search, methods=["GET"]),
        Route("/api/stats", api.stats, methods=["GET"]),
        Route("/api/articles", api.post_articles, methods=["POST"]),
        # Ids may hold slashes (ids made from addresses do).
        Route("/api/articles/{article_id:path}", api.get_article, methods=["GET"]),
        Route(
            "/api/articles/{article_id:path}", api.delete_article, methods=["DELETE"]
        ),
        Mount("/static", StaticFiles(packages=[("newsindex", "static")])),
    ]


def _error_handler(
    pages: Pages,
) -> Callable[[Request, Exception], Awaitable[Response]]:
    """Errors in JSON under ``/api``, as pages elsewhere (see _web_errors)."""

    async def on_error(request: Request, exc: Exception) -> Response:
        problem = problem_for(exc)
        path = request.url.path
        root = request.scope.get("root_path", "")
        if path.startswith(("/api/", f"{root}/api/")):
            return JSONResponse(
                problem.to_dict(), problem.status, headers=dict(problem.headers)
            )
        return pages.error_page(request, problem)

    return on_error


def _lifespan(
    state: WebState,
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """Open the index (in the serving process) at startup; close it at the end."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(state.warm_up)
        try:
            yield
        finally:
            await run_in_threadpool(state.close)

    return lifespan
