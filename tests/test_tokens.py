"""Tests of newsindex._tokens: the indexing path over space-separated chunks
gives exactly what matching the token pattern word by word gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from strategies import fullwidth, texts

from newsindex import Analyzer
from newsindex._tokens import TOKEN_RE, split_chunks

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def word_by_word(analyzer: Analyzer, text: str) -> tuple[list[str], list[int]]:
    """The reference: every match of the pattern, analysed on its own."""
    terms: list[str] = []
    starts: list[int] = []
    for match in TOKEN_RE.finditer(text):
        analysis = analyzer._word_analysis(match.group())
        if isinstance(analysis, str):
            if analysis:
                terms.append(analysis)
                starts.append(match.start())
        else:
            for offset, _, term in analysis:
                if term:
                    terms.append(term)
                    starts.append(match.start() + offset)
    return terms, starts


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "Harga naik.",
        "  dua  spasi  ",
        "(Kenaikan), “menaikkan” — naik…",
        "Rp10.000 (Rp5.000,00) dan 5,2 persen",
        "anak-anak, Covid-19; sayur-mayur (Jawa-Bali)",
        "baris\nbaru\r\ntab\tdan\xa0nbsp\u2003em\u2028garis",
        "_naik_ -naik- naik-",
        "12/3 2024-2025 1.5-2 abc1d10.000 x10.000",
        fullwidth("KENAIKAN") + " ﬁnansial İstanbul",
        "x" * 70 + " naik",
    ],
)
def test_chunks_give_what_the_pattern_gives(analyzer: Analyzer, text: str) -> None:
    assert analyzer.terms_and_starts(text) == word_by_word(analyzer, text)


@given(texts())
def test_chunks_give_what_the_pattern_gives_on_any_text(
    analyzer: Analyzer, text: str
) -> None:
    assert analyzer.terms_and_starts(text) == word_by_word(analyzer, text)
    # A cold analyzer whose chunk cache is emptied every few chunks.
    tiny = Analyzer(stemmer=analyzer.stemmer, cache_size=3)
    assert tiny.terms_and_starts(text) == word_by_word(analyzer, text)
    assert tiny.terms_and_starts(text) == word_by_word(analyzer, text)


def test_offsets_point_at_the_words(analyzer: Analyzer) -> None:
    text = "“Kenaikan”\tharga\n(beras) Rp10.000"
    terms, starts = analyzer.terms_and_starts(text)
    assert terms == ["naik", "harga", "beras", "rp", "10.000"]
    assert [analyzer.span_at(text, s) for s in starts] == [
        (1, 9),
        (11, 16),
        (18, 23),
        (25, 27),
        (27, 33),
    ]


def test_split_chunks_keeps_offsets() -> None:
    text = "a\tb\nc  d\r\ne"
    chunks = split_chunks(text)
    assert len(" ".join(chunks)) == len(text)
    assert chunks == ["a", "b", "c", "", "d", "", "e"]


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data absent")
def test_chunks_give_what_the_pattern_gives_on_real_news() -> None:
    analyzer = Analyzer(cache_size=20_000)  # small enough to be emptied
    with (SHARED / "clickid" / "articles.jsonl").open(encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if number == 1500:
                break
            record = json.loads(line)
            for text in (record.get("title") or "", record.get("body") or ""):
                assert analyzer.terms_and_starts(text) == word_by_word(analyzer, text)
