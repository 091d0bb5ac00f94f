"""Hypothesis strategies shared by the property-based tests.

Text strategies mix Indonesian words that exercise every analysis rule
(affixes, reduplication, hyphenated compounds, numbers, protected names,
stopwords) with hostile pieces (markup, control characters, other scripts,
over-long words) and with arbitrary Unicode.
"""

from __future__ import annotations

from hypothesis import strategies as st


def fullwidth(text: str) -> str:
    """``text`` in full-width forms (ASCII letters and digits), as NFKC undoes."""
    return "".join(
        chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text
    )


#: Words and fragments that reach every branch of the analyzer.
INDONESIAN_WORDS = (
    "naik",
    "kenaikan",
    "menaikkan",
    "Dinaikkan",
    "harga",
    "beras",
    "BBM",
    "anak-anak",
    "rata-rata",
    "sehari-hari",
    "sayur-mayur",
    "Covid-19",
    "5,2",
    "1.000",
    "Rp10.000",
    "2024",
    "Bekasi",
    "Bali",
    "yang",
    "dan",
    "di",
    fullwidth("naik"),
    "ﬁnansial",
    "İstanbul",
    "naik_turun",
    "x" * 70,
)

#: Fragments that try to break rendering, offsets and the query parser.
HOSTILE_PIECES = (
    "<script>alert(1)</script>",
    "</mark>",
    "<mark>",
    "&amp;",
    "&",
    "<",
    ">",
    '"',
    "'",
    "-",
    "--",
    "OR",
    "NOT",
    "AND",
    "|",
    ".",
    "...",
    "!",
    "?",
    "\n",
    "\t",
    "\r\n",
    "\xa0",
    "(",
    "),",
    "\u201c",
    "\u201d",
    "\u2014",
    "_",
    "\x00",
    "\x1b[31m",
    "\u2028",
    "\u200b",
    "é",
    "e\u0301",
    "中文",
    "العربية",
    "🙂",
)

_pieces = st.one_of(
    st.sampled_from(INDONESIAN_WORDS),
    st.sampled_from(HOSTILE_PIECES),
    st.text(max_size=12),
)
_separators = st.sampled_from([" ", " ", " ", ", ", ". ", "\n", "-", ""])


@st.composite
def _joined(draw: st.DrawFn, max_pieces: int) -> str:
    pieces = draw(st.lists(_pieces, max_size=max_pieces))
    out: list[str] = []
    for piece in pieces:
        out.append(piece)
        out.append(draw(_separators))
    return "".join(out)


def texts(max_pieces: int = 60) -> st.SearchStrategy[str]:
    """Article-like text: mostly words, some hostile pieces, some noise."""
    return st.one_of(_joined(max_pieces), st.text(max_size=200))


def query_texts() -> st.SearchStrategy[str]:
    """Anything a user might type, including control characters and 10,000
    characters of noise."""
    return st.one_of(
        _joined(30),
        st.text(),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
        st.text(alphabet=st.sampled_from('"-() |ORNTAD'), max_size=40),
        st.builds(lambda s, n: (s or "a") * n, st.text(max_size=5), st.just(10_000)),
    )


def term_sets() -> st.SearchStrategy[frozenset[str]]:
    """Query terms to highlight: real stems, odd strings, or nothing."""
    return st.frozensets(
        st.one_of(
            st.sampled_from(["naik", "harga", "anak", "covid", "19", "5,2", "bekasi"]),
            st.sampled_from(["mark", "script", "amp", "x" * 70]),
            st.text(min_size=1, max_size=6),
        ),
        max_size=5,
    )
