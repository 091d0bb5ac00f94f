"""A bounded load run of ``newsindex serve``, on 127.0.0.1 only.

For each worker count, on a fresh copy of the given index: start
``newsindex serve`` (a subprocess, with a write token); check that writes
without a token or with a wrong one are refused and write nothing; then run,
at the same time, several clients sending searches made from real CLICK-ID
headlines, one writer POSTing single articles (one per request), and another
process calling ``stats()`` and ``count()`` on the index in a loop. Then every
posted article must be found by id.

Usage::

    python -m bench.load --index DIR [--clients 4] [--searches 1000]
                         [--posts 100] [--workers 1,2]

Prints JSON: per worker count, search throughput and p50/p95/p99/max, POST
p50 and slowest, errors (which must be 0), and whether every posted article
was found; exits with status 1 if a run had errors, wrote without the
token, or lost a posted article. Every request has a timeout and each run a
deadline, so the run ends by itself (a minute or two on 3,000 articles).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import queue
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import cycle, islice
from pathlib import Path
from typing import Any

from bench.common import percentiles, queries, records
from newsindex import NewsIndex

HOST = "127.0.0.1"
#: Seconds one request may take before it counts as an error.
REQUEST_TIMEOUT = 30.0
#: Seconds one run (one worker count) may take in all.
RUN_DEADLINE = 240.0


class Client:
    """One keep-alive HTTP connection to the server."""

    def __init__(self, port: int, token: str = "") -> None:
        self._connection = http.client.HTTPConnection(
            HOST, port, timeout=REQUEST_TIMEOUT
        )
        self._token = token

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any, float]:
        """Send one request; return its status, JSON body and seconds."""
        headers = {"Content-Type": "application/json"}
        token = self._token if token is None else token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        started = time.perf_counter()
        try:
            self._connection.request(method, path, body=data, headers=headers)
            response = self._connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self._connection.close()  # reconnects on the next request
            return 0, None, time.perf_counter() - started
        seconds = time.perf_counter() - started
        return response.status, json.loads(payload or b"null"), seconds

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server(index: Path, workers: int, token: str, log: Path) -> Iterator[int]:
    """``newsindex serve`` on a free port of 127.0.0.1; yields the port."""
    port = _free_port()
    command = [sys.executable, "-m", "newsindex", "serve", "--index", str(index)]
    command += ["--host", HOST, "--port", str(port), "--workers", str(workers)]
    env = {**os.environ, "NEWSINDEX_WRITE_TOKEN": token}
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=output)
    try:
        deadline = time.monotonic() + 60
        probe = Client(port)
        while probe.call("GET", "/api/stats")[0] != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"newsindex serve did not start; see {log}")
            time.sleep(0.2)
        probe.close()
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _stats_loop(path: str, stop: Any, results: Any) -> None:
    """Call ``stats()`` and ``count()`` until told to stop (a child process)."""
    calls = errors = 0
    first_error = ""
    index = NewsIndex.open(path)
    while not stop.is_set():
        try:
            stats = index.stats()
            if index.count() < 0 or stats.articles < 0:
                raise AssertionError("a negative count")
            calls += 1
        except Exception as exc:
            errors += 1
            first_error = first_error or f"{type(exc).__name__}: {exc}"
    index.close()
    results.put({"calls": calls, "errors": errors, "first_error": first_error})


def _searcher(port: int, texts: list[str], out: dict[str, Any], stop: float) -> None:
    client = Client(port)
    seconds, errors = [], 0
    for text in texts:
        if time.monotonic() > stop:
            errors += 1
            break
        path = "/api/search?" + urllib.parse.urlencode({"q": text, "limit": 10})
        status, _, took = client.call("GET", path)
        seconds.append(took)
        errors += status != 200
    client.close()
    out.update(seconds=seconds, errors=errors)


def _writer(
    port: int, token: str, articles: list[dict[str, Any]], out: dict[str, Any]
) -> None:
    client = Client(port, token)
    seconds, failures = [], []
    for article in articles:
        status, body, took = client.call("POST", "/api/articles", article)
        seconds.append(took)
        if status != 200 or body.get("added") != 1:
            failures.append(f"{article['id']}: {status} {body}")
    client.close()
    out.update(seconds=seconds, failures=failures)


def _refused_writes(port: int, token: str) -> dict[str, Any]:
    """POST without a token and with a wrong one: both 401, nothing written."""
    client = Client(port)
    before = client.call("GET", "/api/stats")[1]["articles"]
    article = {"id": "load-refused", "title": "Tidak boleh"}
    missing = client.call("POST", "/api/articles", article, token="")[0]
    wrong = client.call("POST", "/api/articles", article, token=token + "x")[0]
    after = client.call("GET", "/api/stats")[1]["articles"]
    found = client.call("GET", "/api/articles/load-refused")[0]
    client.close()
    return {
        "no_token": missing,
        "wrong_token": wrong,
        "written": after - before,
        "refused": missing == wrong == 401 and after == before and found == 404,
    }


def _found(port: int, articles: list[dict[str, Any]]) -> int:
    client = Client(port)
    found = 0
    for article in articles:
        path = "/api/articles/" + urllib.parse.quote(article["id"], safe="")
        status, body, _ = client.call("GET", path)
        found += status == 200 and body["title"] == (article.get("title") or "")
    client.close()
    return found


# Long: one run's phases, in order, each a few lines; splitting them would
# only pass their many shared values around.
def run(
    source: Path,
    workers: int,
    texts: list[str],
    articles: list[dict[str, Any]],
    clients: int,
    work: Path,
) -> dict[str, Any]:
    """One run: a copy of ``source`` served by ``workers`` processes."""
    copy = work / f"index-{workers}"
    shutil.copytree(source, copy)
    token = secrets.token_urlsafe(24)
    posted = [{**a, "id": f"load-{workers}-{i}"} for i, a in enumerate(articles)]
    context = multiprocessing.get_context("spawn")
    with server(copy, workers, token, work / f"serve-{workers}.log") as port:
        refused = _refused_writes(port, token)
        before = Client(port).call("GET", "/api/stats")[1]["articles"]
        stop_stats, stats_out = context.Event(), context.Queue()
        reader = context.Process(
            target=_stats_loop, args=(str(copy), stop_stats, stats_out)
        )
        reader.start()
        stop = time.monotonic() + RUN_DEADLINE
        shares = [texts[i::clients] for i in range(clients)]
        outs: list[dict[str, Any]] = [{} for _ in shares]
        writes: dict[str, Any] = {}
        threads = [
            threading.Thread(target=_searcher, args=(port, share, out, stop))
            for share, out in zip(shares, outs, strict=True)
        ]
        threads.append(
            threading.Thread(target=_writer, args=(port, token, posted, writes))
        )
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads[:-1]:
            thread.join()
        searching = time.perf_counter() - started
        threads[-1].join()
        elapsed = time.perf_counter() - started
        stop_stats.set()
        try:
            stats = stats_out.get(timeout=60)
        except queue.Empty:
            stats = {"calls": 0, "errors": 1, "first_error": "stats process died"}
        reader.join(timeout=60)
        found = _found(port, posted)
        after = Client(port).call("GET", "/api/stats")[1]["articles"]
    seconds = [s for out in outs for s in out["seconds"]]
    errors = sum(out["errors"] for out in outs)
    return {
        "workers": workers,
        "clients": clients,
        "articles_before": before,
        "refused_writes": refused,
        "searches": len(seconds),
        "search_seconds": round(searching, 2),
        "searches_per_second": round(len(seconds) / searching, 1),
        "search": {**percentiles(seconds), "max_ms": round(max(seconds) * 1000, 2)},
        "posts": len(writes["seconds"]),
        "posts_per_second": round(len(writes["seconds"]) / elapsed, 1),
        "post": {
            **percentiles(writes["seconds"]),
            "slowest_ms": round(max(writes["seconds"]) * 1000, 2),
            "slowest_post": max(range(len(posted)), key=writes["seconds"].__getitem__),
        },
        "stats_calls": stats["calls"],
        "errors": {
            "search": errors,
            "post": len(writes["failures"]),
            "stats": stats["errors"],
            "first": (writes["failures"] or [stats["first_error"]])[0],
        },
        "posted_found_by_id": found,
        "all_posted_found": found == len(posted) and after == before + len(posted),
    }


def main() -> None:
    """Parse the arguments, run each worker count, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="index to copy")
    parser.add_argument("--clients", type=int, default=4, help="searching clients")
    parser.add_argument("--searches", type=int, default=1000, help="in all")
    parser.add_argument("--posts", type=int, default=100, help="single articles")
    parser.add_argument("--workers", default="1,2", help="server processes, runs")
    args = parser.parse_args()
    if not (args.index / "newsindex.json").exists():
        sys.exit(f"no newsindex index at {args.index}")
    headlines = [q["query"] for q in queries("clickid", "dev")]
    texts = list(islice(cycle(headlines), args.searches))
    # Real articles to post, from the end of the corpus, under new ids.
    corpus = list(records("clickid"))[-args.posts :]
    articles = [{k: v for k, v in r.items() if k != "id"} for r in corpus]
    report: dict[str, Any] = {"index": str(args.index), "runs": []}
    with tempfile.TemporaryDirectory(prefix="newsindex-load-") as folder:
        for workers in (int(w) for w in args.workers.split(",")):
            work = Path(folder)
            result = run(args.index, workers, texts, articles, args.clients, work)
            report["runs"].append(result)
            print(json.dumps(result), file=sys.stderr)
    print(json.dumps(report, indent=2))
    if not all(_sound(run) for run in report["runs"]):
        sys.exit(1)


def _sound(result: dict[str, Any]) -> bool:
    """No errors, writes without the token refused, every post found."""
    errors = result["errors"]
    return (
        errors["search"] == errors["post"] == errors["stats"] == 0
        and result["refused_writes"]["refused"]
        and result["all_posted_found"]
    )


if __name__ == "__main__":
    main()
