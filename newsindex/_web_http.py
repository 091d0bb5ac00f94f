"""HTTP plumbing of the web app: search arguments from a query string, a body
read within a size bound, and the security headers every response carries.

Nothing here knows about pages or endpoints; :mod:`newsindex._web_api` and
:mod:`newsindex._web_pages` read requests through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs
from starlette.datastructures import MutableHeaders, QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsindex import NewsIndex, SearchResults
from newsindex._options import Sort
from newsindex.errors import QueryError

#: Headers of every response. The page needs nothing but its own style sheet,
#: script and icon; article text can never become markup or script, even if
#: escaping failed somewhere, because nothing inline is allowed to run.
SECURITY_HEADERS: Final[Mapping[str, str]] = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # Searches are in the query string; other sites need not see them.
    "Referrer-Policy": "same-origin",
}

#: Hits per page when the request names no limit.
DEFAULT_LIMIT: Final = 10


@attrs.frozen
class SearchArgs:
    """The search a query string asks for, as :meth:`NewsIndex.search` takes it.

    Values are passed on as given (dates as text); the library checks them
    and raises :class:`~newsindex.errors.QueryError`, which the app turns
    into a 400.
    """

    q: str = ""
    limit: int = DEFAULT_LIMIT
    page: int = 1
    since: str | None = None
    until: str | None = None
    sources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    sort: Sort = "relevance"

    @classmethod
    def from_query(cls, params: QueryParams) -> SearchArgs:
        """Read ``q, limit, page, since, until, source..., category..., sort``.

        Empty values count as absent (a form sends every field).

        Raises:
            QueryError: ``limit`` or ``page`` is not a whole number, or
                ``sort`` is unknown.
        """
        return cls(
            q=params.get("q", ""),
            limit=_whole(params.get("limit"), "limit", DEFAULT_LIMIT),
            page=_whole(params.get("page"), "page", 1),
            since=params.get("since") or None,
            until=params.get("until") or None,
            sources=tuple(v for v in params.getlist("source") if v.strip()),
            categories=tuple(v for v in params.getlist("category") if v.strip()),
            sort=_sort(params.get("sort")),
        )

    def query_items(self, **changes: Any) -> list[tuple[str, str]]:
        """The query string's items for this search, with ``changes`` applied
        (for the links of the result pages); defaults are left out."""
        args = attrs.evolve(self, **changes)
        items = [("q", args.q)]
        items += [("since", args.since)] if args.since else []
        items += [("until", args.until)] if args.until else []
        items += [("source", s) for s in args.sources]
        items += [("category", c) for c in args.categories]
        if args.sort != "relevance":
            items.append(("sort", args.sort))
        if args.limit != DEFAULT_LIMIT:
            items.append(("limit", str(args.limit)))
        if args.page != 1:
            items.append(("page", str(args.page)))
        return items


def _whole(text: str | None, name: str, default: int) -> int:
    if text is None or not text.strip():
        return default
    try:
        return int(text, 10)
    except ValueError:
        raise QueryError(f"{name} must be a whole number, not {text!r:.40}") from None


def _sort(text: str | None) -> Sort:
    if text in (None, "", "relevance"):
        return "relevance"
    if text == "newest":
        return "newest"
    raise QueryError(f"sort must be relevance or newest, not {text!r:.40}")


def search(
    index: NewsIndex, args: SearchArgs, *, collapse: bool = False
) -> SearchResults:
    """Run ``args`` on ``index`` (blocking: call it in a worker thread);
    ``collapse`` folds near-copies (the page does, the API follows the
    library's default)."""
    return index.search(
        args.q,
        limit=args.limit,
        page=args.page,
        since=args.since,
        until=args.until,
        sources=args.sources or None,
        categories=args.categories or None,
        sort=args.sort,
        collapse=collapse,
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused as soon as it passes ``limit`` bytes.

    ``Content-Length`` only lets a too-large body be refused before reading;
    the bound is enforced on the bytes that arrive, whatever the header says
    (a chunked body has none).

    Raises:
        HTTPException: 413, the body is (or says it is) larger than ``limit``.
    """
    too_large = HTTPException(413, f"the request body is larger than {limit:,} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` to every HTTP response.

    A plain ASGI middleware (not Starlette's ``BaseHTTPMiddleware``): it only
    edits the response's start message, so streaming and thread pools are
    untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
