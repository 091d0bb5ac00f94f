"""The embedded engine, one Xapian database and 3 Xapian shards, side by side.

    python -m bench.xapian [--articles 3000] [--queries 200] [--split dev]
    python -m bench.xapian --copies 10   # all of CLICK-ID, 10 varied copies

Run with a Python that imports Xapian's bindings (a venv made from
``/usr/bin/python3 --system-site-packages``; ``xapian-tcpsrv`` on the PATH).
CLICK-ID articles: the judged articles of the split's first queries, then
others up to ``--articles``; the headline queries over bodies (the public
task) and short typed keywords over titled articles. For each engine: build
seconds, MRR@10, query p50/p99; and whether the shards' top 10 equal the one
database's for every query. With ``--copies N``: the whole of CLICK-ID with
titles, replicated N times as ``bench.growth`` does, and both query sets
searched on it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import xapian

from bench.common import articles, queries, records, short_queries
from bench.growth import replicate
from newsindex import Article, NewsIndex


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _shards(root: Path, count: int) -> tuple[str, list[subprocess.Popen[bytes]]]:
    ports, servers = [], []
    for i in range(count):
        path = root / f"shard{i}"
        path.parent.mkdir(parents=True, exist_ok=True)
        xapian.WritableDatabase(str(path), xapian.DB_CREATE_OR_OPEN).close()
        port = _port()
        servers.append(
            subprocess.Popen(
                [
                    "xapian-tcpsrv",
                    "--writable",
                    "--interface",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    str(path),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        ports.append(port)
    time.sleep(1.0)
    return "xapian+tcp://" + ",".join(f"127.0.0.1:{p}" for p in ports), servers


def _corpus(split: str, n_articles: int, n_queries: int, titles: bool) -> Any:
    every = articles("clickid", titles=titles)
    judged = queries("clickid", split, n_queries)
    wanted = {r for q in judged for r in q["relevant"]}
    chosen = [a for a in every if a.id in wanted]
    chosen += [a for a in every if a.id not in wanted][: n_articles - len(chosen)]
    return chosen, judged


def _measure(index: NewsIndex, judged: list[dict[str, Any]]) -> dict[str, Any]:
    times, rr, tops = [], [], []
    for q in judged:
        started = time.perf_counter()
        results = index.search(q["query"])
        times.append(time.perf_counter() - started)
        ids = [h.id for h in results]
        tops.append(ids)
        rank = next((i for i, d in enumerate(ids, 1) if d in q["relevant"]), None)
        rr.append(1.0 / rank if rank else 0.0)
    times.sort()
    return {
        "mrr": statistics.fmean(rr),
        "p50": 1000 * times[len(times) // 2],
        "p99": 1000 * times[min(len(times) - 1, int(len(times) * 0.99))],
        "tops": tops,
    }


def _setting(
    name: str,
    chosen: list[Article],
    judged: list[dict[str, Any]],
    root: Path,
    more: dict[str, list[dict[str, Any]]] | None = None,
) -> None:
    location, servers = _shards(root / name, 3)
    try:
        engines = {
            "embedded": str(root / name / "embedded"),
            "xapian": f"xapian:{root / name / 'one'}",
            "3 shards": location,
        }
        measured = {}
        for label, where in engines.items():
            started = time.perf_counter()
            with NewsIndex.create(where) as index:
                index.add_many(chosen)
                build = time.perf_counter() - started
                measured[label] = {"build": build, **_measure(index, judged)}
                for other, asked in (more or {}).items():
                    measured[f"{label}, {other}"] = {
                        "build": build,
                        **_measure(index, asked),
                    }
        same = sum(
            a == b
            for a, b in zip(
                measured["xapian"]["tops"], measured["3 shards"]["tops"], strict=True
            )
        )
        vs_embedded = sum(
            a == b
            for a, b in zip(
                measured["xapian"]["tops"], measured["embedded"]["tops"], strict=True
            )
        )
        print(f"\n{name}: {len(chosen)} articles, {len(judged)} queries")
        print("| engine | build s | MRR@10 | p50 ms | p99 ms |")
        print("|---|---|---|---|---|")
        for label, m in measured.items():
            print(
                f"| {label} | {m['build']:.1f} | {m['mrr']:.3f} | "
                f"{m['p50']:.2f} | {m['p99']:.2f} |"
            )
        print(f"shards' top 10 == one database's: {same}/{len(judged)} queries")
        print(f"one database's top 10 == embedded: {vs_embedded}/{len(judged)} queries")
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--copies", type=int, default=0)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-xapian-"))
    if args.copies:
        try:
            every = [
                Article.from_dict(r)
                for r in replicate(args.copies, list(records("clickid")))
            ]
            headlines = queries("clickid", args.split, args.queries)
            analyzer = NewsIndex.create(root / "analyzer-only").analyzer
            typed = short_queries("clickid", args.split, args.queries, analyzer)
            _setting(
                f"clickid-x{args.copies}", every, headlines, root, {"short": typed}
            )
        finally:
            shutil.rmtree(root, ignore_errors=True)
        return
    try:
        chosen, judged = _corpus(args.split, args.articles, args.queries, titles=False)
        _setting("headlines-over-bodies", chosen, judged, root)
        titled, _ = _corpus(args.split, args.articles, args.queries, titles=True)
        typed = short_queries(
            "clickid",
            args.split,
            args.queries,
            NewsIndex.create(root / "analyzer-only").analyzer,
        )
        wanted = {r for q in typed for r in q["relevant"]}
        present = {a.id for a in titled}
        extra = [a for a in articles("clickid") if a.id in wanted - present]
        _setting("short-keywords-titled", titled + extra, typed, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
