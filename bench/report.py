"""Render ``docs/benchmarks.md`` and its charts from the results JSON.

Reads the newest ``bench/results/<date>.json`` (``python -m bench``) and the
newest ``bench/results/<date>-growth.json`` (``python -m bench.growth``), or
the files given, and writes the tables, the targets of the benchmark issue
marked met or missed, and PNG charts (matplotlib, Agg backend: install the
``bench`` extra). Every figure comes from the JSON; nothing is measured here.

This module finds the results and puts the page together; the parts are in
``bench/report_*.py``: the prose (:mod:`bench.report_prose`), the targets
(:mod:`bench.report_targets`, judged by :mod:`bench.report_verdicts`), the
cost tables (:mod:`bench.report_costs`), the quality tables
(:mod:`bench.report_quality`), the charts (:mod:`bench.report_charts`), and
how numbers and names are written (:mod:`bench.report_format`).

Usage: ``python -m bench.report [RESULTS.json] [--growth GROWTH.json]``.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from bench.common import REPO, RESULTS
from bench.report_charts import (
    chart_build,
    chart_growth,
    chart_latency,
    chart_relevance,
)
from bench.report_costs import build_section, growth_section, latency_section
from bench.report_prose import header, method
from bench.report_quality import relevance_section, stemming_section
from bench.report_targets import targets
from bench.report_verdicts import targets_section

DOCS = REPO / "docs"
PAGE = DOCS / "benchmarks.md"
_MAIN = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
_GROWTH = re.compile(r"^\d{4}-\d{2}-\d{2}-growth\.json$")


def newest(pattern: re.Pattern[str]) -> Path | None:
    """The newest results file whose name matches ``pattern``."""
    found = sorted(p for p in RESULTS.glob("*.json") if pattern.match(p.name))
    return found[-1] if found else None


def render(
    main_path: Path | None = None, growth_path: Path | None = None
) -> list[Path]:
    """Write the page and charts; return the files written."""
    main_path = main_path or newest(_MAIN)
    growth_path = growth_path or newest(_GROWTH)
    main = json.loads(main_path.read_text()) if main_path else None
    growth = json.loads(growth_path.read_text()) if growth_path else None
    DOCS.mkdir(exist_ok=True)
    written: list[Path] = []
    lines = header(main, growth)
    lines += targets_section(targets(main, growth))
    if main and "build" in main:
        lines += build_section(main["build"])
        chart_build(main["build"], DOCS / "bench-build.png")
        written.append(DOCS / "bench-build.png")
    if main and "latency" in main:
        lines += latency_section(main["latency"])
        chart_latency(main["latency"], DOCS / "bench-latency.png")
        written.append(DOCS / "bench-latency.png")
    if main and "relevance" in main:
        lines += relevance_section(main["relevance"])
        chart_relevance(main["relevance"], DOCS / "bench-relevance.png")
        written.append(DOCS / "bench-relevance.png")
    if main and "stemming" in main:
        lines += stemming_section(main["stemming"])
    if growth:
        lines += growth_section(growth)
        chart_growth(growth, DOCS / "bench-growth.png")
        written.append(DOCS / "bench-growth.png")
    else:
        lines += ["## Growth", "", "Not run yet: `python -m bench.growth`.", ""]
    lines += method()
    lines.append(_sources(main_path, growth_path))
    PAGE.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return [PAGE, *written]


def _sources(*paths: Path | None) -> str:
    """The page's last line: the results files, relative to the repository."""
    sources = [
        p.resolve().relative_to(REPO) if p.resolve().is_relative_to(REPO) else p
        for p in paths
        if p
    ]
    return "Results files: " + ", ".join(f"`{p}`" for p in sources) + "."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", type=Path)
    parser.add_argument("--growth", type=Path)
    args = parser.parse_args()
    written = render(args.results, args.growth)
    print("\n".join(map(str, written)))


if __name__ == "__main__":
    main()
