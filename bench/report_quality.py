"""The page's sections on how good the results are: relevance and stemming.

Relevance: MRR@10 and recall of every engine on every query set, and
newsindex's paired difference from each baseline. Stemming: the analyzer's
accuracy on the UD Indonesian treebanks against PySastrawi and Tala, and the
words on which it and PySastrawi disagree.
"""

from __future__ import annotations

from typing import Any

from bench.report_format import NA, label, set_label, table

_STEMMING_HEAD = [
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


def relevance_section(rel: dict[str, Any]) -> list[str]:
    """Every engine's scores on every set, and newsindex's paired differences."""
    engines = list(next(iter(rel["sets"].values())).keys())
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
    rows, capped = _score_rows(rel["sets"], engines)
    head = ["set", "queries", *(label(e) for e in engines)]
    lines += table(head, rows, "lr" + "r" * len(engines))
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
    lines += table(["set", *(label(e) for e in others)], _paired_rows(rel, others))
    lines.append(
        "In the chart, plain Whoosh's bars on the capped sets are its subset's figures."
    )
    lines.append("")
    lines.append("![Relevance](bench-relevance.png)")
    return [*lines, ""]


def _score_rows(
    sets: dict[str, Any], engines: list[str]
) -> tuple[list[list[str]], set[int]]:
    """The scores table's rows, and the query counts of the capped cells.

    An engine that ran fewer queries than the row's others (plain Whoosh, on
    the long sets) is marked, and not in the running for the row's best.
    """
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
        rows.append([set_label(key), f"{full:,}", *cells])
    return rows, capped


def _paired_rows(rel: dict[str, Any], others: list[str]) -> list[list[str]]:
    rows = []
    for key, diffs in rel["newsindex_vs"].items():
        rows.append(
            [set_label(key)]
            + [
                f"{diffs[e]['mrr10_diff']:+.3f} [{diffs[e]['ci95'][0]:+.3f}, "
                f"{diffs[e]['ci95'][1]:+.3f}]"
                if e in diffs
                else NA
                for e in others
            ]
        )
    return rows


def stemming_section(st: dict[str, Any]) -> list[str]:
    """Accuracy on every treebank, and the words the stemmers disagree on."""
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
    lines += table(_STEMMING_HEAD, _accuracy_rows(st))
    tokens = st.get("disagreement_tokens", {})
    lines.append(
        "Where the analyzer and PySastrawi disagree on an indexed token, the lemma "
        f"sides with the analyzer on {tokens.get('newsindex_right', 0)} tokens and "
        f"with PySastrawi on {tokens.get('pysastrawi_right', 0)}; the most frequent:"
    )
    lines.append("")
    rows = [
        [
            side.replace("_right", ""),
            d["word"],
            d["lemma"],
            d["newsindex"],
            str(d["pysastrawi"]),
            str(d["count"]),
        ]
        for side, found in st.get("disagreements", {}).items()
        for d in found[:6]
    ]
    lines += table(
        ["right", "word", "lemma", "newsindex", "PySastrawi", "tokens"], rows, "lllllr"
    )
    return lines


def _accuracy_rows(st: dict[str, Any]) -> list[list[str]]:
    rows = []
    for bank, r in st["treebanks"].items():
        if "/" in bank:  # one part of speech (id_pud/NOUN); the page shows wholes
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
    return rows
