"""Render ``docs/benchmarks.md`` and its charts from the results JSON.

Reads the newest ``bench/results/<date>.json`` (``python -m bench``) and the
newest ``bench/results/<date>-growth.json`` (``python -m bench.growth``), or
the files given, and writes the tables, the targets of the benchmark issue
marked met or missed, and PNG charts (matplotlib, Agg backend: install the
``bench`` extra). Every figure comes from the JSON; nothing is measured here.

Usage: ``python -m bench.report [RESULTS.json] [--growth GROWTH.json]``.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import REPO, RESULTS

DOCS = REPO / "docs"
NA = "\N{EN DASH}"
TIMES = "\N{MULTIPLICATION SIGN}"
PAGE = DOCS / "benchmarks.md"
_MAIN = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
_GROWTH = re.compile(r"^\d{4}-\d{2}-\d{2}-growth\.json$")

LABELS = {
    "newsindex": "newsindex",
    "newsindex-parallel": "newsindex, all cores",
    "newsindex-ingest": "newsindex index (from the files, 1 process)",
    "whoosh": "Whoosh, StandardAnalyzer, no stemming",
    "whoosh-sastrawi": "Whoosh + PySastrawi (cached)",
    "whoosh-sastrawi-naive": "Whoosh + PySastrawi per token, no cache",
    "tantivy": "tantivy, default tokenizer",
    "tantivy-stemmed": "tantivy + newsindex's analyzer",
    "bm25s-stemmed": "bm25s + newsindex's analyzer",
}
#: In the build table, where the processes matter.
BUILD_LABELS = {"newsindex": "newsindex, 1 process"}
SET_LABELS = {
    "clickid": "CLICK-ID headline",
    "indosum": "IndoSum title slug",
    "facqa": "FacQA question",
    "clickid-short": "CLICK-ID short",
    "indosum-short": "IndoSum short",
}


def newest(pattern: re.Pattern[str]) -> Path | None:
    """The newest results file whose name matches ``pattern``."""
    found = sorted(p for p in RESULTS.glob("*.json") if pattern.match(p.name))
    return found[-1] if found else None


# -- formatting --------------------------------------------------------------------


def _f(value: float | None, digits: int = 1) -> str:
    if value is None:
        return NA
    return f"{value:,.{digits}f}"


def _x(value: float | None) -> str:
    return NA if value is None else f"{value:.2f}{TIMES}"


def _table(head: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    align = align or "l" + "r" * (len(head) - 1)
    marks = [":--" if a == "l" else "--:" for a in align]
    out = ["| " + " | ".join(head) + " |", "| " + " | ".join(marks) + " |"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return [*out, ""]


def _label(name: str) -> str:
    return LABELS.get(name, name)


def _build_label(name: str) -> str:
    return BUILD_LABELS.get(name, _label(name))


def _set_label(key: str) -> str:
    name, split = key.split("/")
    return f"{SET_LABELS.get(name, name)}, {split}"


# -- targets -----------------------------------------------------------------------


class Target:
    """One target of the issue: a measured value against a bound."""

    def __init__(
        self,
        what: str,
        bound: str,
        value: float | None,
        limit: float,
        at_most: bool,
        show: Callable[[float | None], str],
        note: str = "",
    ) -> None:
        self.what, self.bound, self.value = what, bound, value
        self.limit, self.at_most, self.show, self.note = limit, at_most, show, note

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        if self.at_most:
            return self.value <= self.limit
        return self.value >= self.limit

    def row(self) -> list[str]:
        if self.met is None:
            verdict = "not measured"
        elif self.met:
            verdict = "**met**"
        else:
            verdict = "**missed**"
        margin = NA
        if self.value is not None and self.limit:
            over = (self.value - self.limit) / abs(self.limit)
            word = "over" if over > 0 else "under"
            margin = f"{abs(over):.1%} {word} the bound"
        return [
            self.what,
            self.bound,
            self.show(self.value),
            verdict,
            margin,
            self.note,
        ]


def targets(main: dict[str, Any] | None, growth: dict[str, Any] | None) -> list[Target]:
    """Every target of the issue that the results can speak to."""
    out: list[Target] = []
    ms = lambda v: _f(v, 2) + " ms" if v is not None else NA  # noqa: E731
    mb = lambda v: _f(v, 0) + " MB" if v is not None else NA  # noqa: E731
    num = lambda v: _f(v, 3)  # noqa: E731
    if main and "build" in main:
        b = main["build"]
        r = b["seconds_ratio_to_whoosh"]
        med = b["median"]
        out.append(
            Target(
                "Build, newsindex all cores / plain Whoosh",
                f"≤ 0.55{TIMES}",
                r.get("newsindex-parallel"),
                0.55,
                True,
                _x,
            )
        )
        out.append(
            Target(
                "Build, newsindex 1 process / plain Whoosh",
                f"≤ 1.0{TIMES}",
                r.get("newsindex"),
                1.0,
                True,
                _x,
            )
        )
        naive = med.get("whoosh-sastrawi-naive", {}).get("seconds")
        for name in ("newsindex", "newsindex-parallel"):
            own = med.get(name, {}).get("seconds")
            speed = naive / own if naive and own else None
            out.append(
                Target(
                    f"Build, naive uncached Whoosh / {_build_label(name)}",
                    f"≥ 7{TIMES}",
                    speed,
                    7.0,
                    False,
                    _x,
                    "naive time extrapolated",
                )
            )
        for name, key, note in (
            ("newsindex", "peak_rss_mb", "articles preloaded by the harness"),
            ("newsindex-ingest", "peak_rss_mb", "streamed from the files"),
            ("newsindex-parallel", "tree_peak_rss_mb", "parent + workers"),
        ):
            value = med.get(name, {}).get(key)
            out.append(
                Target(
                    f"Peak RSS, 25k articles, {_build_label(name)}",
                    "≤ 400 MB",
                    value,
                    400,
                    True,
                    mb,
                    note,
                )
            )
    if main and "latency" in main:
        lat = main["latency"]["engines"].get("newsindex", {})
        for qset, p50, p99 in (("short", 10, 50), ("headline", 30, 150)):
            found = lat.get(qset, {}).get("with_snippets", {}).get("median", {})
            out.append(
                Target(
                    f"Latency with snippets, {qset}, p50",
                    f"≤ {p50} ms",
                    found.get("p50_ms"),
                    p50,
                    True,
                    ms,
                )
            )
            out.append(
                Target(
                    f"Latency with snippets, {qset}, p99",
                    f"≤ {p99} ms",
                    found.get("p99_ms"),
                    p99,
                    True,
                    ms,
                )
            )
        for qset in ("short", "headline"):
            out.append(
                Target(
                    f"Snippets' cost, {qset} (p50 with / without)",
                    f"≤ 1.30{TIMES}",
                    lat.get(qset, {}).get("snippet_ratio_p50"),
                    1.30,
                    True,
                    _x,
                )
            )
    if growth:
        scales = growth["scales"]
        top, low = max(scales, key=int), min(scales, key=int)
        first = scales[low]["engines"].get("newsindex")
        last = scales[top]["engines"].get("newsindex")
        if first and last and top != low:
            tag = f"{last['build']['runs'][0]['articles']:,} articles"
            fb, lb = first["build"]["median"], last["build"]["median"]
            out.append(
                Target(
                    f"Growth, build throughput at {tag} / at {low}x",
                    f"≥ 0.75{TIMES}",
                    lb["articles_per_s"] / fb["articles_per_s"],
                    0.75,
                    False,
                    _x,
                )
            )
            out.append(
                Target(
                    f"Growth, peak RSS at {tag}",
                    "≤ 1 GiB",
                    lb["tree_peak_rss_mb"],
                    1024,
                    True,
                    mb,
                    "parent + workers",
                )
            )
            fs = first["latency"]["short"]["with_snippets"]["median"]["p50_ms"]
            ls = last["latency"]["short"]["with_snippets"]["median"]["p50_ms"]
            out.append(
                Target(
                    f"Growth, short-query p50 at {tag} / at {low}x",
                    f"≤ 3{TIMES}",
                    ls / fs,
                    3.0,
                    True,
                    _x,
                    "with snippets",
                )
            )
    if main and "relevance" in main:
        sets = main["relevance"]["sets"]
        for key, bound in (
            ("clickid/test", 0.82),
            ("facqa/test", 0.83),
            ("indosum/test", 0.95),
        ):
            value = sets.get(key, {}).get("newsindex", {}).get("mrr@10")
            out.append(
                Target(
                    f"MRR@10, {_set_label(key)}", f"≥ {bound}", value, bound, False, num
                )
            )
        for key, rows in sets.items():
            if not key.endswith("/test") or "newsindex" not in rows:
                continue
            paired = main["relevance"]["newsindex_vs"].get(key, {})
            if not paired:
                continue
            # Judged on the same queries (plain Whoosh runs a subset of the
            # long sets): the baseline whose paired difference is worst.
            worst = min(paired, key=lambda n: paired[n]["mrr10_diff"])
            diff = paired[worst]
            ours = diff["newsindex_mrr10"]
            theirs = ours - diff["mrr10_diff"]
            subset = (
                f", on its {diff['queries']:,} queries"
                if diff["queries"] != rows["newsindex"].get("queries", diff["queries"])
                else ""
            )
            out.append(
                Target(
                    f"MRR@10 ≥ every baseline, {_set_label(key)}",
                    f"≥ {theirs:.3f} ({worst}{subset})",
                    ours,
                    theirs,
                    False,
                    num,
                    f"paired difference {diff['mrr10_diff']:+.3f}, 95% CI "
                    f"[{diff['ci95'][0]:+.3f}, {diff['ci95'][1]:+.3f}]",
                )
            )
    if main and "stemming" in main:
        for bank, row in main["stemming"]["treebanks"].items():
            if "/" in bank:
                continue
            acc = row["accuracy"]
            out.append(
                Target(
                    f"Stemming accuracy, {bank} (indexed tokens)",
                    f"≥ PySastrawi {acc['pysastrawi']:.4f}",
                    acc["newsindex"],
                    acc["pysastrawi"],
                    False,
                    lambda v: _f(v, 4),
                )
            )
    return out


# -- sections ----------------------------------------------------------------------


def _header(main: dict[str, Any] | None, growth: dict[str, Any] | None) -> list[str]:
    lines = [
        "# Benchmarks",
        "",
        "Generated by `python -m bench.report` from the results JSON of one run of",
        "`python -m bench` (build, latency, relevance, stemming) and one run of",
        "`python -m bench.growth`; do not edit by hand. The data is the shared",
        "corpora of `../shared/data` (see `bench/README.md`); every comparison below",
        "ran in the same invocation, on the same data. The machine is shared: compare",
        "ratios within a run rather than seconds across runs.",
        "",
    ]
    for title, found in (("Main run", main), ("Growth run", growth)):
        if not found:
            continue
        m = found["machine"]
        lines.append(
            f"- **{title}**: {found['started']}, {found.get('seconds', 0) / 60:.0f} "
            f"min; {m['cpu_count']} cores ({m['cpu_model'] or 'unknown CPU'}), "
            f"{m['memory_gib']} GiB, Python {m['python']}; newsindex "
            f"{found['versions'].get('newsindex', '?')} at commit "
            f"`{m['commit'][:10]}`"
            + (" (library modified)" if m.get("library_modified") else "")
            + (" — **quick run, not for comparison**" if found.get("quick") else "")
        )
    if main:
        v = main["versions"]
        pkgs = ("whoosh3", "pysastrawi", "numpy", "tantivy", "bm25s")
        lines.append(
            "- Packages: "
            + ", ".join(f"{p} {v.get(p, '?')}" for p in pkgs)
            + " (every package's version is in the JSON)."
        )
        loads = _loads(main)
        if loads:
            lines.append(
                "- Other load on the machine during the timed steps: at most "
                f"{max(loads):.0%} of its CPU time (median "
                f"{sorted(loads)[len(loads) // 2]:.0%})."
            )
    return [*lines, ""]


def _loads(main: dict[str, Any]) -> list[float]:
    found = []
    for runs in main.get("build", {}).get("runs", {}).values():
        found += [r["load"]["foreign_cpu_share"] for r in runs if "load" in r]
    for report in main.get("latency", {}).get("engines", {}).values():
        if "load" in report:
            found.append(report["load"]["foreign_cpu_share"])
    return found


def _targets_section(items: list[Target]) -> list[str]:
    lines = ["## Targets", ""]
    met = sum(1 for t in items if t.met)
    lines.append(f"{met} of {len(items)} targets met.")
    lines.append("")
    head = ["target", "bound", "measured", "verdict", "margin", "note"]
    lines += _table(head, [t.row() for t in items], "llrlll")
    return lines


def _build_section(b: dict[str, Any]) -> list[str]:
    lines = [
        "## Build",
        "",
        f"{b['articles']:,} articles (CLICK-ID and IndoSum, titles and bodies, "
        f"{b['text_mb']:.1f} MB of text), each engine built {b['repeat']} times in "
        "a fresh subprocess, interleaved (the `newsindex index` row once, in the "
        "last round); medians. `jobs` = "
        f"{b['jobs']}. Peak RSS is the process's own (`ru_maxrss`, the harness's "
        "preloaded articles included, shown apart); *tree* is the sampled peak of "
        "the process and its workers together.",
        "",
    ]
    head = [
        "engine",
        "runs",
        "seconds",
        "articles/s",
        "MB text/s",
        "index MB",
        "peak RSS MB",
        "tree peak MB",
        "harness MB",
        "÷ Whoosh",
        "÷ tantivy",
    ]
    rows = []
    for name, m in b["median"].items():
        mark = " (extrapolated)" if name == "whoosh-sastrawi-naive" else ""
        rows.append(
            [
                _build_label(name) + mark,
                str(len(b["runs"][name])),
                _f(m["seconds"]),
                _f(m["articles_per_s"], 0),
                _f(m["text_mb_per_s"], 2),
                _f(m["index_mb"]),
                _f(m["peak_rss_mb"], 0),
                _f(m["tree_peak_rss_mb"], 0),
                _f(m.get("harness_rss_mb"), 0),
                _x(b["seconds_ratio_to_whoosh"].get(name)),
                _x(b["seconds_ratio_to_tantivy"].get(name)),
            ]
        )
    lines += _table(head, rows)
    naive = b["runs"].get("whoosh-sastrawi-naive")
    if naive:
        run = naive[0]
        lines.append(
            f"The naive build was timed on {run['articles']:,} evenly spaced "
            f"articles ({run['text_mb']} MB of text; "
            f"{', '.join(_f(r['measured_seconds']) for r in naive)} s) "
            "and its time extrapolated linearly by text size; its memory is the "
            "subset's and its index size is not estimated."
        )
        lines.append("")
    lines.append("Seconds of every run:")
    lines.append("")
    rows = [
        [_label(n), ", ".join(_f(r["seconds"]) for r in runs)]
        for n, runs in b["runs"].items()
    ]
    lines += _table(["engine", "runs (s)"], rows, "ll")
    lines.append("![Build throughput](bench-build.png)")
    return [*lines, ""]


def _latency_section(lat: dict[str, Any]) -> list[str]:
    lines = [
        "## Query latency",
        "",
        f"Top {lat['k']}, on the build step's indexes (newsindex: the all-cores "
        f"build); {lat['queries']['headline']:,} CLICK-ID development headlines and "
        f"{lat['queries']['short']:,} short keyword queries (2-4 words, made from "
        "development headlines and articles by `bench.common.short_queries`). One "
        f"warm-up pass, then {lat['passes']} timed passes (Whoosh: a 100-query "
        "warm-up and one pass, at about 0.2 s a headline); medians over the passes. "
        "Snippets: newsindex's highlighted snippets, tantivy's `SnippetGenerator` "
        "on the body; the other engines make none.",
        "",
    ]
    head = [
        "engine",
        "set",
        "snippets",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "mean ms",
        "p50 ÷ tantivy",
    ]
    rows = []
    for name, report in lat["engines"].items():
        for qset in ("short", "headline"):
            for mode, word in (("with_snippets", "yes"), ("without_snippets", "no")):
                if mode not in report[qset]:
                    continue
                m = report[qset][mode]["median"]
                tv = lat["engines"].get("tantivy", {}).get(qset, {}).get(mode)
                rel = m["p50_ms"] / tv["median"]["p50_ms"] if tv else None
                rows.append(
                    [
                        _label(name),
                        qset,
                        word,
                        _f(m["p50_ms"], 2),
                        _f(m["p95_ms"], 2),
                        _f(m["p99_ms"], 2),
                        _f(m["mean_ms"], 2),
                        _x(rel),
                    ]
                )
    lines += _table(head, rows, "lllrrrrr")
    ours = lat["engines"].get("newsindex")
    if ours:
        for qset in ("short", "headline"):
            r = ours[qset]
            lines.append(
                f"- newsindex, {qset}: snippets cost a median "
                f"{r['snippet_cost_median_ms']:.2f} ms per query; p50 "
                f"{_x(r['snippet_ratio_p50'])}, p99 {_x(r['snippet_ratio_p99'])} the "
                "search without them."
            )
        lines.append("")
    lines.append("![Query latency](bench-latency.png)")
    return [*lines, ""]


def _relevance_section(rel: dict[str, Any]) -> list[str]:
    sets = rel["sets"]
    engines = list(next(iter(sets.values())).keys())
    lines = [
        "## Relevance",
        "",
        "Body-only indexes, the same query texts for every engine, top "
        f"{rel['depth']}. CLICK-ID: the first {rel['limit_clickid']:,} queries of "
        "each split; short sets: up to 1,000 queries; the others whole. Tuning "
        "splits (dev, valid) and test splits are reported separately; the test "
        "splits were not used to choose anything. Cells: MRR@10 / Recall@10 / "
        "Recall@100; the best MRR@10 of a row in bold.",
        "",
    ]
    head = ["set", "queries", *(_label(e) for e in engines)]
    rows = []
    capped = set()
    for key, row in sets.items():
        full = max(r["queries"] for r in row.values())
        best = max(r["mrr@10"] for r in row.values() if r["queries"] == full)
        cells = []
        for e in engines:
            r = row.get(e)
            if r is None:
                cells.append(NA)
                continue
            mrr = f"{r['mrr@10']:.3f}"
            if r["mrr@10"] == best and r["queries"] == full:
                mrr = f"**{mrr}**"
            cell = f"{mrr} / {r['recall@10']:.3f} / {r['recall@100']:.3f}"
            if r["queries"] < full:
                capped.add(r["queries"])
                cell += f" ({r['queries']}†)"
            cells.append(cell)
        rows.append([_set_label(key), f"{full:,}", *cells])
    lines += _table(head, rows, "lr" + "r" * len(engines))
    if capped:
        lines.append(
            f"† Plain Whoosh ran only the first {', '.join(map(str, sorted(capped)))} "
            "queries of the headline and slug splits (about 0.35 s per CLICK-ID "
            "headline at depth 100): not comparable with the other cells of its "
            "row; the paired comparison below is on those same queries."
        )
        lines.append("")
    lines.append(
        "newsindex's MRR@10 minus each baseline's, with a paired bootstrap 95% "
        "interval (an interval that holds 0 is no difference the queries can show):"
    )
    lines.append("")
    others = [e for e in engines if e != "newsindex"]
    rows = []
    for key, diffs in rel["newsindex_vs"].items():
        rows.append(
            [_set_label(key)]
            + [
                f"{diffs[e]['mrr10_diff']:+.3f} [{diffs[e]['ci95'][0]:+.3f}, "
                f"{diffs[e]['ci95'][1]:+.3f}]"
                if e in diffs
                else NA
                for e in others
            ]
        )
    lines += _table(["set", *(_label(e) for e in others)], rows)
    lines.append(
        "In the chart, plain Whoosh's bars on the capped sets are its subset's figures."
    )
    lines.append("")
    lines.append("![Relevance](bench-relevance.png)")
    return [*lines, ""]


def _stemming_section(st: dict[str, Any]) -> list[str]:
    lines = [
        "## Stemming accuracy",
        "",
        "UD Indonesian treebanks, nouns, verbs, adjectives and adverbs, "
        "token-weighted, lower-cased output against the lemma. *Indexed tokens*: "
        "the tokens the analyzer indexes (its stopwords have no stem to judge), the "
        "same tokens for all three; *all tokens*: a stopword counts as the word "
        "unchanged; *single words*: indexed tokens without a hyphen.",
        "",
    ]
    head = [
        "treebank",
        "tokens",
        "stopwords",
        "newsindex",
        "PySastrawi",
        "Tala",
        "all: newsindex",
        "all: PySastrawi",
        "all: Tala",
        "single: newsindex",
        "single: PySastrawi",
    ]
    rows = []
    for bank, r in st["treebanks"].items():
        if "/" in bank:
            continue
        a, t, s = r["accuracy"], r["all_tokens"], r["single_words"]
        rows.append(
            [
                bank,
                f"{r['tokens']:,}",
                f"{r['stopword_share']:.1%}",
                f"{a['newsindex']:.2%}",
                f"{a['pysastrawi']:.2%}",
                f"{a['tala']:.2%}",
                f"{t['newsindex']:.2%}",
                f"{t['pysastrawi']:.2%}",
                f"{t['tala']:.2%}",
                f"{s['newsindex']:.2%}",
                f"{s['pysastrawi']:.2%}",
            ]
        )
    lines += _table(head, rows)
    tokens = st.get("disagreement_tokens", {})
    lines.append(
        "Where the analyzer and PySastrawi disagree on an indexed token, the lemma "
        f"sides with the analyzer on {tokens.get('newsindex_right', 0)} tokens and "
        f"with PySastrawi on {tokens.get('pysastrawi_right', 0)}; the most frequent:"
    )
    lines.append("")
    rows = []
    for side, found in st.get("disagreements", {}).items():
        for d in found[:6]:
            rows.append(
                [
                    side.replace("_right", ""),
                    d["word"],
                    d["lemma"],
                    d["newsindex"],
                    str(d["pysastrawi"]),
                    str(d["count"]),
                ]
            )
    lines += _table(
        ["right", "word", "lemma", "newsindex", "PySastrawi", "tokens"], rows, "lllllr"
    )
    return lines


def _growth_section(g: dict[str, Any]) -> list[str]:
    lines = [
        "## Growth",
        "",
        "CLICK-ID replicated (copy 0 as it is; the other copies with new ids, "
        "rotated sentences, swapped words of similar frequency and new rare words: "
        "see `bench/growth.py`), built as `newsindex index --jobs "
        f"{g['jobs']}` does it (`ingest` from the JSON Lines file), then searched "
        f"as in the latency step ({g['queries']['short']:,} short and "
        f"{g['queries']['headline']:,} headline queries, {g['passes']} timed "
        f"pass(es)); {g['repeat']} build(s) per scale. tantivy, default tokenizer, "
        "for reference.",
        "",
    ]
    head = [
        "engine",
        "scale",
        "articles",
        "words",
        "seconds",
        "articles/s",
        "MB text/s",
        "index MB",
        "terms",
        "tree peak MB",
        "short p50 / p99 ms",
        "headline p50 / p99 ms",
    ]
    rows = []
    for key, scale in g["scales"].items():
        for name, found in scale["engines"].items():
            m = found["build"]["median"]
            lat = found["latency"]
            mode = (
                "with_snippets"
                if "with_snippets" in lat["short"]
                else ("without_snippets")
            )
            s = lat["short"][mode]["median"]
            h = lat["headline"][mode]["median"]
            rows.append(
                [
                    _label(name),
                    f"{key}x",
                    f"{scale['corpus']['articles']:,}",
                    f"{scale['corpus']['words']:,}",
                    _f(m["seconds"]),
                    _f(m["articles_per_s"], 0),
                    _f(m["text_mb_per_s"], 2),
                    _f(m["index_mb"]),
                    f"{found['build'].get('terms', 0):,}"
                    if found["build"].get("terms")
                    else NA,
                    _f(m["tree_peak_rss_mb"], 0),
                    f"{s['p50_ms']:.2f} / {s['p99_ms']:.2f}",
                    f"{h['p50_ms']:.2f} / {h['p99_ms']:.2f}",
                ]
            )
    lines += _table(head, rows)
    lines.append(
        "Latency with snippets where the engine makes them (newsindex, tantivy). "
        "Ratios to the smallest scale:"
    )
    lines.append("")
    rows = []
    for key, engines in g.get("ratio_to_first_scale", {}).items():
        for name, r in engines.items():
            rows.append(
                [
                    _label(name),
                    f"{key}x",
                    _x(r["articles_per_s"]),
                    _x(r["index_mb"]),
                    _x(r["tree_peak_rss_mb"]),
                    _x(
                        r.get(
                            "short_with_snippets_p50",
                            r.get("short_without_snippets_p50"),
                        )
                    ),
                ]
            )
    lines += _table(
        ["engine", "scale", "articles/s", "index size", "peak RSS", "short p50"], rows
    )
    lines.append("![Cost against corpus size](bench-growth.png)")
    return [*lines, ""]


def _method() -> list[str]:
    return [
        "## What is compared",
        "",
        "- **newsindex**: the library's defaults (PySastrawi behind its cache, "
        "BM25F with proximity, lead and coordination); *all cores*: "
        "`add_many(jobs=os.cpu_count())`; *index*: `ingest()` from the JSON Lines "
        "files, as the `newsindex index` command does.",
        "- **Whoosh, StandardAnalyzer**: regex tokens, lower case, English "
        "stopwords, no stemming; the floor cost of Whoosh itself. Queries: the OR "
        "of the query's terms over title and body, BM25F.",
        "- **Whoosh + PySastrawi**: regex tokens, lower case, the Tala stopword "
        "list, a Whoosh filter stemming every token with PySastrawi; *naive*: "
        "without a cache (every token stemmed anew), *cached*: a dict in front. "
        "Both give the same terms, so relevance is measured once. (PySastrawi's own "
        "`StemmerFactory().create_stemmer()` caches too.)",
        "- **tantivy** (tantivy-py): default tokenizer; the writer's threads as "
        "tantivy chooses them (all cores). Queries: a boolean OR of term queries "
        "over title and body.",
        "- **tantivy / bm25s + newsindex's analyzer**: the text analysed in Python "
        "by `Analyzer().terms()` (one process, cached), the terms indexed by tantivy "
        "(whitespace tokenizer; the original text stored) or bm25s (BM25 defaults, "
        "title and body as one field, no text stored); queries analysed the same "
        "way and OR-ed.",
        "",
    ]


# -- charts ------------------------------------------------------------------------


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "figure.dpi": 110})
    return plt


def chart_build(b: dict[str, Any], path: Path) -> None:
    plt = _plt()
    names = list(b["median"])
    values = [b["median"][n]["articles_per_s"] for n in names]
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(names) + 1.2))
    colors = ["#c0392b" if n.startswith("newsindex") else "#7f8c8d" for n in names]
    ax.barh([_label(n) for n in names], values, color=colors)
    ax.set_xscale("log")
    ax.invert_yaxis()
    for y, v in enumerate(values):
        ax.text(v, y, f" {v:,.0f}", va="center")
    ax.set_xlabel("articles per second (log scale; median of runs)")
    ax.set_title(f"Build throughput, {b['articles']:,} articles")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def chart_latency(lat: dict[str, Any], path: Path) -> None:
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
    for ax, qset in zip(axes, ("short", "headline"), strict=True):
        bars = []
        for name, report in lat["engines"].items():
            for mode, tag in (("with_snippets", "+snip"), ("without_snippets", "")):
                if mode in report[qset]:
                    bars.append((f"{name}{tag}", report[qset][mode]["median"]))
        xs = range(len(bars))
        for i, (pct, color) in enumerate(
            (("p50_ms", "#2980b9"), ("p95_ms", "#f39c12"), ("p99_ms", "#c0392b"))
        ):
            ax.bar(
                [x + (i - 1) * 0.27 for x in xs],
                [b[1][pct] for b in bars],
                width=0.27,
                color=color,
                label=pct[:3],
            )
        ax.set_xticks(list(xs), [b[0] for b in bars], rotation=40, ha="right")
        ax.set_yscale("log")
        ax.set_title(f"{qset} queries, top 10")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("milliseconds (log scale)")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def chart_relevance(rel: dict[str, Any], path: Path) -> None:
    plt = _plt()
    sets = rel["sets"]
    engines = list(next(iter(sets.values())).keys())
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, split in zip(axes, ("tuning", "test"), strict=True):
        keys = [k for k in sets if (k.endswith("/test")) == (split == "test")]
        width = 0.8 / len(engines)
        for i, name in enumerate(engines):
            ax.bar(
                [x + (i - len(engines) / 2 + 0.5) * width for x in range(len(keys))],
                [sets[k].get(name, {}).get("mrr@10", 0) for k in keys],
                width=width,
                label=name,
            )
        ax.set_xticks(
            range(len(keys)), [k.split("/")[0] for k in keys], rotation=20, ha="right"
        )
        ax.set_ylim(0.5, 1.0)
        ax.set_title(f"MRR@10, {split} splits")
        ax.grid(axis="y", alpha=0.3)
    axes[1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def chart_growth(g: dict[str, Any], path: Path) -> None:
    plt = _plt()
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    panels = (
        ("articles/s", lambda f: f["build"]["median"]["articles_per_s"]),
        ("index MB", lambda f: f["build"]["median"]["index_mb"]),
        ("peak RSS MB (tree)", lambda f: f["build"]["median"]["tree_peak_rss_mb"]),
        (
            "short query p50 ms",
            lambda f: f["latency"]["short"].get(
                "with_snippets", f["latency"]["short"]["without_snippets"]
            )["median"]["p50_ms"],
        ),
    )
    engines = {n for s in g["scales"].values() for n in s["engines"]}
    for ax, (title, get) in zip(axes.flat, panels, strict=True):
        for name in sorted(engines):
            points = [
                (s["corpus"]["articles"], get(s["engines"][name]))
                for s in g["scales"].values()
                if name in s["engines"]
            ]
            ax.plot([p[0] for p in points], [p[1] for p in points], "o-", label=name)
        ax.set_title(title)
        ax.set_xlabel("articles")
        ax.xaxis.set_major_formatter(lambda x, _: f"{x / 1000:.0f}k")
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    axes[0][0].legend()
    fig.suptitle("Cost against corpus size (CLICK-ID replicated)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# -- the page ----------------------------------------------------------------------


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
    lines = _header(main, growth)
    lines += _targets_section(targets(main, growth))
    if main and "build" in main:
        lines += _build_section(main["build"])
        chart_build(main["build"], DOCS / "bench-build.png")
        written.append(DOCS / "bench-build.png")
    if main and "latency" in main:
        lines += _latency_section(main["latency"])
        chart_latency(main["latency"], DOCS / "bench-latency.png")
        written.append(DOCS / "bench-latency.png")
    if main and "relevance" in main:
        lines += _relevance_section(main["relevance"])
        chart_relevance(main["relevance"], DOCS / "bench-relevance.png")
        written.append(DOCS / "bench-relevance.png")
    if main and "stemming" in main:
        lines += _stemming_section(main["stemming"])
    if growth:
        lines += _growth_section(growth)
        chart_growth(growth, DOCS / "bench-growth.png")
        written.append(DOCS / "bench-growth.png")
    else:
        lines += ["## Growth", "", "Not run yet: `python -m bench.growth`.", ""]
    lines += _method()
    sources = [
        p.resolve().relative_to(REPO) if p.resolve().is_relative_to(REPO) else p
        for p in (main_path, growth_path)
        if p
    ]
    lines.append("Results files: " + ", ".join(f"`{p}`" for p in sources) + ".")
    PAGE.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return [PAGE, *written]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", type=Path)
    parser.add_argument("--growth", type=Path)
    args = parser.parse_args()
    written = render(args.results, args.growth)
    print("\n".join(map(str, written)))


if __name__ == "__main__":
    main()
