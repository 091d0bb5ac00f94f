"""Tests of newsindex._query: parse_query and the query language."""

from __future__ import annotations

import pytest
from hypothesis import given
from strategies import query_texts

from newsindex import Analyzer
from newsindex._query import (
    MAX_CLAUSES,
    MAX_PHRASE_TERMS,
    MAX_QUERY_CHARS,
    Clause,
    ParsedQuery,
    parse_query,
)


def words(*terms: str) -> tuple[Clause, ...]:
    """One optional single-word clause per term."""
    return tuple(Clause(((term,),)) for term in terms)


@pytest.mark.parametrize(
    ("query", "positive"),
    [
        ("harga beras naik", words("harga", "beras", "naik")),
        ("Kenaikan HARGA", words("naik", "harga")),  # analysed like article text
        ("harga yang naik", words("harga", "naik")),  # stopwords dropped
        ("harga harga kenaikan naik", words("harga", "naik")),  # repeats dropped
        ("harga/beras, naik!", words("harga", "beras", "naik")),
        ("anak-anak", words("anak")),
        ("Covid-19", (Clause((("covid", "19"),)),)),
        ("a AND b", words("a", "b")),  # AND is the default and ignored
    ],
)
def test_plain_words(analyzer: Analyzer, query: str, positive: tuple) -> None:
    parsed = parse_query(query, analyzer)
    assert parsed.positive == positive
    assert parsed.negative == ()
    assert parsed.notes == ()
    assert parsed.empty_reason is None
    assert parsed.text == query


def test_terms_and_sequence(analyzer: Analyzer) -> None:
    parsed = parse_query('kenaikan "harga beras" -impor naik', analyzer)
    assert parsed.terms == {"naik", "harga", "beras"}
    assert parsed.sequence == ("naik", "harga", "beras")


@pytest.mark.parametrize(
    ("query", "phrase"),
    [
        ('"harga beras"', ("harga", "beras")),
        ('"kenaikan harga yang tinggi"', ("naik", "harga", "tinggi")),
        ('"naik"', ("naik",)),
    ],
)
def test_quoted_phrase_is_required(
    analyzer: Analyzer, query: str, phrase: tuple
) -> None:
    parsed = parse_query(query, analyzer)
    assert parsed.positive == (Clause((phrase,), required=True),)


def test_phrase_beside_words(analyzer: Analyzer) -> None:
    parsed = parse_query('banjir "kota bekasi"', analyzer)
    assert parsed.positive == (
        Clause((("banjir",),)),
        Clause((("kota", "bekasi"),), required=True),
    )


def test_quoted_repeat_of_a_word_stays_required(analyzer: Analyzer) -> None:
    parsed = parse_query('beras naik "naik"', analyzer)
    assert Clause((("naik",),), required=True) in parsed.positive


@pytest.mark.parametrize(
    ("query", "negative"),
    [
        ("beras -impor", (("impor",),)),
        ("beras NOT impor", (("impor",),)),
        ("beras -Bekasi", (("bekasi",),)),
        ('beras -"harga impor"', (("harga", "impor"),)),
        ('beras NOT "harga impor"', (("harga", "impor"),)),
        ("beras -kenaikan", (("naik",),)),
    ],
)
def test_exclusion(analyzer: Analyzer, query: str, negative: tuple) -> None:
    parsed = parse_query(query, analyzer)
    assert parsed.positive == words("beras")
    assert [clause.alternatives for clause in parsed.negative] == [negative]


@pytest.mark.parametrize(
    ("query", "alternatives"),
    [
        ("banjir OR longsor", (("banjir",), ("longsor",))),
        ("banjir | longsor", (("banjir",), ("longsor",))),
        ("banjir OR longsor OR gempa", (("banjir",), ("longsor",), ("gempa",))),
        ('banjir OR "tanah longsor"', (("banjir",), ("tanah", "longsor"))),
    ],
)
def test_or_makes_one_clause(
    analyzer: Analyzer, query: str, alternatives: tuple
) -> None:
    parsed = parse_query(query, analyzer)
    assert parsed.positive == (Clause(alternatives),)


def test_or_binds_only_its_neighbours(analyzer: Analyzer) -> None:
    parsed = parse_query("harga banjir OR longsor naik", analyzer)
    assert parsed.positive == (
        Clause((("harga",),)),
        Clause((("banjir",), ("longsor",))),
        Clause((("naik",),)),
    )


def test_lower_case_or_is_a_word(analyzer: Analyzer) -> None:
    assert parse_query("banjir or longsor", analyzer).positive == words(
        "banjir", "or", "longsor"
    )


@pytest.mark.parametrize(
    ("query", "positive"),
    [
        ('"harga beras', words("harga", "beras")),
        ('harga "beras', words("harga", "beras")),
        ('harga beras"', words("harga", "beras")),
        ('"harga" "beras', (Clause((("harga",),), required=True), *words("beras"))),
        ('""', ()),
        ('"', ()),
    ],
)
def test_unbalanced_quotes_are_ignored(
    analyzer: Analyzer, query: str, positive: tuple
) -> None:
    assert parse_query(query, analyzer).positive == positive


@pytest.mark.parametrize(
    "query",
    ["OR", "NOT", "AND", "-", "|", "OR OR", "NOT -", "OR NOT AND", "- - -"],
)
def test_lone_operators_mean_nothing(analyzer: Analyzer, query: str) -> None:
    parsed = parse_query(query, analyzer)
    assert parsed.positive == parsed.negative == ()
    assert parsed.empty_reason is not None


@pytest.mark.parametrize(
    "query",
    ["banjir OR", "OR banjir", "NOT OR banjir", "- banjir", "banjir -", "banjir NOT"],
)
def test_operators_with_nothing_to_act_on_are_dropped(
    analyzer: Analyzer, query: str
) -> None:
    parsed = parse_query(query, analyzer)
    assert parsed.positive == words("banjir")
    assert parsed.negative == ()


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("", "empty"),
        ("   \t ", "empty"),
        ("yang dan di", "no searchable words"),
        ("... !!! ???", "no searchable words"),
        ('"yang dari"', "no searchable words"),
        ("-banjir", "only excludes"),
        ("NOT banjir -longsor", "only excludes"),
    ],
)
def test_empty_reason(analyzer: Analyzer, query: str, reason: str) -> None:
    parsed = parse_query(query, analyzer)
    assert parsed.positive == ()
    assert reason in parsed.empty_reason


def test_over_long_query_is_cut_with_a_note(analyzer: Analyzer) -> None:
    query = "harga" + " " * MAX_QUERY_CHARS + "banjir"
    parsed = parse_query(query, analyzer)
    assert parsed.positive == words("harga")  # banjir lies beyond the cut
    assert parsed.notes == (
        f"only the first {MAX_QUERY_CHARS} characters of the query were used",
    )


def test_too_many_clauses_are_cut_with_a_note(analyzer: Analyzer) -> None:
    query = " ".join(f"kata{i}" for i in range(MAX_CLAUSES + 8))
    query += " " + " ".join(f"-tanpa{i}" for i in range(MAX_CLAUSES + 1))
    parsed = parse_query(query, analyzer)
    assert len(parsed.positive) == MAX_CLAUSES
    assert len(parsed.negative) == MAX_CLAUSES
    assert parsed.positive[-1] == Clause(((f"kata{MAX_CLAUSES - 1}",),))
    assert f"only the first {MAX_CLAUSES} words were used" in parsed.notes
    assert f"only the first {MAX_CLAUSES} excluded words were used" in parsed.notes


def test_long_phrase_is_cut_with_a_note(analyzer: Analyzer) -> None:
    phrase = " ".join(f"kata{i}" for i in range(MAX_PHRASE_TERMS + 5))
    parsed = parse_query(f'"{phrase}"', analyzer)
    (clause,) = parsed.positive
    assert clause.terms == tuple(f"kata{i}" for i in range(MAX_PHRASE_TERMS))
    assert parsed.notes == (f"phrases were cut to {MAX_PHRASE_TERMS} words",)


@pytest.mark.parametrize(
    "query",
    ["harga\x00beras", "harga\x1bberas", "harga\u2028beras", "harga\u3000beras"],
)
def test_control_and_odd_spaces_separate_words(analyzer: Analyzer, query: str) -> None:
    assert parse_query(query, analyzer).positive == words("harga", "beras")


@given(query_texts())
def test_parse_query_never_raises(analyzer: Analyzer, text: str) -> None:
    parsed = parse_query(text, analyzer)
    assert isinstance(parsed, ParsedQuery)
    assert parsed.text == text
    assert len(parsed.positive) <= MAX_CLAUSES
    assert len(parsed.negative) <= MAX_CLAUSES
    assert (parsed.empty_reason is None) == bool(parsed.positive)
    for clause in (*parsed.positive, *parsed.negative):
        assert clause.alternatives
        assert all(alt and all(alt) for alt in clause.alternatives)
