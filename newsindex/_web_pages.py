"""The search page, rendered on the server: it works without JavaScript.

Templates are Jinja2 with autoescaping on for everything. Two strings only
are marked safe, in :class:`HitView`: the title and the snippet rendered by
:meth:`Snippet.html`, which escapes all the article's text (quotes
included) and adds nothing but ``<mark>`` tags. Everything else from an
article, its address included, is escaped by the template, and its address
is linked only if it is ``http`` or ``https``.
"""

from __future__ import annotations

import datetime as dt
import math
import urllib.parse
from typing import Any, Final

import attrs
import jinja2
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from newsindex import Article, Hit, NewsIndex, SearchResults, __version__
from newsindex._web_errors import Problem
from newsindex._web_http import SearchArgs, search
from newsindex._web_state import WebState
from newsindex.errors import QueryError

_MONTHS: Final = (
    *("Jan", "Feb", "Mar", "Apr", "May", "Jun"),
    *("Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
)
#: Page numbers shown on each side of the current one.
_PAGE_WINDOW: Final = 2


def templates() -> jinja2.Environment:
    """The page templates (package data), autoescaping everything."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("newsindex", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Sources are filtered ignoring case and spacing, and listed that way.
    environment.filters["facet"] = lambda text: " ".join(str(text).split()).casefold()
    return environment


@attrs.frozen
class CopyView:
    """A near-copy of a result, listed under it (escaped by the template)."""

    name: str
    url: str | None

    @classmethod
    def of(cls, article: Article) -> CopyView:
        """The view of ``article``: its source (else title, else id), linked."""
        name = article.source.strip() or article.title.strip() or article.id
        return cls(name, _web_address(article.url))


@attrs.frozen
class HitView:
    """One result as the page shows it."""

    rank: int
    title_html: Markup
    snippet_html: Markup
    url: str | None
    date_iso: str | None
    date_text: str
    source: str
    category: str
    copies: tuple[CopyView, ...] = ()

    @classmethod
    def of(cls, hit: Hit, copies: tuple[CopyView, ...] = ()) -> HitView:
        """The view of ``hit``, with its near-copies'."""
        title = hit.title_snippet.html() if hit.title.strip() else ""
        published = hit.published
        return cls(
            rank=hit.rank,
            # Safe: Snippet.html() escapes the article's text; only <mark> is
            # markup. These are the only two strings the page does not escape.
            title_html=Markup(title) if title else Markup.escape(f"({hit.id})"),
            snippet_html=Markup(hit.snippet.html()),
            url=_web_address(hit.url),
            date_iso=None if published is None else published.isoformat(),
            date_text=_date_text(published),
            source=hit.source,
            category=hit.category,
            copies=copies,
        )


def _copies(index: NewsIndex, hit: Hit) -> tuple[CopyView, ...]:
    """The views of the near-copies folded into ``hit`` (a commit may have
    removed one since the search)."""
    found = (index.get(article_id) for article_id in hit.duplicates)
    return tuple(CopyView.of(article) for article in found if article is not None)


def _web_address(url: str) -> str | None:
    """``url`` if it is an absolute ``http(s)`` address (never ``javascript:``)."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url.strip()
    return None


def _date_text(published: dt.date | None) -> str:
    if published is None:
        return ""
    return f"{published.day} {_MONTHS[published.month - 1]} {published.year}"


@attrs.frozen
class PageLink:
    """A link of the pagination bar; ``href`` is ``None`` for a gap, the
    current page, or a previous or next page that does not exist."""

    label: str
    href: str | None
    current: bool = False
    rel: str | None = None


def page_links(args: SearchArgs, total: int) -> list[PageLink]:
    """Previous, numbered pages around the current one (with the first and
    last), and next."""
    last = max(1, math.ceil(total / args.limit))
    here = args.page

    def to(page: int) -> str:
        return _href(args, page=page)

    links = [PageLink("Previous", to(here - 1) if here > 1 else None, rel="prev")]
    shown = {1, last, *range(here - _PAGE_WINDOW, here + _PAGE_WINDOW + 1)}
    previous = 0
    for page in sorted(p for p in shown if 1 <= p <= last):
        if page > previous + 1:
            links.append(PageLink("…", None))
        current = page == here
        links.append(PageLink(str(page), None if current else to(page), current))
        previous = page
    links.append(PageLink("Next", to(here + 1) if here < last else None, rel="next"))
    return links


def _filters(args: SearchArgs) -> list[str]:
    """The filters of ``args``, in words (the page lists them)."""
    words = [f"from {args.since}"] if args.since else []
    words += [f"until {args.until}"] if args.until else []
    words += [f"source {s}" for s in args.sources]
    words += [f"category {c}" for c in args.categories]
    return words


def _href(args: SearchArgs, **changes: Any) -> str:
    """The relative address of the search ``args`` with ``changes``."""
    return "?" + urllib.parse.urlencode(args.query_items(**changes))


class Pages:
    """The HTML endpoints, and the HTML rendering of errors."""

    def __init__(self, state: WebState) -> None:
        self._state = state
        self._templates = templates()

    async def search(self, request: Request) -> Response:
        """``GET /``: the search form, and a page of results for ``q``.

        Bad arguments (a date that is not one, a page of 0) are shown on the
        page, with status 400.
        """
        error = None
        try:
            args = SearchArgs.from_query(request.query_params)
        except QueryError as exc:
            args, error = SearchArgs(q=request.query_params.get("q", "")), str(exc)
        try:
            context = await run_in_threadpool(self._context, None if error else args)
        except QueryError as exc:  # a bad date or page, found by the library
            error = str(exc)
            context = await run_in_threadpool(self._context, None)
        status = 400 if error else 200
        return self._render(
            request, "search.html", status, args=args, error=error, **context
        )

    def _context(self, args: SearchArgs | None) -> dict[str, Any]:
        """What the page shows besides the form (blocking)."""
        state = self._state
        index = state.index()
        results: SearchResults | None = None
        if args is not None and args.q.strip():
            results = search(index, args, collapse=True)
        return {
            "articles": index.count(),
            "source_names": state.sources(),
            "results": results,
            "hits": [HitView.of(hit, _copies(index, hit)) for hit in results or ()],
            "pages": page_links(args, results.total) if args and results else [],
            "filters": _filters(args) if args else [],
            "first_page": _href(args, page=1) if args else "",
            "unfiltered": _href(SearchArgs(q=args.q)) if args else "",
            "corrected": (
                _href(args, q=results.suggestion, page=1)
                if args and results is not None and results.suggestion
                else ""
            ),
        }

    def error_page(self, request: Request, problem: Problem) -> Response:
        """An error as a page (for HTML routes; the API answers in JSON)."""
        response = self._render(
            request,
            "error.html",
            problem.status,
            args=SearchArgs(),
            source_names=(),
            problem=problem,
        )
        response.headers.update(problem.headers)
        return response

    def _render(
        self, request: Request, name: str, status: int, **context: Any
    ) -> Response:
        base = request.scope.get("root_path", "").rstrip("/") + "/"
        html = self._templates.get_template(name).render(
            base=base, version=__version__, **context
        )
        return HTMLResponse(html, status_code=status)
