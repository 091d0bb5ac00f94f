"""The Xapian engine: one database and shards served by ``xapian-tcpsrv``.

Needs Xapian's bindings (Debian's ``python3-xapian``, importable only from the
system's Python: ``.ci/run`` runs this file in a venv made with
``--system-site-packages``) and, for shards, ``xapian-tcpsrv``
(``xapian-tools``); the tests skip, saying so, where they are missing.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsindex import (
    Analyzer,
    AnalyzerMismatchError,
    Article,
    ConfigurationError,
    IndexLockedError,
    NewsIndex,
    ShardUnavailableError,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "articles.jsonl"
QUERIES = [
    "harga naik",
    "kenaikan harga beras",
    "banjir jakarta",
    '"harga beras"',
    "pemilu -jakarta",
    "vaksin OR imunisasi",
    "timnas sepak bola",
    "gempa",
    "bbm subsidi pertamina",
]

HAS_XAPIAN = importlib.util.find_spec("xapian") is not None
needs_xapian = pytest.mark.skipif(
    not HAS_XAPIAN,
    reason="Xapian's Python bindings are not installed (Debian: python3-xapian, "
    "in a venv made with --system-site-packages)",
)
TCPSRV = shutil.which("xapian-tcpsrv")
needs_tcpsrv = pytest.mark.skipif(
    not (HAS_XAPIAN and TCPSRV),
    reason="Xapian's bindings (python3-xapian) or xapian-tcpsrv (xapian-tools) missing",
)


def _articles() -> list[Article]:
    with EXAMPLES.open(encoding="utf-8") as lines:
        return [Article.from_dict(json.loads(line)) for line in lines]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Shard:
    """One ``xapian-tcpsrv --writable`` on 127.0.0.1, in its own session
    (its SIGTERM handler signals its whole process group)."""

    def __init__(self, path: Path) -> None:
        import xapian

        xapian.WritableDatabase(str(path), xapian.DB_CREATE_OR_OPEN).close()
        self.path, self.port = path, _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        assert TCPSRV is not None
        self.process = subprocess.Popen(
            [
                TCPSRV,
                "--writable",
                "--interface",
                "127.0.0.1",
                "--port",
                str(self.port),
                str(self.path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            time.sleep(0.05)
        raise RuntimeError(f"xapian-tcpsrv on port {self.port} did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)
        self.process = None


@pytest.fixture
def shards(tmp_path: Path) -> Iterator[list[Shard]]:
    started = [Shard(tmp_path / f"shard{i}") for i in range(3)]
    try:
        yield started
    finally:
        for shard in started:
            shard.stop()


def _tcp(shards: list[Shard]) -> str:
    return "xapian+tcp://" + ",".join(f"127.0.0.1:{s.port}" for s in shards)


def _page(results: object) -> list[tuple[str, float, str, str]]:
    return [
        (h.id, round(h.score, 5), h.snippet.html(), h.title_snippet.html())
        for h in results  # type: ignore[attr-defined]
    ]


# -- without the bindings ------------------------------------------------------------


@pytest.mark.skipif(HAS_XAPIAN, reason="the bindings are installed here")
def test_a_xapian_location_without_the_bindings_says_how_to_get_them(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigurationError, match="python3-xapian"):
        NewsIndex.create(f"xapian:{tmp_path / 'db'}")


def test_an_unknown_scheme_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="unknown index location"):
        NewsIndex.open("elastic://localhost:9200")


# -- one database --------------------------------------------------------------------


def _embedded_and_xapian(tmp_path: Path) -> tuple[NewsIndex, NewsIndex]:
    """The sample articles in an index directory and in one Xapian database."""
    articles = _articles()
    embedded = NewsIndex.create(tmp_path / "embedded")
    embedded.add_many(articles)
    xap = NewsIndex.create(f"xapian:{tmp_path / 'db'}")
    xap.add_many(articles)
    return embedded, xap


@needs_xapian
def test_one_database_equals_the_embedded_engine(tmp_path: Path) -> None:
    """Same ids, scores, snippets, totals and facets for the same articles."""
    embedded, xap = _embedded_and_xapian(tmp_path)
    for query in QUERIES:
        for options in ({}, {"sources": ["Warta Harian"]}, {"limit": 3, "page": 2}):
            want = embedded.search(query, facets=["source", "month"], **options)  # type: ignore[arg-type]
            got = xap.search(query, facets=["source", "month"], **options)  # type: ignore[arg-type]
            assert _page(got) == _page(want), (query, options)
            assert got.total == want.total
            assert got.facets == want.facets


@needs_xapian
def test_stats_agree_with_the_embedded_engine(tmp_path: Path) -> None:
    embedded, xap = _embedded_and_xapian(tmp_path)
    want, got = embedded.stats().to_dict(), xap.stats().to_dict()
    for key in ("articles", "terms", "earliest", "latest", "sources", "categories"):
        assert got[key] == want[key], key
    assert got["analyzer"] == want["analyzer"]


@needs_xapian
def test_suggestions_equal_the_embedded_engines(tmp_path: Path) -> None:
    embedded, xap = _embedded_and_xapian(tmp_path)
    for prefix in ("se", "harga ba", "Ba", "k", "pe", "zzz", "", "harga "):
        for limit in (1, 5, 20):
            assert xap.suggest(prefix, limit) == embedded.suggest(prefix, limit), (
                prefix,
                limit,
            )


@needs_tcpsrv
def test_the_web_app_serves_shards(shards: list[Shard]) -> None:
    """The app opens the location itself, as ``newsindex serve`` makes it."""
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from newsindex.web import create_app

    NewsIndex.create(_tcp(shards)).add_many(_articles())
    with TestClient(create_app(_tcp(shards))) as client:
        found = client.get("/api/search", params={"q": "harga naik"}).json()
        assert found["total"] > 0
        assert "<mark>" in found["hits"][0]["snippet"]
        assert client.get("/api/stats").json()["articles"] == len(_articles())
        assert client.get("/", params={"q": "harga"}).status_code == 200


@needs_xapian
def test_writes_upsert_delete_and_read_back(tmp_path: Path) -> None:
    location = f"xapian:{tmp_path / 'db'}"
    articles = _articles()
    with NewsIndex.create(location) as index:
        first = index.add_many(articles)
        assert (first.added, first.updated) == (len(articles), 0)
        again = index.add_many(articles[:5])
        assert (again.added, again.updated) == (0, 5)
        assert index.count() == len(articles)
        changed = Article(id=articles[0].id, title="Judul baru", body="Isi baru.")
        index.add(changed)
        assert index.get(articles[0].id) == changed
        assert index.count() == len(articles)
        assert index.delete(articles[1].id)
        assert not index.delete(articles[1].id)
        assert index.get(articles[1].id) is None
        for article in index:  # a search meanwhile leaves the iteration be
            assert index.search(article.title or "x").total >= 0
        assert sorted(a.id for a in index) == sorted(
            [changed.id] + [a.id for a in articles[2:]]
        )
        assert index.check().ok
        stats = index.stats()
        assert stats.articles == len(articles) - 1
    with NewsIndex.open(location) as reopened:  # records its analyzer
        assert reopened.count() == len(articles) - 1
    with pytest.raises(AnalyzerMismatchError):
        NewsIndex.open(location, analyzer=Analyzer(stemmer="none"))


@needs_xapian
def test_worker_processes_give_the_same_index(tmp_path: Path) -> None:
    """``jobs=2`` analyses in worker processes: same counts, same results."""
    articles = _articles()
    twice = [*articles, *articles[:7]]  # some ids again in the same batch
    one = NewsIndex.create(f"xapian:{tmp_path / 'one'}")
    two = NewsIndex.create(f"xapian:{tmp_path / 'two'}")
    with one.writer() as writer:
        writer.add_many(twice)
        writer.delete(articles[3].id)
        writer.add(articles[3])
    with two.writer(jobs=2) as writer:
        writer.add_many(twice)
        writer.delete(articles[3].id)
        writer.add(articles[3])
    assert one.count() == two.count() == len(articles)
    for query in QUERIES:
        assert _page(two.search(query)) == _page(one.search(query)), query
    assert two.stats().to_dict()["terms"] == one.stats().to_dict()["terms"]
    summary = two.add_many(articles[:5], jobs=2)
    assert (summary.added, summary.updated) == (0, 5)


@needs_xapian
def test_worker_processes_keep_up_with_many_batches(tmp_path: Path) -> None:
    """Enough batches that the parent sends while workers send documents
    back (each answer far larger than a pipe holds); in a child process, so
    that a hang fails the test instead of stopping the suite."""
    script = (
        "import sys\n"
        "from newsindex import Article, NewsIndex\n"
        "words = 'harga beras naik di pasar induk kota menurut pedagang'.split()\n"
        "articles = [\n"
        "    Article(id=f'a{i}', title=f'Berita {i}',\n"
        "            body=' '.join(words[(i + j) % len(words)] + str(j % 50)\n"
        "                          for j in range(400)))\n"
        "    for i in range(1500)\n"
        "]\n"
        "index = NewsIndex.create(sys.argv[1])\n"
        "print(index.add_many(articles, jobs=2).added, index.count())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, f"xapian:{tmp_path / 'db'}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1500", "1500"]


@needs_xapian
def test_a_cancelled_batch_leaves_nothing(tmp_path: Path) -> None:
    location = f"xapian:{tmp_path / 'db'}"
    articles = _articles()
    with NewsIndex.create(location) as index:
        index.add_many(articles[:3])
        writer = index.writer()
        writer.add_many(articles[3:])
        writer.cancel()
        assert index.count() == 3
        with index.writer() as failing:  # an error inside the block cancels
            failing.add_many(articles[3:])
            with contextlib.suppress(ZeroDivisionError):
                failing.__exit__(ZeroDivisionError, ZeroDivisionError(), None)
        assert index.count() == 3


# -- shards ----------------------------------------------------------------------------


@needs_tcpsrv
def test_shards_equal_one_database(tmp_path: Path, shards: list[Shard]) -> None:
    articles = _articles()
    sharded = NewsIndex.create(_tcp(shards))
    sharded.add_many(articles)
    sharded.add_many(articles)  # again: no duplicates
    one = NewsIndex.create(f"xapian:{tmp_path / 'one'}")
    one.add_many(articles)
    assert sharded.count() == one.count() == len(articles)
    for query in QUERIES:
        for options in ({}, {"sort": "newest"}, {"since": "2024-09-01"}):
            want = one.search(query, facets=["category"], **options)  # type: ignore[arg-type]
            got = sharded.search(query, facets=["category"], **options)  # type: ignore[arg-type]
            assert _page(got) == _page(want), (query, options)
            assert (got.total, got.facets) == (want.total, want.facets)
    assert sharded.check().ok
    for article in articles[:5]:
        assert sharded.get(article.id) == article
    for prefix in ("se", "harga ba", "k"):
        assert sharded.suggest(prefix, 5) == one.suggest(prefix, 5)


@needs_tcpsrv
def test_one_writer_at_a_time(shards: list[Shard]) -> None:
    index = NewsIndex.create(_tcp(shards))
    writer = index.writer()
    with pytest.raises(IndexLockedError, match=f"127.0.0.1:{shards[0].port}"):
        index.writer(timeout=0.2)
    writer.add(_articles()[0])
    writer.commit()
    with index.writer(timeout=0.2) as second:  # free again
        second.add(_articles()[1])
    assert index.count() == 2


@needs_tcpsrv
def test_shards_given_in_another_order_are_refused(shards: list[Shard]) -> None:
    NewsIndex.create(_tcp(shards)).add_many(_articles()[:5])
    with pytest.raises(ConfigurationError, match="order"):
        NewsIndex.open(_tcp(shards[::-1]))


@needs_tcpsrv
def test_a_dead_shard_is_named_and_a_restarted_one_used_again(
    shards: list[Shard],
) -> None:
    index = NewsIndex.create(_tcp(shards))
    index.add_many(_articles())
    before = _page(index.search("harga naik"))
    shards[1].stop()
    with pytest.raises(ShardUnavailableError, match=f"127.0.0.1:{shards[1].port}"):
        index.search("harga naik")
    shards[1].start()
    assert _page(index.search("harga naik")) == before


@needs_tcpsrv
def test_partial_results_from_the_live_shards_when_asked(shards: list[Shard]) -> None:
    NewsIndex.create(_tcp(shards)).add_many(_articles())
    index = NewsIndex.open(_tcp(shards) + "?partial")
    everything = index.search("harga", limit=100)
    shards[0].stop()
    some = index.search("harga", limit=100)
    assert 0 < some.total < everything.total
    assert {h.id for h in some} < {h.id for h in everything}
    assert any(f"127.0.0.1:{shards[0].port} did not answer" in n for n in some.notes)
    with pytest.raises(ShardUnavailableError):  # only searches answer in part
        index.count()
    shards[0].start()
    assert index.search("harga", limit=100).total == everything.total


@needs_tcpsrv
def test_the_command_on_shards(tmp_path: Path, shards: list[Shard]) -> None:
    """Index twice (no duplicates), search as JSON, a dead shard in one line,
    and copy an embedded index onto shards."""
    location = _tcp(shards)

    def newsindex(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "newsindex", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    for _ in range(2):
        done = newsindex("index", "--index", location, "--quiet", str(EXAMPLES))
        assert done.returncode == 0, done.stderr
    found = newsindex("search", "--index", location, "--json", "harga naik")
    assert found.returncode == 0, found.stderr
    results = json.loads(found.stdout)
    assert results["total"] > 0
    embedded = tmp_path / "embedded"
    newsindex("index", "--index", str(embedded), "--quiet", str(EXAMPLES))
    with NewsIndex.open(embedded) as index:
        want = index.search("harga naik").to_dict()
    assert [h["id"] for h in results["hits"]] == [h["id"] for h in want["hits"]]

    targets = [Shard(tmp_path / f"copy{i}") for i in range(3)]
    try:
        copied = newsindex("copy", str(embedded), _tcp(targets))
        assert copied.returncode == 0, copied.stderr
        with NewsIndex.open(_tcp(targets)) as index:
            assert index.count() == len(_articles())
    finally:
        for target in targets:
            target.stop()

    shards[2].stop()
    failed = newsindex("search", "--index", location, "harga")
    assert failed.returncode == 1
    assert failed.stderr.count("\n") == 1
    assert f"127.0.0.1:{shards[2].port}" in failed.stderr
    assert "Traceback" not in failed.stderr
