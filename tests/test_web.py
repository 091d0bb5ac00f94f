"""The web app (:mod:`newsindex.web`) over HTTP, and ``newsindex serve``.

Reads go to the shared, read-only sample index; tests that write make their
own small index. Starlette's TestClient speaks HTTP to the app in-process;
one test starts the real server (``newsindex serve`` with two workers).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsindex import (
    Analyzer,
    Article,
    CorruptIndexError,
    IndexClosedError,
    IndexLockedError,
    IndexNotFoundError,
    MergeSummary,
    NewsIndex,
    QueryError,
    WorkerError,
)
from newsindex.cli import main
from newsindex.errors import ArticleError, ConfigurationError, InputError
from newsindex.web import create_app

with warnings.catch_warnings():
    # Starlette's newest TestClient runs on httpx2 (Python 3.11+) and warns
    # when it falls back to httpx; the Starlette releases Python 3.10 gets
    # name an alias that newer anyio deprecates. Neither concerns the app.
    warnings.filterwarnings("ignore", message=".*install `httpx2` instead")
    warnings.filterwarnings("ignore", message="The anyio.* alias is deprecated")
    from starlette.testclient import TestClient

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

HOSTILE = {
    "id": "hostile",
    "title": 'Banjir <script>window.__pwned = 1</script> "quoted" & <b>bold</b>',
    "body": (
        "Banjir bandang <img src=x onerror=alert(1)> merendam desa "
        '<svg onload=alert(2)></svg> dan <a href="javascript:alert(3)">x</a>.'
    ),
    "date": "2024-05-01",
    "source": "<script>alert('source')</script>",
    "category": "<i onmouseover=alert(4)>Daerah</i>",
    "url": "javascript:alert(5)",
}


# -- fixtures ------------------------------------------------------------------


@pytest.fixture(scope="module")
def reader(sample_index: NewsIndex) -> Iterator[TestClient]:
    """A read-only app (no token) over the shared sample index."""
    with TestClient(create_app(sample_index)) as client:
        yield client


@pytest.fixture
def index(empty_index: NewsIndex, sample_articles: list[Article]) -> NewsIndex:
    """This test's own index, holding the first five sample articles."""
    empty_index.add_many(sample_articles[:5])
    return empty_index


@pytest.fixture
def writer(index: NewsIndex) -> Iterator[TestClient]:
    """A writable app (token ``TOKEN``, write timeout 0.2 s) over ``index``."""
    app = create_app(index, write_token=TOKEN, write_timeout=0.2)
    with TestClient(app) as client:
        yield client


#: An article of ``index``, which tests try to delete.
VICTIM = "eko-bbm-nonsubsidi"


# -- the search page -----------------------------------------------------------


def test_home_page_has_the_form_and_strict_headers(reader: TestClient) -> None:
    response = reader.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<input id="q" name="q" type="search"' in response.text
    assert '<form class="search" method="get" action="/"' in response.text
    assert "Search 40 news articles" in response.text
    csp = response.headers["content-security-policy"]
    for directive in (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    # Nothing inline for the policy to forbid.
    assert "<style" not in response.text
    assert " style=" not in response.text
    assert re.search(r"<script(?![^>]*\ssrc=)", response.text) is None
    assert re.search(r"\son[a-z]+=", response.text) is None


def test_search_page_shows_highlighted_results(reader: TestClient) -> None:
    response = reader.get("/", params={"q": "kenaikan harga beras"})
    assert response.status_code == 200
    page = response.text
    assert page.count('<article class="hit">') == 10
    assert "<mark>" in page
    assert re.search(r"Results 1\N{EN DASH}10 of <strong>\d+</strong> articles", page)
    assert re.search(r"\(\d+\.\d ms\)", page)
    assert '<time datetime="2024-03-14">14 Mar 2024</time>' in page
    assert '<span class="source">Warta Harian</span>' in page
    assert '<span class="category">Ekonomi</span>' in page
    assert 'rel="next"' in page


def test_search_page_paginates(reader: TestClient, sample_index: NewsIndex) -> None:
    total = sample_index.search("harga naik").total
    assert total > 10
    page = reader.get("/", params={"q": "harga naik", "page": "2"}).text
    assert f"Results 11\N{EN DASH}{min(20, total)} of <strong>{total}</strong>" in page
    assert '<ol class="results" start="11">' in page
    assert '<span aria-current="page">2</span>' in page
    assert 'href="?q=harga+naik" rel="prev"' in page


def test_search_page_filters_and_sorts(
    reader: TestClient, sample_index: NewsIndex
) -> None:
    params = {"q": "harga", "source": "Warta Harian", "sort": "newest"}
    page = reader.get("/", params=params).text
    expected = sample_index.search("harga", sources="Warta Harian", sort="newest")
    dates = re.findall(r'<time datetime="([^"]+)">', page)
    assert dates == [hit.published.isoformat() for hit in expected]  # type: ignore[union-attr]
    assert dates == sorted(dates, reverse=True)
    assert set(re.findall(r'<span class="source">([^<]+)</span>', page)) == {
        "Warta Harian"
    }
    assert '<option value="Warta Harian" selected>' in page
    assert '<option value="newest" selected>' in page
    assert "(source Warta Harian), newest first" in page


def test_search_page_date_filter(reader: TestClient) -> None:
    page = reader.get(
        "/", params={"q": "harga", "since": "2024-09-01", "until": "2024-09-30"}
    ).text
    dates = re.findall(r'<time datetime="([^"]+)">', page)
    assert dates
    assert all("2024-09-01" <= d <= "2024-09-30" for d in dates)
    assert 'name="since" value="2024-09-01"' in page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "2024-13-45"}, "since: &#39;2024-13-45&#39; is not a date"),
        ({"until": "kemarin"}, "is not a date"),
        ({"page": "x"}, "page must be a whole number"),
        ({"page": "0"}, "page"),
        ({"sort": "oldest"}, "sort must be relevance or newest"),
        ({"limit": "100000"}, "limit must be"),
    ],
)
def test_bad_arguments_are_shown_on_the_page_with_400(
    reader: TestClient, params: dict[str, str], message: str
) -> None:
    response = reader.get("/", params={"q": "banjir", **params})
    assert response.status_code == 400
    assert 'class="error" role="alert"' in response.text
    assert message in response.text
    assert 'name="q" type="search" value="banjir"' in response.text


def test_no_results_and_notes(reader: TestClient) -> None:
    page = reader.get("/", params={"q": "zzzyyyxxx"}).text
    assert "No articles match your search." in page
    assert "<article" not in page
    page = reader.get("/", params={"q": "yang dan"}).text
    assert '<p class="note">the query has no searchable words' in page
    page = reader.get("/", params={"q": "harga", "source": "Tidak Ada"}).text
    assert "search all articles" in page


def test_a_page_past_the_end(reader: TestClient) -> None:
    page = reader.get("/", params={"q": "harga", "page": "50"}).text
    assert "This page is past the last result." in page
    assert '<a href="?q=harga">Back to the first page</a>' in page


def test_static_files_and_head(reader: TestClient) -> None:
    css = reader.get("/static/style.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["x-content-type-options"] == "nosniff"
    assert reader.get("/static/search.js").status_code == 200
    assert reader.get("/static/../web.py").status_code == 404
    assert reader.head("/").status_code == 200


def test_unknown_pages_are_404_pages(reader: TestClient) -> None:
    response = reader.get("/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Not found" in response.text
    assert "content-security-policy" in response.headers


# -- escaping ------------------------------------------------------------------


def test_article_markup_is_escaped_in_the_page(writer: TestClient) -> None:
    assert writer.post("/api/articles", json=HOSTILE, headers=AUTH).status_code == 200
    page = writer.get("/", params={"q": "banjir bandang"}).text
    start = page.index('<ol class="results"')
    results = page[start : page.index("</ol>", start)]
    for raw in ("<script", "<img", "<svg", "<b>", "<i ", '<a href="javascript'):
        assert raw not in results, raw
    assert 'href="javascript:' not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in results
    assert "&lt;img src=x onerror=alert(1)&gt;" in results
    assert "&lt;svg onload=alert(2)&gt;" in results
    assert "&#34;quoted&#34; &amp;" in results or "&quot;quoted&quot; &amp;" in results
    assert "&lt;script&gt;alert(&#39;source&#39;)&lt;/script&gt;" in results
    assert "<mark>Banjir</mark>" in results
    # The only markup in a result is the page's own, and <mark>.
    tags = set(re.findall(r"</?([a-z0-9]+)", results))
    assert tags <= {"ol", "li", "article", "h2", "p", "time", "span", "mark"}


# -- the JSON API: reading -----------------------------------------------------


def test_api_search_is_the_search_json(
    reader: TestClient, sample_index: NewsIndex
) -> None:
    response = reader.get(
        "/api/search",
        params={"q": "harga", "limit": "3", "page": "2", "sort": "newest"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    got = response.json()
    expected = sample_index.search("harga", limit=3, page=2, sort="newest").to_dict()
    got.pop("took_ms")
    expected.pop("took_ms")
    assert got == expected


def test_api_search_repeats_sources_and_categories(
    reader: TestClient, sample_index: NewsIndex
) -> None:
    query = "q=harga&source=Warta+Harian&source=Berita+Kita&category=ekonomi"
    got = reader.get(f"/api/search?{query}").json()
    expected = sample_index.search(
        "harga", sources=["Warta Harian", "Berita Kita"], categories="ekonomi"
    )
    assert [h["id"] for h in got["hits"]] == [h.id for h in expected]
    assert {h["source"] for h in got["hits"]} <= {"Warta Harian", "Berita Kita"}


@pytest.mark.parametrize(
    "query",
    [
        "q=harga&since=2024-02-30",
        "q=harga&until=soon",
        "q=harga&limit=0",
        "q=harga&limit=ten",
        "q=harga&page=-1",
        "q=harga&sort=oldest",
        "q=harga&since=2024-12-01&until=2024-01-01",
    ],
)
def test_api_search_bad_arguments_are_400(reader: TestClient, query: str) -> None:
    response = reader.get(f"/api/search?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert body["error"]


def test_api_article_and_stats(
    reader: TestClient, sample_index: NewsIndex, sample_articles: list[Article]
) -> None:
    article = sample_articles[0]
    response = reader.get(f"/api/articles/{article.id}")
    assert response.status_code == 200
    assert response.json() == article.to_dict()
    missing = reader.get("/api/articles/no-such-article")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": "no article with id 'no-such-article'",
        "status": 404,
    }
    stats = reader.get("/api/stats")
    assert stats.status_code == 200
    expected = sample_index.stats().to_dict()
    del expected["path"]  # not told to clients
    assert stats.json() == expected
    assert reader.get("/api/articles").status_code == 405


# -- the JSON API: writing -----------------------------------------------------


def test_a_read_only_app_refuses_writes(
    reader: TestClient, sample_index: NewsIndex
) -> None:
    before = sample_index.count()
    for response in (
        reader.post("/api/articles", json={"id": "new", "title": "x"}, headers=AUTH),
        reader.delete("/api/articles/eko-bbm-nonsubsidi", headers=AUTH),
    ):
        assert response.status_code == 403
        assert "read-only" in response.json()["error"]
    assert sample_index.count() == before
    assert "eko-bbm-nonsubsidi" in sample_index


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
    ],
)
def test_writes_need_the_right_token(
    writer: TestClient, index: NewsIndex, headers: dict[str, str]
) -> None:
    before = index.count()
    responses = [
        writer.post("/api/articles", json={"id": "new", "title": "x"}, headers=headers),
        writer.delete(f"/api/articles/{VICTIM}", headers=headers),
    ]
    for response in responses:
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert index.count() == before
    assert VICTIM in index
    assert "new" not in index


def test_post_one_article_then_replace_it(writer: TestClient, index: NewsIndex) -> None:
    article = {"id": "a/b c", "title": "Banjir Rob", "body": "Air laut naik."}
    response = writer.post("/api/articles", json=article, headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert (body["added"], body["updated"], body["deleted"]) == (1, 0, 0)
    assert body["ids"] == ["a/b c"]
    assert body["seconds"] >= 0
    assert writer.get("/api/articles/a/b c").json()["title"] == "Banjir Rob"
    assert writer.get("/api/articles/a%2Fb%20c").status_code == 200
    article["title"] = "Banjir Rob Surut"
    body = writer.post("/api/articles", json=article, headers=AUTH).json()
    assert (body["added"], body["updated"]) == (0, 1)
    assert index.get("a/b c").title == "Banjir Rob Surut"  # type: ignore[union-attr]


def test_post_a_list_in_one_commit(writer: TestClient, index: NewsIndex) -> None:
    before = index.count()
    items = [
        {"id": f"list-{i}", "title": f"Berita {i}", "date": "2024-01-0" + str(i + 1)}
        for i in range(3)
    ]
    response = writer.post("/api/articles", json=items, headers=AUTH)
    assert response.status_code == 200
    assert response.json()["added"] == 3
    assert index.count() == before + 3
    assert index.get("list-2").published.isoformat() == "2024-01-03"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "the body is not valid JSON"),
        (b"", "the body is not valid JSON"),
        (b"\xff\xfe\x00", "the body is not valid JSON"),
        (b"[" * 100_000, "nested too deeply"),
        (b'"an article"', "not a string"),
        (b"[]", "the list of articles is empty"),
        (b'{"title": "no id"}', "the record has no 'id'"),
        (b'{"id": "x", "date": "31/12/2024"}', "article 'x': published date"),
        (b'{"id": "x", "title": 5}', "expected text"),
        (b'{"id": "x", "tags": NaN}', "not a finite number"),
    ],
)
def test_bad_bodies_are_400(
    writer: TestClient, index: NewsIndex, body: bytes, message: str
) -> None:
    before = index.count()
    response = writer.post(
        "/api/articles",
        content=body,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert index.count() == before
    assert "x" not in index


def test_a_bad_article_in_a_list_writes_nothing(
    writer: TestClient, index: NewsIndex
) -> None:
    before = index.count()
    items = [
        {"id": "good-1", "title": "Baik"},
        {"id": "good-2", "title": "Baik juga"},
        {"id": "bad", "title": "Tanggal salah", "published": "kemarin"},
        {"id": "good-3", "title": "Baik lagi"},
    ]
    response = writer.post("/api/articles", json=items, headers=AUTH)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error.startswith("item 2 of the list: article 'bad': published date")
    assert error.endswith("nothing was written")
    assert index.count() == before
    assert "good-1" not in index
    response = writer.post("/api/articles", json=[{"id": "ok"}, [1]], headers=AUTH)
    assert response.status_code == 400
    assert (
        "item 1 of the list: an article must be a JSON object, not a list"
        in (response.json()["error"])
    )
    assert "ok" not in index


def test_request_size_is_bounded(index: NewsIndex) -> None:
    app = create_app(index, write_token=TOKEN, max_body_bytes=1_000)
    article = {"id": "big", "body": "kata " * 400}
    with TestClient(app) as client:
        response = client.post("/api/articles", json=article, headers=AUTH)
        assert response.status_code == 413
        assert "larger than 1,000 bytes" in response.json()["error"]

        # No Content-Length (a chunked body): counted as it arrives.
        def chunks() -> Iterator[bytes]:
            yield json.dumps(article).encode()

        response = client.post("/api/articles", content=chunks(), headers=AUTH)
        assert response.status_code == 413
        assert "big" not in index
        small = client.post("/api/articles", json={"id": "small"}, headers=AUTH)
        assert small.status_code == 200


def test_a_held_lock_is_503_with_retry_after(
    writer: TestClient, index: NewsIndex
) -> None:
    with index.writer():
        post = writer.post("/api/articles", json={"id": "late"}, headers=AUTH)
        delete = writer.delete(f"/api/articles/{VICTIM}", headers=AUTH)
    for response in (post, delete):
        assert response.status_code == 503
        assert int(response.headers["retry-after"]) >= 1
        assert "busy" in response.json()["error"]
    assert "late" not in index
    assert VICTIM in index
    assert writer.post("/api/articles", json={"id": "late"}, headers=AUTH).is_success


def test_delete(writer: TestClient, index: NewsIndex) -> None:
    response = writer.delete(f"/api/articles/{VICTIM}", headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {"id": VICTIM, "deleted": 1}
    assert VICTIM not in index
    assert writer.delete(f"/api/articles/{VICTIM}", headers=AUTH).status_code == 404


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["id", "title", "body", "date", "published", "source", "x"]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=40)
@given(document=_JSON)
def test_any_json_body_is_written_or_refused_never_a_500(
    writer: TestClient, document: Any
) -> None:
    response = writer.post(
        "/api/articles",
        content=json.dumps(document).encode(),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code in (200, 400), response.text
    assert "error" in response.json() or "added" in response.json()


class MergingIndex(NewsIndex):
    """An index whose ``merge`` says when it was called."""

    merged = threading.Event()

    def merge(self, *, timeout: float = 10.0) -> MergeSummary:
        summary = super().merge(timeout=timeout)
        type(self).merged.set()
        return summary


def test_a_write_starts_a_background_merge(tmp_path: Path, analyzer: Analyzer) -> None:
    NewsIndex.create(tmp_path / "ix", analyzer=analyzer).close()
    with MergingIndex.open(tmp_path / "ix") as index:
        MergingIndex.merged.clear()
        with TestClient(create_app(index, write_token=TOKEN)) as client:
            client.get("/api/search", params={"q": "banjir"})
            assert not MergingIndex.merged.is_set()
            client.post("/api/articles", json={"id": "m"}, headers=AUTH)
            assert MergingIndex.merged.wait(5)


# -- errors, configuration, lifetime -------------------------------------------


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (QueryError("bad"), 400),
        (ArticleError("bad"), 400),
        (InputError("f.jsonl", 3, "bad"), 400),
        (IndexLockedError("busy", retry_after=2.5), 503),
        (IndexNotFoundError("none"), 503),
        (IndexClosedError("closed"), 503),
        (CorruptIndexError("damaged"), 500),
        (WorkerError("died"), 500),
        (RuntimeError("secret detail"), 500),
    ],
)
def test_errors_map_to_statuses(error: Exception, status: int) -> None:
    from newsindex._web_errors import problem_for

    problem = problem_for(error)
    assert problem.status == status
    if isinstance(error, IndexLockedError):
        assert problem.headers["Retry-After"] == "3"
    if type(error) is RuntimeError:  # a bug: its details stay in the server log
        assert problem.message.startswith("internal error")
        assert "secret detail" not in problem.message


def test_a_path_is_opened_on_first_use_and_retried(
    tmp_path: Path, analyzer: Analyzer
) -> None:
    path = tmp_path / "later"
    app = create_app(path, write_token=TOKEN)  # nothing there yet: no error
    with TestClient(app) as client:
        response = client.get("/api/stats")
        assert response.status_code == 503
        assert "no index to serve" in response.json()["error"]
        page = client.get("/", params={"q": "banjir"})
        assert page.status_code == 503
        assert "Temporarily unavailable" in page.text
        NewsIndex.create(path, analyzer=analyzer).close()
        assert client.get("/api/stats").json()["articles"] == 0
        assert client.post("/api/articles", json={"id": "x"}, headers=AUTH).is_success
    with NewsIndex.open(path) as index:
        assert "x" in index


def test_a_damaged_index_is_a_500_with_a_message(
    tmp_path: Path, analyzer: Analyzer, sample_articles: list[Article]
) -> None:
    path = tmp_path / "ix"
    with NewsIndex.create(path, analyzer=analyzer) as index:
        index.add_many(sample_articles[:3])
    (path / "newsindex.json").write_text("{not json", encoding="utf-8")
    with TestClient(create_app(path)) as client:
        response = client.get("/api/stats")
    assert response.status_code == 500
    assert response.json()["error"]


@pytest.mark.parametrize(
    "keywords",
    [
        {"write_token": ""},
        {"write_timeout": -1},
        {"max_body_bytes": 0},
    ],
)
def test_bad_settings_raise(keywords: dict[str, Any], empty_index: NewsIndex) -> None:
    with pytest.raises(ConfigurationError):
        create_app(empty_index, **keywords)


def test_importing_newsindex_does_not_import_the_web_stack() -> None:
    code = (
        "import sys, newsindex, newsindex.cli; "
        "print(sorted(m for m in ('starlette', 'jinja2', 'uvicorn') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# -- newsindex serve -----------------------------------------------------------


def test_serve_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--workers", "--write-token", "--index"):
        assert option in out
    assert "127.0.0.1" in out
    assert "NEWSINDEX_WRITE_TOKEN" in out


def test_serve_without_an_index_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--index", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("newsindex: error: no newsindex index at")
    assert err.count("\n") == 1


def test_serve_without_the_web_extra_fails_in_one_line(
    sample_index: NewsIndex,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delitem(sys.modules, "newsindex._web_serve", raising=False)
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    assert main(["serve", "--index", str(sample_index.path)]) == 1
    err = capsys.readouterr().err
    assert err == (
        "newsindex: error: 'newsindex serve' needs the web extra (uvicorn is "
        "missing): pip install 'newsindex[web]'\n"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _request(
    url: str, *, data: bytes | None = None, method: str = "GET", token: str = ""
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.load(exc)


@contextlib.contextmanager
def serving(index: Path, *arguments: str, token: str = "") -> Iterator[str]:
    """Run ``newsindex serve`` on a free port; yield its address."""
    port = _free_port()
    env = {**os.environ, "NEWSINDEX_WRITE_TOKEN": token}
    command = [sys.executable, "-m", "newsindex", "serve", "--index", str(index)]
    server = subprocess.Popen(
        [*command, "--port", str(port), *arguments],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _request(f"{base}/api/stats")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(server.stderr.read().decode()) from None  # type: ignore[union-attr]
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
        server.stderr.close()  # type: ignore[union-attr]


def test_serve_with_two_workers(
    tmp_path: Path, analyzer: Analyzer, sample_articles: list[Article]
) -> None:
    path = tmp_path / "ix"
    with NewsIndex.create(path, analyzer=analyzer) as index:
        index.add_many(sample_articles)
    with serving(path, "--workers", "2", token=TOKEN) as base:
        status, stats = _request(f"{base}/api/stats")
        assert (status, stats["articles"]) == (200, 40)
        body = json.dumps({"id": "served", "title": "Banjir Rob"}).encode()
        assert _request(f"{base}/api/articles", data=body, method="POST")[0] == 401
        wrong = _request(f"{base}/api/articles", data=body, method="POST", token="x")
        assert wrong[0] == 401
        status, summary = _request(
            f"{base}/api/articles", data=body, method="POST", token=TOKEN
        )
        assert (status, summary["added"]) == (200, 1)
        # Whichever worker answers sees the commit.
        for _ in range(4):
            assert _request(f"{base}/api/articles/served")[0] == 200
