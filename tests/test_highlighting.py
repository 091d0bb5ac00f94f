"""Tests of newsindex._highlighting: choosing, highlighting and rendering snippets."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given
from markup import parse_html
from strategies import fullwidth, term_sets, texts

from newsindex import Analyzer, Article, Snippet
from newsindex._highlighting import (
    ELLIPSIS,
    SNIPPET_WIDTH,
    highlight_text,
    make_snippet,
)

PREFIX = ELLIPSIS + " "
SUFFIX = " " + ELLIPSIS
WORD_CHAR = re.compile(r"\w")


def long_text(sample_articles: list[Article]) -> str:
    """About 4,000 characters of news, "naik" words scattered through it."""
    return " ".join(article.body for article in sample_articles[:12])


def located(text: str, snippet: Snippet) -> tuple[int, int]:
    """Where the snippet's text (without ellipses) lies in ``text``."""
    piece = snippet.text.removeprefix(PREFIX).removesuffix(SUFFIX)
    start = text.find(piece)
    assert start >= 0, "a snippet is a piece of the text"
    return start, start + len(piece)


def inside_word(text: str, i: int) -> bool:
    """Whether offset ``i`` falls between two word characters."""
    return 0 < i < len(text) and bool(
        WORD_CHAR.match(text[i - 1]) and WORD_CHAR.match(text[i])
    )


def highlighted(snippet: Snippet) -> list[str]:
    return [snippet.text[start:end] for start, end in snippet.highlights]


# -- stem-aware highlighting -----------------------------------------------------


def test_highlights_every_form_exactly_as_written(analyzer: Analyzer) -> None:
    text = "Pemerintah menaikkan harga BBM. Kenaikan itu membuat tarif NAIK lagi."
    snippet = make_snippet(text, analyzer, {"naik"})
    assert snippet.text == text
    assert highlighted(snippet) == ["menaikkan", "Kenaikan", "NAIK"]


@pytest.mark.parametrize(
    ("text", "terms", "expected"),
    [
        ("Banjir di Bekasi, bukan barang bekas", {"bekasi"}, ["Bekasi"]),
        ("Anak-anak dan anak sekolah", {"anak"}, ["Anak-anak", "anak"]),
        ("Kasus Covid-19 naik", {"19"}, ["19"]),
        ("Inflasi 5,2 persen, bukan 5 persen", {"5,2"}, ["5,2"]),
        (fullwidth("Kenaikan") + " harga", {"naik"}, [fullwidth("Kenaikan")]),
        ("harga yang naik", {"yang"}, []),  # stopwords are never terms
    ],
)
def test_highlight_table(
    analyzer: Analyzer, text: str, terms: set[str], expected: list[str]
) -> None:
    assert highlighted(make_snippet(text, analyzer, terms)) == expected
    assert highlighted(highlight_text(text, analyzer, terms)) == expected


def test_highlight_text_covers_the_whole_title(analyzer: Analyzer) -> None:
    title = "Kenaikan Harga BBM " * 30 + "dan Tarif Naik"
    snippet = highlight_text(title, analyzer, {"naik"})
    assert snippet.text == title
    assert len(snippet.highlights) == 31


# -- placing the snippet ---------------------------------------------------------


@pytest.mark.parametrize("term", ["naik", "harga", "bekasi", "anak", "2024", "banjir"])
def test_long_text_snippet_length_and_boundaries(
    analyzer: Analyzer, sample_articles: list[Article], term: str
) -> None:
    text = long_text(sample_articles)
    snippet = make_snippet(text, analyzer, {term})
    assert snippet.highlights, "the term occurs in the text"
    assert 160 <= len(snippet.text) <= 200
    start, end = located(text, snippet)
    # Whole words only: neither end falls between two word characters.
    assert not inside_word(text, start)
    assert not inside_word(text, end)
    assert not snippet.text.removeprefix(PREFIX)[:1].isspace()
    assert not snippet.text.removesuffix(SUFFIX)[-1:].isspace()
    # Ellipses mark exactly the cuts.
    assert snippet.text.startswith(PREFIX) == (start > 0)
    assert snippet.text.endswith(SUFFIX) == (end < len(text))


@pytest.mark.parametrize("width", [60, 120, SNIPPET_WIDTH, 300])
def test_width(analyzer: Analyzer, sample_articles: list[Article], width: int) -> None:
    text = long_text(sample_articles)
    snippet = make_snippet(text, analyzer, {"banjir"}, width=width)
    start, end = located(text, snippet)
    assert width - 30 <= end - start <= width


@pytest.mark.parametrize("word", ["5,2", "1.500.000", "anak-anak", "rata-rata"])
@pytest.mark.parametrize("side", ["start", "end"])
def test_snippet_never_cuts_a_token(analyzer: Analyzer, word: str, side: str) -> None:
    for pad in range(100):
        if side == "end":
            text = "naik " + "a " * pad + word + " " + "b " * 150
        else:
            text = "b " * 150 + word + " " + "a " * pad + "naik " + "c " * 150
        snippet = make_snippet(text, analyzer, {"naik"})
        start, end = located(text, snippet)
        edge = start if side == "start" else end
        cut = [text[s:e] for s, e, _ in analyzer.spans(text) if s < edge < e]
        assert not cut, snippet.text


def test_no_match_gives_the_beginning(
    analyzer: Analyzer, sample_articles: list[Article]
) -> None:
    text = long_text(sample_articles)
    snippet = make_snippet(text, analyzer, {"tidakadadisini"})
    assert snippet.highlights == ()
    assert text.startswith(snippet.text.removesuffix(SUFFIX))
    assert snippet.text.endswith(SUFFIX)
    assert 160 <= len(snippet.text) <= 200
    assert make_snippet(text, analyzer, ()) == snippet


@pytest.mark.parametrize("terms", [{"naik"}, set()])
def test_short_text_is_whole_without_ellipses(
    analyzer: Analyzer, terms: set[str]
) -> None:
    text = "Harga cabai naik dua kali lipat."
    assert make_snippet(text, analyzer, terms).text == text


def test_empty_text(analyzer: Analyzer) -> None:
    assert make_snippet("", analyzer, {"naik"}) == Snippet("", ())


def test_snippet_prefers_the_densest_passage(analyzer: Analyzer) -> None:
    filler = "Lorem ipsum dolor sit amet. " * 12
    text = f"Harga naik. {filler}Harga beras naik lagi, harga cabai naik juga. {filler}"
    snippet = make_snippet(text, analyzer, {"harga", "naik"})
    assert snippet.text.startswith(PREFIX + "Harga beras naik lagi")
    assert len(snippet.highlights) == 4


def test_control_characters_become_spaces(analyzer: Analyzer) -> None:
    text = "Harga\x00naik\x1b lagi\u2028besok"
    snippet = make_snippet(text, analyzer, {"naik"})
    assert snippet.text == "Harga naik  lagi besok"
    assert highlighted(snippet) == ["naik"]


# -- rendering -------------------------------------------------------------------


HOSTILE = (
    'Harga <script>alert("naik")</script> & "naik" </mark><mark>naik</mark> '
    "'naik' &amp; <img src=x onerror=naik()> <!-- naik --> naik"
)


@pytest.mark.parametrize("make", [make_snippet, highlight_text])
def test_html_escapes_everything_but_the_marks(analyzer: Analyzer, make) -> None:
    snippet = make(HOSTILE, analyzer, {"naik"})
    rendered = snippet.html()
    parsed = parse_html(rendered)
    assert {tag for _, tag, _ in parsed.markup} == {"mark"}
    assert [kind for kind, _, _ in parsed.markup] == ["start", "end"] * len(
        snippet.highlights
    )
    assert "".join(parsed.text) == snippet.text
    assert "<script" not in rendered
    assert '"' not in rendered
    assert "'" not in rendered
    assert "&amp;amp;" in rendered  # the article's own "&amp;" is text
    assert html.unescape(re.sub("</?mark>", "", rendered)) == snippet.text


def test_html_marks_wrap_the_highlights(analyzer: Analyzer) -> None:
    snippet = make_snippet("Harga & tarif naik", analyzer, {"naik", "harga"})
    assert snippet.html() == "<mark>Harga</mark> &amp; tarif <mark>naik</mark>"
    assert snippet.html("b") == "<b>Harga</b> &amp; tarif <b>naik</b>"


@pytest.mark.parametrize("tag", ["", "mark onclick=x", "script>", "1b", "a-b", "<b>"])
def test_html_rejects_odd_tags(tag: str) -> None:
    with pytest.raises(ValueError, match="not a tag name"):
        Snippet("teks", ((0, 4),)).html(tag)


def test_ansi_and_plain() -> None:
    snippet = Snippet("harga <naik> & naik", ((0, 5), (15, 19)))
    assert snippet.ansi() == "\x1b[1;33mharga\x1b[0m <naik> & \x1b[1;33mnaik\x1b[0m"
    assert snippet.ansi("[", "]") == "[harga] <naik> & [naik]"
    assert snippet.plain() == str(snippet) == "harga <naik> & naik"


def test_sample_article_with_markup_characters(
    analyzer: Analyzer, sample_by_id: dict[str, Article]
) -> None:
    article = sample_by_id["eko-target-inflasi-ekonom"]
    assert {"<", ">", "&", '"'} <= set(article.title + article.body)
    title = highlight_text(article.title, analyzer, {"inflasi", "harga"})
    assert highlighted(title) == ["Inflasi", "Harga"]
    assert title.html().startswith(
        "Target <mark>Inflasi</mark> &quot;&lt;5%&quot; &amp; "
    )
    body = make_snippet(article.body, analyzer, {"inflasi"}).html()
    assert {tag for _, tag, _ in parse_html(body).markup} == {"mark"}


# -- invariants ------------------------------------------------------------------


def check_snippet(snippet: Snippet, analyzer: Analyzer, terms: frozenset[str]) -> None:
    end = 0
    for start, stop in snippet.highlights:
        assert 0 <= start < stop <= len(snippet.text)
        assert start >= end
        end = stop
        assert analyzer.terms(snippet.text[start:stop])[0] in terms
    parsed = parse_html(snippet.html())
    assert all(tag == "mark" for _, tag, _ in parsed.markup)
    assert all(
        kind in ("start", "end") and not attrs for kind, _, attrs in parsed.markup
    )
    assert len(parsed.markup) == 2 * len(snippet.highlights)
    assert "".join(parsed.text) == snippet.text


@given(texts(), term_sets())
def test_snippet_invariants(
    analyzer: Analyzer, text: str, terms: frozenset[str]
) -> None:
    check_snippet(make_snippet(text, analyzer, terms), analyzer, terms)
    check_snippet(highlight_text(text, analyzer, terms), analyzer, terms)


# What the snippet does to control characters (one for one, so offsets hold).
CONTROL_TO_SPACE = dict.fromkeys(
    [*range(0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029], " "
)


@given(texts(max_pieces=200), term_sets())
def test_snippet_is_a_bounded_piece_of_the_text(
    analyzer: Analyzer, text: str, terms: frozenset[str]
) -> None:
    snippet = make_snippet(text, analyzer, terms)
    start, end = located(text.translate(CONTROL_TO_SPACE), snippet)
    assert end - start <= SNIPPET_WIDTH
