"""newsindex inside a web backend of your own (Starlette; FastAPI is the same).

The app mounts newsindex's search page and API under ``/cari`` and adds an
endpoint of its own, ``/latest``, and a write endpoint that turns a busy
index into ``503 Retry-After``. Run it with the ``web`` extra installed::

    NEWSINDEX_INDEX=demo-index uvicorn examples.web_backend:app --workers 2

Each worker process runs the lifespan below: it opens its own ``NewsIndex``
after the server forked it, warms the stemmer, and closes the index at exit.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from newsindex import Article, ArticleError, IndexLockedError, NewsIndex
from newsindex.web import create_app

INDEX_PATH = os.environ.get("NEWSINDEX_INDEX", "demo-index")


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    index = NewsIndex.open(INDEX_PATH)  # in the worker process, after the fork
    await run_in_threadpool(index.search, "harga")  # loads the stemmer now
    app.state.index = index
    app.state.merging = threading.Lock()
    # The ready-made search page and API, on this process's one index.
    app.router.routes.append(Mount("/cari", app=create_app(index)))
    yield
    index.close()


def _index(request: Request) -> NewsIndex:
    index: NewsIndex = request.app.state.index
    return index


def latest(request: Request) -> JSONResponse:
    """The five newest articles about a topic (``?q=``). A plain ``def``:
    Starlette runs it in a thread, off the event loop."""
    results = _index(request).search(
        request.query_params.get("q", "berita"), sort="newest", limit=5
    )
    return JSONResponse([hit.to_dict() for hit in results])


async def publish(request: Request) -> JSONResponse:
    """Add one article (no authentication here: put your own in front)."""
    try:
        article = Article.from_dict(await request.json())
    except (ValueError, ArticleError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    index = _index(request)
    try:
        # Short: a request must not wait long for another process's writer.
        await run_in_threadpool(index.add, article, timeout=2.0)
    except IndexLockedError as exc:
        retry = str(max(1, round(exc.retry_after)))
        return JSONResponse(
            {"error": str(exc)}, status_code=503, headers={"Retry-After": retry}
        )
    _merge_later(request)
    return JSONResponse({"id": article.id}, status_code=201)


def _merge_later(request: Request) -> None:
    """Commits leave large merges for later: run them off the request."""
    merging: threading.Lock = request.app.state.merging
    if merging.acquire(blocking=False):

        def merge() -> None:
            try:
                with contextlib.suppress(IndexLockedError):
                    _index(request).merge()
            finally:
                merging.release()

        threading.Thread(target=merge, daemon=True).start()


app = Starlette(
    routes=[Route("/latest", latest), Route("/articles", publish, methods=["POST"])],
    lifespan=lifespan,
)
