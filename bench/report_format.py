"""How the benchmark page writes numbers, engine and set names, and tables.

Shared by the page's sections, its targets and its charts
(:mod:`bench.report`), so that a figure reads the same everywhere.
"""

from __future__ import annotations

NA = "\N{EN DASH}"
TIMES = "\N{MULTIPLICATION SIGN}"

LABELS = {
    "newsindex": "newsindex",
    "newsindex-parallel": "newsindex, all cores",
    "newsindex-ingest": "newsindex index (from the files, 1 process)",
    "newsindex-ingest-parallel": "newsindex index (from the files, all cores)",
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


def number(value: float | None, digits: int = 1) -> str:
    """``value`` with thousands separators, or a dash when not measured."""
    if value is None:
        return NA
    return f"{value:,.{digits}f}"


def times(value: float | None) -> str:
    """A ratio, two decimals and the multiplication sign."""
    return NA if value is None else f"{value:.2f}{TIMES}"


def table(head: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    """A Markdown table; ``align`` has an ``l`` or ``r`` per column."""
    align = align or "l" + "r" * (len(head) - 1)
    marks = [":--" if a == "l" else "--:" for a in align]
    out = ["| " + " | ".join(head) + " |", "| " + " | ".join(marks) + " |"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return [*out, ""]


def label(name: str) -> str:
    """An engine's name as the page writes it."""
    return LABELS.get(name, name)


def build_label(name: str) -> str:
    """An engine's name in the build figures, where the processes matter."""
    return BUILD_LABELS.get(name, label(name))


def set_label(key: str) -> str:
    """A query set's key (``clickid/test``) as the page writes it."""
    name, split = key.split("/")
    return f"{SET_LABELS.get(name, name)}, {split}"
