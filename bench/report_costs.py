"""The page's sections on what indexing and searching cost.

Build time, throughput and memory; query latency, with and without snippets;
and how both grow with the corpus (the growth run). Each section is a list of
Markdown lines, made from its step's part of the results JSON.
"""

from __future__ import annotations

from typing import Any

from bench.report_format import NA, build_label, label, number, table, times

_BUILD_HEAD = [
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
_LATENCY_HEAD = [
    "engine",
    "set",
    "snippets",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "mean ms",
    "p50 ÷ tantivy",
]
_GROWTH_HEAD = [
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


def build_section(b: dict[str, Any]) -> list[str]:
    """Build time, throughput, index size and memory of every engine."""
    lines = [
        "## Build",
        "",
        f"{b['articles']:,} articles (CLICK-ID and IndoSum, titles and bodies, "
        f"{b['text_mb']:.1f} MB of text), each engine built {b['repeat']} times in "
        "a fresh subprocess, interleaved (the two `newsindex index` rows once, in "
        "the last round); medians. `jobs` = "
        f"{b['jobs']}. Peak RSS is the process's own (`ru_maxrss`, the harness's "
        "preloaded articles included, shown apart); *tree* is the sampled peak of "
        "the process and its workers together.",
        "",
    ]
    lines += table(_BUILD_HEAD, _build_rows(b))
    naive = b["runs"].get("whoosh-sastrawi-naive")
    if naive:
        run = naive[0]
        lines.append(
            f"The naive build was timed on {run['articles']:,} evenly spaced "
            f"articles ({run['text_mb']} MB of text; "
            f"{', '.join(number(r['measured_seconds']) for r in naive)} s) "
            "and its time extrapolated linearly by text size; its memory is the "
            "subset's and its index size is not estimated."
        )
        lines.append("")
    lines.append("Seconds of every run:")
    lines.append("")
    rows = [
        [label(n), ", ".join(number(r["seconds"]) for r in runs)]
        for n, runs in b["runs"].items()
    ]
    lines += table(["engine", "runs (s)"], rows, "ll")
    lines.append("![Build throughput](bench-build.png)")
    return [*lines, ""]


def _build_rows(b: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name, m in b["median"].items():
        mark = " (extrapolated)" if name == "whoosh-sastrawi-naive" else ""
        rows.append(
            [
                build_label(name) + mark,
                str(len(b["runs"][name])),
                number(m["seconds"]),
                number(m["articles_per_s"], 0),
                number(m["text_mb_per_s"], 2),
                number(m["index_mb"]),
                number(m["peak_rss_mb"], 0),
                number(m["tree_peak_rss_mb"], 0),
                number(m.get("harness_rss_mb"), 0),
                times(b["seconds_ratio_to_whoosh"].get(name)),
                times(b["seconds_ratio_to_tantivy"].get(name)),
            ]
        )
    return rows


def latency_section(lat: dict[str, Any]) -> list[str]:
    """Query latency of every engine, and what newsindex's snippets cost."""
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
    lines += table(_LATENCY_HEAD, _latency_rows(lat), "lllrrrrr")
    ours = lat["engines"].get("newsindex")
    if ours:
        for qset in ("short", "headline"):
            r = ours[qset]
            lines.append(
                f"- newsindex, {qset}: snippets cost a median "
                f"{r['snippet_cost_median_ms']:.2f} ms per query; p50 "
                f"{times(r['snippet_ratio_p50'])}, p99 "
                f"{times(r['snippet_ratio_p99'])} the search without them."
            )
        lines.append("")
    lines.append("![Query latency](bench-latency.png)")
    return [*lines, ""]


def _latency_rows(lat: dict[str, Any]) -> list[list[str]]:
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
                        label(name),
                        qset,
                        word,
                        number(m["p50_ms"], 2),
                        number(m["p95_ms"], 2),
                        number(m["p99_ms"], 2),
                        number(m["mean_ms"], 2),
                        times(rel),
                    ]
                )
    return rows


def growth_section(g: dict[str, Any]) -> list[str]:
    """Build and query cost at every scale of the growth run, and their ratios."""
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
    lines += table(_GROWTH_HEAD, _growth_rows(g))
    lines.append(
        "Latency with snippets where the engine makes them (newsindex, tantivy). "
        "Ratios to the smallest scale:"
    )
    lines.append("")
    lines += table(
        ["engine", "scale", "articles/s", "index size", "peak RSS", "short p50"],
        _growth_ratio_rows(g),
    )
    lines.append("![Cost against corpus size](bench-growth.png)")
    return [*lines, ""]


def _growth_rows(g: dict[str, Any]) -> list[list[str]]:
    rows = []
    for key, scale in g["scales"].items():
        for name, found in scale["engines"].items():
            m = found["build"]["median"]
            lat = found["latency"]
            mode = (
                "with_snippets"
                if "with_snippets" in lat["short"]
                else "without_snippets"
            )
            s = lat["short"][mode]["median"]
            h = lat["headline"][mode]["median"]
            terms = found["build"].get("terms")
            rows.append(
                [
                    label(name),
                    f"{key}x",
                    f"{scale['corpus']['articles']:,}",
                    f"{scale['corpus']['words']:,}",
                    number(m["seconds"]),
                    number(m["articles_per_s"], 0),
                    number(m["text_mb_per_s"], 2),
                    number(m["index_mb"]),
                    f"{terms:,}" if terms else NA,
                    number(m["tree_peak_rss_mb"], 0),
                    f"{s['p50_ms']:.2f} / {s['p99_ms']:.2f}",
                    f"{h['p50_ms']:.2f} / {h['p99_ms']:.2f}",
                ]
            )
    return rows


def _growth_ratio_rows(g: dict[str, Any]) -> list[list[str]]:
    rows = []
    for key, engines in g.get("ratio_to_first_scale", {}).items():
        for name, r in engines.items():
            short = r.get(
                "short_with_snippets_p50", r.get("short_without_snippets_p50")
            )
            rows.append(
                [
                    label(name),
                    f"{key}x",
                    times(r["articles_per_s"]),
                    times(r["index_mb"]),
                    times(r["tree_peak_rss_mb"]),
                    times(short),
                ]
            )
    return rows
