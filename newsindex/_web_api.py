"""The JSON endpoints under ``/api``.

Reads are open; writes need the app's bearer token (see
:meth:`WebState.authorize`). Blocking work (searching, parsing a large body,
committing) runs in a worker thread, never on the event loop. Errors are
raised, and :mod:`newsindex._web_errors` turns them into statuses.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from newsindex import Article, WriteSummary
from newsindex._web_http import SearchArgs, read_body, search
from newsindex._web_state import WebState
from newsindex.errors import ArticleError


class Api:
    """The endpoints; each is an ``async`` method taking the request."""

    def __init__(self, state: WebState) -> None:
        self._state = state

    async def search(self, request: Request) -> Response:
        """``GET /api/search``: ``SearchResults.to_dict()``, as ``search --json``."""
        args = SearchArgs.from_query(request.query_params)
        results = await run_in_threadpool(lambda: search(self._state.index(), args))
        return JSONResponse(results.to_dict())

    async def stats(self, request: Request) -> Response:
        """``GET /api/stats``: ``IndexStats.to_dict()`` without ``path``
        (where the server keeps its files is no business of its clients)."""
        stats = await run_in_threadpool(lambda: self._state.index().stats())
        public = stats.to_dict()
        del public["path"]
        return JSONResponse(public)

    async def get_article(self, request: Request) -> Response:
        """``GET /api/articles/{id}``: ``Article.to_dict()``, or 404."""
        article_id: str = request.path_params["article_id"]
        article = await run_in_threadpool(lambda: self._state.index().get(article_id))
        if article is None:
            raise HTTPException(404, f"no article with id {article_id!r}")
        return JSONResponse(article.to_dict())

    async def post_articles(self, request: Request) -> Response:
        """``POST /api/articles``: one article object or a list of them, added
        (or replaced, by id) in one commit; returns what changed."""
        self._state.authorize(request.headers.get("authorization"))
        body = await read_body(request, self._state.max_body_bytes)
        articles = await run_in_threadpool(parse_articles, body)
        summary = await run_in_threadpool(self._write, articles)
        ids = list(dict.fromkeys(article.id for article in articles))
        return JSONResponse({**summary.to_dict(), "ids": ids})

    async def delete_article(self, request: Request) -> Response:
        """``DELETE /api/articles/{id}``: delete and commit, or 404."""
        self._state.authorize(request.headers.get("authorization"))
        article_id: str = request.path_params["article_id"]
        found = await run_in_threadpool(self._delete, article_id)
        if not found:
            raise HTTPException(404, f"no article with id {article_id!r}")
        return JSONResponse({"id": article_id, "deleted": 1})

    def _write(self, articles: list[Article]) -> WriteSummary:
        state = self._state
        summary = state.index().add_many(articles, timeout=state.write_timeout)
        state.after_write()
        return summary

    def _delete(self, article_id: str) -> bool:
        state = self._state
        found = state.index().delete(article_id, timeout=state.write_timeout)
        if found:
            state.after_write()
        return found


def parse_articles(body: bytes) -> list[Article]:
    """The articles of a request body: a JSON object, or a list of them.

    Raises:
        HTTPException: 400 naming the problem (and, for a list, the item):
            not JSON, not objects, an empty list, or an invalid article.
    """
    try:
        document: Any = json.loads(body)
    except RecursionError:
        raise HTTPException(400, "the body is JSON nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or bytes that are not text
        raise HTTPException(400, f"the body is not valid JSON: {exc}") from None
    if isinstance(document, dict):
        return [_article(document, None)]
    if not isinstance(document, list):
        raise HTTPException(
            400,
            "the body must be an article (a JSON object) or a list of them, "
            f"not {_json_type(document)}",
        )
    if not document:
        raise HTTPException(400, "the list of articles is empty")
    return [_article(item, i) for i, item in enumerate(document)]


def _article(item: object, position: int | None) -> Article:
    where = "" if position is None else f"item {position} of the list: "
    if not isinstance(item, dict):
        raise HTTPException(
            400, f"{where}an article must be a JSON object, not {_json_type(item)}"
        )
    try:
        return Article.from_dict(item)
    except ArticleError as exc:
        named = item.get("id")
        which = f"article {named!r:.80}: " if isinstance(named, str) else ""
        raise HTTPException(400, f"{where}{which}{exc}; nothing was written") from None


def _json_type(value: object) -> str:
    names = {str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return names.get(type(value), type(value).__name__)
