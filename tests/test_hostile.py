"""Hostile input: untrusted query strings, search arguments and article text.

Every query string gives results, or empty results with a reason in
``notes``, at a bounded cost (the limits of :class:`QueryLimits`); nothing
raises but :class:`QueryError`, and that only for bad *arguments*. Article
text never reaches the HTML of a snippet unescaped: the only markup is
``<mark>``.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import random
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markup import parse_html
from strategies import HOSTILE_PIECES, fullwidth, query_texts, texts

from newsindex import (
    Analyzer,
    Article,
    ConfigurationError,
    NewsIndex,
    QueryError,
    QueryLimits,
    SearchResults,
    Snippet,
)
from newsindex._query import (
    FILTER_VALUES_CEILING,
    MAX_ALTERNATIVES,
    MAX_CLAUSES,
    MAX_FILTER_VALUES,
    MAX_PHRASE_TERMS,
    MAX_QUERY_CHARS,
    parse_query,
)
from newsindex.cli import main

#: Seconds any one search may take here. Generous (a loaded 2-core machine);
#: the real bound is structural, checked by test_query_cost_is_bounded.
TIME_BOUND = 2.0

#: Real words of the sample articles, to mix with the noise.
SAMPLE_WORDS = (
    "harga", "beras", "naik", "kenaikan", "banjir", "Bekasi", "gempa", "BBM",
    "pemerintah", "inflasi", "anak-anak", "Covid-19", "Rp10.000", "5,2",
    "Jakarta", "pasar", "menaikkan", "longsor", "sekolah", "2024",
)  # fmt: skip
_MANY_WORDS = [f"{w}{i}" for i in range(250) for w in ("harga", "beras")]

# Each entry: (label, query). The comment says what it probes.
NASTY_QUERIES = [
    # -- quotes: a phrase opened and never closed, or closed and never opened
    ("open quote", '"harga beras'),
    ("close quote", 'harga beras"'),
    ("odd quotes", '"harga" "beras'),
    ("only quotes", '"""""'),
    ("empty phrase", '""'),
    ("10,000 quotes", '"' * 10_000),
    # -- parentheses are not syntax here: unbalanced or deep, they are noise
    ("open parens", "((harga beras"),
    ("close parens", "harga)) beras)"),
    ("deep parens", "(" * 5_000 + "harga" + ")" * 5_000),
    # -- operators with nothing (or only operators) to act on
    ("lone OR", "OR"),
    ("lone NOT", "NOT"),
    ("lone AND", "AND"),
    ("lone minus", "-"),
    ("lone pipe", "|"),
    ("operators only", "AND OR NOT - | AND --"),
    ("trailing OR", "harga OR"),
    ("leading OR", "OR harga"),
    ("OR OR", "harga OR OR beras"),
    ("NOT NOT", "NOT NOT harga"),
    ("double minus", "--harga"),
    ("excluded phrase", '-"harga beras"'),
    ("only exclusions", "-harga -beras NOT naik"),
    ("minus before nothing", "harga - "),
    # -- other engines' syntax, with fields that do not exist here
    ("unknown field", "penulis:budi"),
    ("field of ours", "title:harga"),
    ("empty field", "title:"),
    ("colon", ":"),
    ("fuzzy", "harga~2"),
    ("boost", "harga^10"),
    ("regex", "/.*/"),
    ("range", "[a TO z]"),
    ("SQL", "' OR 1=1 --"),
    ("format string", "%s%n{0}{__class__}"),
    # -- wildcards and prefixes that would expand to the whole vocabulary
    ("star", "*"),
    ("prefix", "h*"),
    ("every prefix", " ".join(f"{c}*" for c in "abcdefghijklmnopqrstuvwxyz")),
    ("question mark", "?"),
    ("star OR star", "* OR *"),
    # -- control characters, invisible and directional characters
    ("NUL", "harga\x00beras"),
    ("escape sequence", "\x1b[31mharga\x1b[0m"),
    ("bell and backspace", "\x07\x08harga"),
    ("C1 controls", "harga\x85beras\x9b"),
    ("only control characters", "\x00\x01\x02\x7f"),
    ("zero-width space", "har\u200bga"),
    ("right-to-left override", "\u202eharga beras"),
    ("byte order mark", "\ufeffharga"),
    ("line separator", "harga\u2028beras"),
    ("lone surrogate", "harga \ud800 beras"),
    # -- scripts, normalisation
    ("mixed scripts", "harga 中文 العربية Ελλάδα русский 🙂"),
    ("full-width", fullwidth("harga naik")),
    ("combining marks", "e\u0301" * 500),
    ("emoji only", "🙂" * 100),
    ("ligature", "ﬁnansial"),
    # -- markup, which results echo back in SearchResults.query
    ("script tag", "<script>alert(1)</script> harga"),
    ("mark tags", "</mark><mark>harga"),
    # -- size: characters, terms, clauses, alternatives, phrase length
    ("10,000 characters of one word", "a" * 10_000),
    ("10,000 characters of words", (" ".join(SAMPLE_WORDS) * 100)[:10_000]),
    ("5,000 copies of one term", " ".join(["harga"] * 5_000)),
    ("500 distinct terms", " ".join(_MANY_WORDS)),
    ("5,000 alternatives", " OR ".join(["harga", "beras", "naik"] * 1_700)),
    ("500 exclusions", "harga " + " ".join(f"-{w}" for w in _MANY_WORDS)),
    ("300 phrases", " ".join(f'"{w} naik"' for w in _MANY_WORDS[:300])),
    ("one phrase of 2,000 words", '"' + " ".join(SAMPLE_WORDS * 100) + '"'),
    ("a word past the cut", "harga " * 199 + "y" * 2_000),
    ("word over 64 characters", "x" * 65),
    # -- nothing to search
    ("empty", ""),
    ("white space", " \t\n\r "),
    ("stopwords only", "yang dan di ke dari"),
    ("punctuation only", "!@#$%^&*()_+=-[]{};',./<>?`~"),
    ("numbers", "5,2 10.000 Rp10.000 2024"),
]


_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|#x27);")
_C0_C1 = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def assert_safe_html(fragment: str, text: str | None = None) -> None:
    """Only ``<mark>`` and ``</mark>`` are markup, in pairs; the rest is text."""
    kinds = parse_html(fragment).markup
    assert all(tag == "mark" and not attrs for _, tag, attrs in kinds), kinds
    assert [kind for kind, _, _ in kinds] == ["start", "end"] * (len(kinds) // 2)
    bare = fragment.replace("<mark>", "").replace("</mark>", "")
    assert not set("<>\"'") & set(bare), fragment
    assert "&" not in _ENTITY.sub("", bare), fragment
    assert not _C0_C1.search(html.unescape(bare)), fragment
    if text is not None:
        assert html.unescape(bare) == text


def assert_well_formed(results: SearchResults, query: str, limit: int) -> None:
    """What every search result must satisfy, whatever the query."""
    assert isinstance(results, SearchResults)
    assert results.query == query
    assert len(results.hits) <= limit
    assert results.total >= len(results.hits) + results.offset * (len(results.hits) > 0)
    if not results.hits and results.offset == 0:
        assert results.notes, "empty results must say why"
    ids = [hit.id for hit in results]
    assert len(ids) == len(set(ids))
    assert [hit.rank for hit in results] == list(
        range(results.offset + 1, results.offset + len(ids) + 1)
    )
    assert results.took < TIME_BOUND
    for hit in results:
        assert_safe_html(hit.snippet.html(), hit.snippet.text)
        assert_safe_html(hit.title_snippet.html(), hit.title_snippet.text)
    json.dumps(results.to_dict())


# -- the table -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "query"), NASTY_QUERIES, ids=[label for label, _ in NASTY_QUERIES]
)
def test_nasty_query(sample_index: NewsIndex, label: str, query: str) -> None:
    for arguments in ({}, {"sort": "newest", "limit": 3, "page": 2}):
        started = time.perf_counter()
        results = sample_index.search(query, **arguments)
        assert time.perf_counter() - started < TIME_BOUND
        assert_well_formed(results, query, arguments.get("limit", 10))
    parsed = parse_query(query, sample_index.analyzer)
    assert len(parsed.positive) <= MAX_CLAUSES
    assert len(parsed.negative) <= MAX_CLAUSES
    if len(query) > MAX_QUERY_CHARS:
        assert any("characters" in note for note in results.notes)


def test_table_has_every_kind_of_nasty_query() -> None:
    labels = [label for label, _ in NASTY_QUERIES]
    assert len(labels) == len(set(labels))
    assert max(len(query) for _, query in NASTY_QUERIES) >= 10_000


# -- generated queries ----------------------------------------------------------------

_OPERATORS = ('"', "(", ")", "-", "OR", "NOT", "AND", "|", "*", ":", "~", "^")


def _repeat(piece: str, chars: int) -> str:
    return (piece or "a") * (chars // max(len(piece), 1) + 1)


def hostile_queries() -> st.SearchStrategy[str]:
    """Real words, operators and noise, from empty to over the length limit."""
    pieces = st.one_of(
        st.sampled_from(SAMPLE_WORDS),
        st.sampled_from(_OPERATORS),
        st.sampled_from(HOSTILE_PIECES),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
        st.sampled_from(["\ud800", "\udfff", "\x00", "\u202e", "\ufeff"]),
    )
    joined = st.lists(pieces, max_size=300).map(" ".join)
    glued = st.lists(pieces, max_size=60).map("".join)
    long = st.builds(
        _repeat,
        st.one_of(st.sampled_from(SAMPLE_WORDS).map(lambda w: w + " "), joined),
        st.integers(MAX_QUERY_CHARS - 5, 12_000),
    )
    return st.one_of(joined, glued, long, query_texts())


@settings(max_examples=150)
@given(
    query=hostile_queries(),
    limit=st.integers(1, 20),
    sort=st.sampled_from(["relevance", "newest"]),
    snippets=st.booleans(),
)
def test_generated_queries_never_raise(
    sample_index: NewsIndex, query: str, limit: int, sort: str, snippets: bool
) -> None:
    results = sample_index.search(query, limit=limit, sort=sort, snippets=snippets)
    assert_well_formed(results, query, limit)


# -- cost ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crowded_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsIndex]:
    """3,000 articles over 40 short words: every word is in half of them."""
    rng = random.Random(7)
    vocabulary = [a + b for a in "bcdfg" for b in "aeiouxyz"]
    path = tmp_path_factory.mktemp("crowded") / "index"
    index = NewsIndex.create(path, analyzer=Analyzer(stemmer="none"))
    index.add_many(
        Article(
            id=f"c{i}",
            title=" ".join(rng.choices(vocabulary, k=5)),
            body=" ".join(rng.choices(vocabulary, k=30)),
            published=dt.date(2024, 1, 1) + dt.timedelta(days=i % 365),
        )
        for i in range(3_000)
    )
    yield index
    index.close()


def _costly_queries(words: list[str]) -> dict[str, str]:
    phrase = '"' + " ".join(words[: MAX_PHRASE_TERMS + 4]) + '"'
    group = " OR ".join([phrase] * (MAX_ALTERNATIVES + 4))
    return {
        "every word": " ".join(words * 20),
        "phrases": " ".join([phrase] * 100),
        "OR groups of phrases": " ".join([group] * 20),
        "exclusions": words[0] + " " + " ".join(f"-{w}x" for w in words * 20),
        "alternatives": " OR ".join(words * 20),
    }


@pytest.mark.parametrize(
    "kind",
    ["every word", "phrases", "OR groups of phrases", "exclusions", "alternatives"],
)
def test_query_cost_is_bounded(crowded_index: NewsIndex, kind: str) -> None:
    words = [a + b for a in "bcdfg" for b in "aeiouxyz"]
    query = _costly_queries(words)[kind]
    assert len(query) > MAX_QUERY_CHARS
    parsed = parse_query(query, crowded_index.analyzer)
    assert len(parsed.positive) <= MAX_CLAUSES
    assert len(parsed.negative) <= MAX_CLAUSES
    for clause in (*parsed.positive, *parsed.negative):
        assert len(clause.alternatives) <= MAX_ALTERNATIVES
        assert all(len(alt) <= MAX_PHRASE_TERMS for alt in clause.alternatives)
    assert any("characters" in note for note in parsed.notes)
    for arguments in ({}, {"sort": "newest"}, {"offset": 9_990, "limit": 10}):
        started = time.perf_counter()
        results = crowded_index.search(query, **arguments)
        elapsed = time.perf_counter() - started
        assert elapsed < TIME_BOUND, f"{kind} {arguments}: {elapsed:.2f} s"
        assert list(parsed.notes) == list(results.notes[: len(parsed.notes)])


@pytest.mark.parametrize(
    ("query", "note"),
    [
        (" ".join(_MANY_WORDS[:40]), f"only the first {MAX_CLAUSES} words"),
        (
            "harga " + " ".join(f"-{w}" for w in _MANY_WORDS[:40]),
            f"only the first {MAX_CLAUSES} excluded words",
        ),
        (" OR ".join(_MANY_WORDS[:20]), f"cut to {MAX_ALTERNATIVES} alternatives"),
        ('"' + " ".join(_MANY_WORDS[:20]) + '"', f"cut to {MAX_PHRASE_TERMS} words"),
        ("harga " * 300, f"first {MAX_QUERY_CHARS} characters"),
    ],
)
def test_each_cut_is_reported(sample_index: NewsIndex, query: str, note: str) -> None:
    results = sample_index.search(query)
    assert any(note in n for n in results.notes), results.notes


@pytest.mark.parametrize("name", ["sources", "categories"])
def test_filter_lists_are_bounded_and_reported(
    sample_index: NewsIndex, name: str
) -> None:
    """A million names cost what the limit allows: the first ones are used,
    the rest is never read, and the cut is reported."""
    read = 0
    wanted = {"sources": "Kabar Nusantara", "categories": "Ekonomi"}[name]

    def names() -> Iterator[str]:
        nonlocal read
        for i in range(1_000_000):
            read += 1
            yield wanted if i == 0 else f"tidak ada {i}"

    results = sample_index.search("harga", limit=50, **{name: names()})
    assert read <= FILTER_VALUES_CEILING + 1
    assert f"only the first {MAX_FILTER_VALUES} {name} were used" in results.notes
    alone = sample_index.search("harga", limit=50, **{name: [wanted]})
    assert [h.id for h in results] == [h.id for h in alone]
    assert alone.total > 0

    limits = QueryLimits(max_filter_values=1)
    with NewsIndex.open(sample_index.path, limits=limits) as strict:
        cut = strict.search("harga", limit=50, **{name: [wanted, "lain"]})
    assert f"only the first 1 {name} were used" in cut.notes
    assert [h.id for h in cut] == [h.id for h in alone]
    for bad in (0, FILTER_VALUES_CEILING + 1):
        with pytest.raises(ConfigurationError, match="max_filter_values"):
            QueryLimits(max_filter_values=bad)


def test_limits_are_configurable(sample_index: NewsIndex) -> None:
    limits = QueryLimits(
        max_chars=60,
        max_clauses=2,
        max_alternatives=2,
        max_phrase_terms=2,
        max_limit=5,
        max_depth=8,
    )
    query = 'banjir OR longsor OR gempa "harga beras naik" inflasi bbm pasar'
    parsed = parse_query(query, sample_index.analyzer, limits)
    assert len(parsed.positive) == 2
    assert [len(alt) for alt in parsed.positive[0].alternatives] == [1, 1]
    assert parsed.positive[1].alternatives == (("harga", "beras"),)
    with NewsIndex.open(sample_index.path, limits=limits) as strict:
        notes = " | ".join(strict.search(query, limit=5).notes)
        for expected in (
            "first 60 characters",
            "cut to 2 alternatives",
            "cut to 2 words",
            "first 2 words",
        ):
            assert expected in notes
        assert len(strict.search("harga", limit=5)) == 5
        with pytest.raises(QueryError):
            strict.search("harga", limit=6)
        with pytest.raises(QueryError):
            strict.search("harga", limit=5, page=2)


# -- arguments -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arguments",
    [
        # Not already in test_index.py::test_bad_arguments.
        {"since": float("nan")},
        {"since": dt.time(1, 2)},
        {"since": "2024-01-01T25:00"},
        {"until": "\x00"},
        {"page": 10**30},
        {"offset": 10**30},
        {"sort": None},
        {"sources": [b"kompas"]},
        {"sources": 5},
        {"categories": 3.5},
    ],
)
def test_more_bad_arguments(sample_index: NewsIndex, arguments: dict) -> None:
    with pytest.raises(QueryError):
        sample_index.search("harga", **arguments)


_ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["2024-01-01", "0001-01-01", "9999-12-31", "2024-02-30"]),
    st.dates(),
    st.datetimes(
        timezones=st.sampled_from(
            [
                None,
                dt.timezone.utc,
                dt.timezone(dt.timedelta(hours=14)),
                dt.timezone(dt.timedelta(hours=-12)),
            ]
        )
    ),
    st.binary(max_size=4),
)
# Iterables only: a non-iterable value raises TypeError (test_more_bad_arguments).
_FACETS = st.one_of(
    st.none(),
    st.text(max_size=10),
    st.lists(st.one_of(st.text(max_size=10), st.integers(), st.none()), max_size=3),
)


_ARGUMENT_NAMES = (
    "limit", "offset", "page", "since", "until", "sources", "categories", "sort",
)  # fmt: skip


@settings(max_examples=150)
@given(
    values=st.fixed_dictionaries(
        {
            "limit": _ODD_VALUES,
            "offset": _ODD_VALUES,
            "page": _ODD_VALUES,
            "since": _ODD_VALUES,
            "until": _ODD_VALUES,
            "sources": _FACETS,
            "categories": _FACETS,
            "sort": st.one_of(_ODD_VALUES, st.sampled_from(["relevance", "newest"])),
        }
    ),
    which=st.sets(st.sampled_from(_ARGUMENT_NAMES)),
)
def test_odd_arguments_raise_only_query_errors(
    sample_index: NewsIndex, values: dict[str, Any], which: set[str]
) -> None:
    arguments = {name: values[name] for name in which}
    try:
        results = sample_index.search("harga OR banjir", **arguments)
    except QueryError:
        return
    # limit=None asks for the default page size, as leaving it out does.
    limit = arguments.get("limit")
    assert_well_formed(results, "harga OR banjir", 10 if limit is None else limit)


# -- hostile article text ---------------------------------------------------------

HOSTILE_ARTICLES = [
    {
        "id": "xss-1",
        "title": '<script>alert("naik")</script> Harga naik',
        "body": "Harga beras naik <img src=x onerror=alert(1)> di pasar. "
        "<a href=\"javascript:alert('naik')\">naik</a>",
    },
    {
        "id": "xss-2",
        "title": "Harga &amp; &lt;naik&gt; &#60;script&#62;",
        "body": "Entitas &amp;lt; &quot;naik&quot; &#x3C;b&#x3E; naik &nbsp; naik",
    },
    {
        "id": "xss-3",
        "title": "</mark><mark onclick=x>naik</mark>",
        "body": "Harga </mark>naik<mark> lagi <!-- naik --> <![CDATA[naik]]> naik",
    },
    {
        "id": "xss-4",
        "title": "Naik\x00\x07\x1b[31m merah\x1b]0;judul\x07",
        "body": "Harga\x08naik\x0b\x0c\x1b[2J naik\x85\x9b lagi \u2028naik\u2029",
    },
    {
        "id": "xss-5",
        "title": "\u202enaik kiri\u202c \u200f\u200e harga",
        "body": "Teks \u202egnalaK\u202c naik, ' \" ` naik \\ naik / naik ﬁnal naik",
    },
    {
        "id": "xss-6",
        "title": "'\"><svg/onload=alert(1)>naik",
        "body": "naik " * 60 + "<style>*{display:none}</style> naik",
    },
]


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsIndex]:
    path = tmp_path_factory.mktemp("hostile") / "index"
    index = NewsIndex.create(path, analyzer=Analyzer(stemmer="none"))
    index.add_many(Article.from_dict(record) for record in HOSTILE_ARTICLES)
    yield index
    index.close()


@pytest.mark.parametrize("query", ["naik", "harga naik", '"harga naik"', "merah"])
def test_article_markup_never_reaches_snippet_html(
    hostile_index: NewsIndex, query: str
) -> None:
    results = hostile_index.search(query, limit=20)
    assert results.hits
    for hit in results:
        for snippet in (hit.snippet, hit.title_snippet):
            assert_safe_html(snippet.html(), snippet.text)
        record = hit.to_dict()
        assert_safe_html(record["snippet"])
        assert_safe_html(record["title_html"])
    assert any(
        "<mark>" in hit.snippet.html() + hit.title_snippet.html() for hit in results
    )


def test_article_markup_never_reaches_the_commands_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "hostile.jsonl"
    source.write_text(
        "".join(json.dumps(r) + "\n" for r in HOSTILE_ARTICLES), encoding="utf-8"
    )
    index = str(tmp_path / "index")
    assert main(["index", "--index", index, "--stemmer", "none", str(source)]) == 0
    capsys.readouterr()
    assert main(["search", "--index", index, "--json", "--limit", "20", "naik"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert len(found["hits"]) == len(HOSTILE_ARTICLES)
    for hit in found["hits"]:
        assert_safe_html(hit["snippet"])
        assert_safe_html(hit["title_html"])
    # Plain text (not a terminal): no escape sequence from the articles.
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["search", "--index", index, "--limit", "20", "naik merah"]) == 0
    out = capsys.readouterr().out
    assert not _C0_C1.search(out.replace("\n", "")), repr(out)


@settings(max_examples=25)
@given(title=texts(max_pieces=20), body=texts())
def test_generated_article_text_is_escaped(title: str, body: str) -> None:
    article = Article(id="a", title=title, body="naik " + body)
    analyzer = Analyzer(stemmer="none")
    with (
        tempfile.TemporaryDirectory() as folder,
        NewsIndex.create(folder, analyzer=analyzer) as index,
    ):
        index.add(article)
        words = analyzer.terms(title + " " + body)[:3]
        (hit,) = index.search(" ".join(["naik", *words]))
        for snippet in (hit.snippet, hit.title_snippet):
            assert isinstance(snippet, Snippet)
            assert_safe_html(snippet.html())


@pytest.mark.parametrize(
    "body",
    [
        "anak-anak bermain di taman",
        "rata-rata harga naik",
        "Covid-19 dan anak sekolah",
        "x-anak-anak",
        "anak-anak-anak pulang",
        "naik naik-anak-anak",
    ],
)
def test_highlights_of_indexed_articles_never_overlap(
    tmp_path: Path, analyzer: Analyzer, body: str
) -> None:
    """Found by test_generated_article_text_is_escaped."""
    with NewsIndex.create(tmp_path / "index", analyzer=analyzer) as index:
        index.add(Article(id="a", body=body))
        (hit,) = index.search("anak OR naik OR harga")
    highlights = hit.snippet.highlights
    assert highlights
    for (_, end), (start, _) in itertools.pairwise(highlights):
        assert end <= start, highlights
    assert_safe_html(hit.snippet.html(), hit.snippet.text)
