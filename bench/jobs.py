"""How many analysis workers ``newsindex index`` should start by default.

Times ``newsindex index --jobs 1`` against ``--jobs N`` (N = 2 by default)
on the first 1,000, 3,000, 10,000 and all 21,957 CLICK-ID articles: each
run is a fresh subprocess building a fresh index from a JSON Lines file cut
to that many lines, so worker start-up and every worker's own stemming cache
count, as they do for a user. Runs alternate between the settings (and which
goes first alternates between rounds), so that a busy spell on the shared
machine falls on both. Printed: the input's size in bytes, each setting's
median seconds, and their ratio; with ``--json``, every run as JSON too.

The default of ``--jobs`` (``newsindex._cli_parser.default_jobs``) is chosen
from these figures: one process below the input size where workers start to
pay, else one per CPU.

Usage: ``python -m bench.jobs [--sizes 1000,3000,10000,0] [--repeat 2]
[--jobs 2] [--json]`` (a size of 0 means the whole file).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import REPO, data_dir, median

SIZES = (1_000, 3_000, 10_000, 0)


def cut(source: Path, lines: int, target: Path) -> int:
    """Copy the first ``lines`` lines of ``source`` (all if 0); return bytes."""
    with source.open("rb") as src, target.open("wb") as out:
        rows = src if lines == 0 else itertools.islice(src, lines)
        for row in rows:
            out.write(row)
    return target.stat().st_size


def build(source: Path, jobs: int, scratch: Path) -> float:
    """Seconds for ``newsindex index --jobs N`` to build a fresh index."""
    index = scratch / f"index-{jobs}"
    shutil.rmtree(index, ignore_errors=True)
    command = [sys.executable, "-m", "newsindex", "index", "--index", str(index)]
    command += ["--jobs", str(jobs), str(source)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    shutil.rmtree(index)
    return seconds


def measure(sizes: list[int], repeat: int, jobs: int) -> list[dict[str, Any]]:
    """Every size, ``repeat`` rounds of both settings; one result per size."""
    source = data_dir() / "clickid" / "articles.jsonl"
    results = []
    with tempfile.TemporaryDirectory(prefix="newsindex-jobs-") as folder:
        scratch = Path(folder)
        for size in sizes:
            cut_file = scratch / "articles.jsonl"
            size_bytes = cut(source, size, cut_file)
            articles = sum(1 for _ in cut_file.open("rb"))
            runs: dict[int, list[float]] = {1: [], jobs: []}
            for round_ in range(repeat):
                order = (1, jobs) if round_ % 2 == 0 else (jobs, 1)
                for setting in order:
                    runs[setting].append(build(cut_file, setting, scratch))
                    print(
                        f"  {articles:>6} articles  --jobs {setting}  "
                        f"{runs[setting][-1]:6.1f} s  (load {os.getloadavg()[0]:.1f})",
                        file=sys.stderr,
                    )
            results.append(
                {
                    "articles": articles,
                    "bytes": size_bytes,
                    "seconds": {
                        str(k): [round(s, 2) for s in v] for k, v in runs.items()
                    },
                    "median": {str(k): round(median(v), 2) for k, v in runs.items()},
                }
            )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.jobs", description=__doc__)
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="articles per input, comma-separated; 0 = the whole file",
    )
    parser.add_argument("--repeat", type=int, default=2, help="runs of each setting")
    parser.add_argument("--jobs", type=int, default=2, help="the parallel setting")
    parser.add_argument("--json", action="store_true", help="also print every run")
    args = parser.parse_args(argv)
    data_dir()  # exits with a message when the data is missing
    results = measure([int(s) for s in args.sizes.split(",")], args.repeat, args.jobs)
    print(f"{'articles':>8} {'bytes':>12} {'jobs 1':>8} {f'jobs {args.jobs}':>8} ratio")
    for row in results:
        one, many = row["median"]["1"], row["median"][str(args.jobs)]
        print(
            f"{row['articles']:>8,} {row['bytes']:>12,} {one:>7.1f}s {many:>7.1f}s "
            f"{many / one:5.2f}"
        )
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
