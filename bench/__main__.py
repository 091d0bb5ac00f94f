"""The benchmark suite in one command: ``python -m bench``.

Runs, in this order and in one invocation, on the data of ``../shared/data``
(or ``$NEWSINDEX_DATA``; without it the command exits saying so):

1. :mod:`bench.build`: build cost of newsindex and of every baseline;
2. :mod:`bench.latency`: query latency, on the indexes step 1 left;
3. :mod:`bench.relevance`: MRR@10 and recall on every query set;
4. :mod:`bench.stemming`: stemming accuracy against the UD lemmas;

then writes every raw figure, the package versions and the machine to
``bench/results/<date>.json`` and renders ``docs/benchmarks.md`` and its
charts from it (:mod:`bench.report`, which also picks up the newest growth
results of ``python -m bench.growth``, a separate and longer command).

``--quick`` runs everything small (one build of each, 200 queries, one
pass) for trying the suite out; its results go to ``bench/results/tmp/``
and the documentation is left alone.

Usage: ``python -m bench [--quick] [--only build,latency,relevance,stemming]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import build, latency, relevance, stemming
from bench.common import RESULTS, data_dir, dump_json, machine, versions

STEPS = ("build", "latency", "relevance", "stemming")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the chosen steps and return the report."""
    steps = args.only.split(",") if args.only else list(STEPS)
    quick = args.quick
    report: dict[str, Any] = {
        "suite": "newsindex benchmarks (python -m bench)",
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "quick": quick,
        "machine": machine(),
        "load_average_at_start": os.getloadavg(),
        "versions": versions(),
        "steps_seconds": {},
    }
    started = time.perf_counter()
    jobs = args.jobs or os.cpu_count() or 2
    with tempfile.TemporaryDirectory(prefix="nxbench-") as tmp:
        indexes = Path(tmp) / "indexes"
        if "build" in steps:
            report["build"] = _step(
                report,
                "build",
                build.compare,
                build.ENGINES,
                1 if quick else args.repeat,
                jobs,
                200 if quick else args.naive_subset,
                indexes,
            )
        if "latency" in steps:
            if not indexes.exists():
                sys.exit("the latency step searches the indexes of the build step")
            report["latency"] = _step(
                report,
                "latency",
                latency.compare,
                latency.ENGINES,
                indexes,
                200 if quick else args.count,
                1 if quick else args.passes,
            )
    if "relevance" in steps:
        report["relevance"] = _step(
            report,
            "relevance",
            relevance.compare,
            relevance.ENGINES,
            relevance.CORPORA,
            200 if quick else args.limit,
            args.workers,
            200 if quick else None,
        )
    if "stemming" in steps:
        report["stemming"] = _step(report, "stemming", stemming.measure)
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["load_average_at_end"] = os.getloadavg()
    return report


def _step(report: dict[str, Any], name: str, func: Any, *args: Any) -> Any:
    print(f"-- {name}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    result = func(*args)
    report["steps_seconds"][name] = round(time.perf_counter() - started, 1)
    print(
        f"-- {name}: {report['steps_seconds'][name]:.0f} s", file=sys.stderr, flush=True
    )
    return result


def _check_quiet() -> None:
    """Warn when other processes keep the machine busy (timings would suffer)."""
    import psutil

    busy = psutil.cpu_percent(interval=3)
    if busy > 20:
        print(
            f"warning: the machine is {busy:.0f}% busy before the run; timings "
            "will be noisy (each timed run records the other load it met)",
            file=sys.stderr,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="a small trial run")
    parser.add_argument("--only", help=f"comma-separated steps of {', '.join(STEPS)}")
    parser.add_argument("--repeat", type=int, default=3, help="builds per engine")
    parser.add_argument("--jobs", type=int, help="processes of newsindex-parallel")
    parser.add_argument("--naive-subset", type=int, default=1000)
    parser.add_argument("--count", type=int, default=1000, help="latency queries")
    parser.add_argument("--passes", type=int, default=3, help="latency passes")
    parser.add_argument(
        "--limit", type=int, default=1000, help="CLICK-ID queries per split"
    )
    parser.add_argument("--workers", type=int, default=2, help="relevance tasks")
    parser.add_argument("--out", type=Path, help="results file (default: by date)")
    parser.add_argument("--no-report", action="store_true", help="skip docs/")
    args = parser.parse_args()
    data_dir()
    _check_quiet()
    report = run(args)
    today = dt.date.today().isoformat()
    default = RESULTS / "tmp" / f"{today}-quick.json" if args.quick else None
    out = args.out or default or RESULTS / f"{today}.json"
    dump_json(report, out)
    print(f"results: {out} ({report['seconds']:.0f} s)", file=sys.stderr)
    if not (args.quick or args.no_report):
        from bench import report as render

        written = render.render(out)
        print(f"report: {', '.join(map(str, written))}", file=sys.stderr)


if __name__ == "__main__":
    main()
