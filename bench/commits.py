"""Single-article commits, as a web backend makes them, on small and large indexes.

For each scale (3,000 CLICK-ID articles, and CLICK-ID replicated as in
:mod:`bench.growth` to about 200,000), the index is built with
``newsindex index --jobs 2`` (the command's bulk load: parallel analysis, then
``merge()``), and then 1,000 articles are added one commit each with
``NewsIndex.add``, the way a web app's POST handler does. Every commit is
timed; the report gives p50, p99 and max, the segments before and after, and
the time of one ``merge()`` afterwards (the step commits leave for later).

Usage: ``python -m bench.commits [--scales 3000,200000] [--commits 1000]``.
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import data_dir, percentiles, records
from bench.growth import replicate
from newsindex import Article, NewsIndex


def _corpus(size: int, path: Path) -> int:
    """Write ``size`` CLICK-ID articles (replicated past 21,957); return count."""
    base = list(records("clickid"))
    copies = -(-size // len(base))
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for record in replicate(copies, base):
            if written == size:
                break
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
    return written


def _fresh(i: int) -> Article:
    return Article(
        id=f"bench-commit-{i}",
        title=f"Harga beras naik lagi pekan ke-{i}",
        body=f"Harga beras medium di pasar induk naik untuk pekan ke-{i}. "
        "Pedagang menyebut pasokan dari sentra produksi berkurang.",
        source="bench",
    )


def measure(size: int, commits: int, work: Path) -> dict[str, Any]:
    source = work / f"clickid-{size}.jsonl"
    count = _corpus(size, source)
    path = work / f"index-{size}"
    started = time.perf_counter()
    command = ["index", "--index", str(path), "--jobs", "2", str(source)]
    subprocess.run(
        [sys.executable, "-m", "newsindex", *command],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    build = time.perf_counter() - started
    with NewsIndex.open(path) as index:
        index.search("harga")  # warm: the stemmer's dictionary is loaded
        before = index.stats().segments
        times = []
        for i in range(commits):
            started = time.perf_counter()
            index.add(_fresh(i))
            times.append(time.perf_counter() - started)
        after = index.stats().segments
        started = time.perf_counter()
        merged = index.merge()
        merge_seconds = time.perf_counter() - started
        assert index.count() == count + commits
    return {
        "articles": count,
        "build_seconds": round(build, 1),
        "segments_before": before,
        "segments_after_commits": after,
        "commit": percentiles(times),
        "commit_max_ms": round(max(times) * 1000, 1),
        "merge_after": {
            "seconds": round(merge_seconds, 2),
            "merges": merged.merges,
            "segments": merged.segments,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.commits")
    parser.add_argument("--scales", default="3000,200000")
    parser.add_argument("--commits", type=int, default=1_000)
    args = parser.parse_args()
    data_dir()
    report: dict[str, Any] = {"commits": args.commits, "scales": {}}
    with tempfile.TemporaryDirectory(prefix="nxcommits-") as tmp:
        for size in map(int, args.scales.split(",")):
            report["scales"][str(size)] = measure(size, args.commits, Path(tmp))
            print(json.dumps(report["scales"][str(size)]), file=sys.stderr)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
