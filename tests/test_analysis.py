"""Tests of newsindex._analysis: tokens, terms, offsets, stopwords, stems."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from hypothesis import given
from strategies import fullwidth, texts

from newsindex import Analyzer, Article, SastrawiStemmer, Token
from newsindex._analysis import MAX_WORD_LENGTH

# The shared data folder sits beside the repository; a fresh clone lacks it.
SASTRAWI_PAIRS = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "stemming"
    / "sastrawi_test_pairs.jsonl"
)


# -- words and terms -----------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "term"),
    [
        ("naik", "naik"),
        ("kenaikan", "naik"),
        ("menaikkan", "naik"),
        ("dinaikkan", "naik"),
        ("kenaikannya", "naik"),
        ("Kenaikan", "naik"),
        ("KENAIKAN", "naik"),
        ("pemerintah", "perintah"),
        ("harga", "harga"),
    ],
)
def test_affixed_forms_share_a_stem(analyzer: Analyzer, word: str, term: str) -> None:
    assert analyzer.terms(word) == [term]
    assert analyzer.term(word) == term


@pytest.mark.parametrize(
    ("reduplication", "base"),
    [
        ("anak-anak", "anak"),
        ("Anak-Anak", "anak"),
        ("rata-rata", "rata"),
        ("sehari-hari", "hari"),
        ("berlari-lari", "lari"),
        ("desa-desa", "desa"),
        ("anak-anaknya", "anak"),
    ],
)
def test_reduplication_is_one_token_with_the_base_term(
    analyzer: Analyzer, reduplication: str, base: str
) -> None:
    text = f"Para {reduplication} itu."  # both neighbours are stopwords
    (token,) = analyzer.tokens(text)
    assert token.text == reduplication
    assert token.term == base
    assert analyzer.term(base) == base


@pytest.mark.parametrize(
    ("one", "other"), [("anak-anak", "anak"), ("rata-rata", "rata")]
)
def test_reduplication_and_base_find_each_other(
    analyzer: Analyzer, one: str, other: str
) -> None:
    assert set(analyzer.terms(one)) == set(analyzer.terms(other))
    assert set(analyzer.terms(one.upper())) == set(analyzer.terms(other))


def test_affixed_reduplication_is_one_token(analyzer: Analyzer) -> None:
    assert analyzer.terms("meniru-niru") == ["tiru"]


@pytest.mark.parametrize(
    ("compound", "parts"),
    [
        ("Covid-19", [("Covid", "covid"), ("19", "19")]),
        ("sayur-mayur", [("sayur", "sayur"), ("mayur", "mayur")]),
        ("Jakarta-Bandung", [("Jakarta", "jakarta"), ("Bandung", "bandung")]),
    ],
)
def test_other_compounds_split_into_parts_with_their_own_offsets(
    analyzer: Analyzer, compound: str, parts: list[tuple[str, str]]
) -> None:
    text = f"Kasus {compound} naik"
    tokens = analyzer.tokens(text)
    assert [(t.text, t.term) for t in tokens[1:-1]] == parts
    assert [t.position for t in tokens] == list(range(len(tokens)))
    assert analyzer.term(compound) is None  # more than one term


@pytest.mark.parametrize("number", ["5,2", "2019", "1.000", "1.500.000", "0,75"])
def test_numbers_are_kept_whole_and_not_stemmed(
    analyzer: Analyzer, number: str
) -> None:
    text = f"naik {number} persen"
    tokens = analyzer.tokens(text)
    assert [t.text for t in tokens] == ["naik", number, "persen"]
    assert tokens[1].term == number


def test_rupiah_amounts_keep_the_number_whole(analyzer: Analyzer) -> None:
    assert "10.000" in analyzer.terms("harga Rp10.000 per porsi")


@pytest.mark.parametrize(
    ("text", "term"),
    [
        (fullwidth("naik"), "naik"),
        (fullwidth("KENAIKAN"), "naik"),
        ("ﬁnansial", "finansial"),  # the "fi" ligature
        (fullwidth("2024"), "2024"),
        ("Bekasi", "bekasi"),
        ("BALI", "bali"),
    ],
)
def test_nfkc_and_lower_case(analyzer: Analyzer, text: str, term: str) -> None:
    (token,) = analyzer.tokens(text)
    assert token.term == term
    assert token.text == text  # offsets refer to the original text


def test_stopwords_are_dropped_and_positions_renumbered(analyzer: Analyzer) -> None:
    text = "Harga yang naik dan kenaikan itu"
    tokens = analyzer.tokens(text)
    assert tokens == [
        Token("Harga", "harga", 0, 5, 0),
        Token("naik", "naik", 11, 15, 1),
        Token("kenaikan", "naik", 20, 28, 2),
    ]
    assert analyzer.terms("yang dan di ke dari") == []


@pytest.mark.parametrize(
    ("word", "mangled"), [("bekasi", "bekas"), ("bali", "bal"), ("raisi", "rais")]
)
def test_protected_words_are_not_stemmed(
    analyzer: Analyzer, word: str, mangled: str
) -> None:
    assert analyzer.stemmer.stem(word) == mangled  # why they are protected
    assert analyzer.term(word) == word
    assert analyzer.term(word.capitalize()) == word
    assert word in analyzer.protected_words


def test_protected_names_do_not_match_their_mangled_stems(analyzer: Analyzer) -> None:
    assert analyzer.term("Bekasi") != analyzer.term("bekas")


def test_extra_protected_words() -> None:
    assert Analyzer().term("relawan") == "rawan"
    extended = Analyzer(extra_protected_words=["Relawan"])
    assert extended.term("relawan") == "relawan"
    assert extended.term("Bekasi") == "bekasi"  # the defaults are kept


def test_protected_words_replace_the_defaults() -> None:
    plain = Analyzer(protected_words=["relawan"])
    assert plain.term("relawan") == "relawan"
    assert plain.term("bekasi") == "bekas"


def test_extra_stopwords() -> None:
    extended = Analyzer(extra_stopwords=["Harga"])
    assert extended.terms("harga naik yang") == ["naik"]
    assert "harga" in extended.stopwords
    assert "yang" in extended.stopwords


def test_stopwords_replace_the_defaults() -> None:
    plain = Analyzer(stopwords=["naik"])
    assert plain.terms("harga naik yang") == ["harga", "yang"]


def test_over_long_words_are_not_indexed(analyzer: Analyzer) -> None:
    longest = "a" * MAX_WORD_LENGTH
    assert analyzer.terms(f"{longest} {'b' * (MAX_WORD_LENGTH + 1)} naik") == [
        longest,
        "naik",
    ]


def test_terms_and_spans_agree(
    analyzer: Analyzer, sample_articles: list[Article]
) -> None:
    for article in sample_articles:
        tokens = analyzer.tokens(article.body)
        assert analyzer.terms(article.body) == [t.term for t in tokens]
        assert analyzer.spans(article.body) == [
            (t.start, t.end, t.term) for t in tokens
        ]
        for token in tokens:
            assert article.body[token.start : token.end] == token.text


# -- configuration ---------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"stemmer": "tala"},
        {"stemmer": "none"},
        {"extra_stopwords": ["harga"], "extra_protected_words": ["relawan"]},
        {"stopwords": [], "protected_words": []},
    ],
)
def test_description_round_trip(options: dict) -> None:
    original = Analyzer(**options)
    description = original.describe()
    assert json.loads(json.dumps(description)) == description
    rebuilt = Analyzer.from_description(description)
    assert rebuilt == original
    assert hash(rebuilt) == hash(original)
    assert rebuilt.fingerprint() == original.fingerprint()
    text = "Kenaikan harga BBM di Bekasi, rata-rata 5,2 persen"
    assert rebuilt.tokens(text) == original.tokens(text)


@pytest.mark.parametrize(
    "options",
    [
        {"stemmer": "tala"},
        {"stemmer": "none"},
        {"extra_stopwords": ["harga"]},
        {"extra_protected_words": ["relawan"]},
    ],
)
def test_analyzers_that_differ_are_unequal(options: dict) -> None:
    default = Analyzer()
    other = Analyzer(**options)
    assert other != default
    assert other.fingerprint() != default.fingerprint()


def test_word_lists_are_normalized_for_equality() -> None:
    assert Analyzer(extra_stopwords=["HARGA"]) == Analyzer(extra_stopwords=["harga"])


def test_from_description_rejects_a_newer_tokenizer() -> None:
    description = Analyzer(stemmer="none").describe()
    description["tokenizer"] += 1
    with pytest.raises(ValueError, match="tokenizer"):
        Analyzer.from_description(description)


@pytest.mark.parametrize("size", [0, -1])
def test_cache_size_must_be_positive(size: int) -> None:
    with pytest.raises(ValueError, match="cache_size"):
        Analyzer(cache_size=size)


def test_cache_is_bounded_and_results_unchanged(analyzer: Analyzer) -> None:
    small = Analyzer(cache_size=10)
    words = [f"kata{i}" for i in range(50)] + [f"menaikkan{i}" for i in range(50)]
    first = [small.terms(word) for word in words]
    assert small.cache_len() <= 10
    assert [small.terms(word) for word in words] == first
    assert first == [analyzer.terms(word) for word in words]
    assert small.cache_len() <= 10


def test_threads_share_one_analyzer(analyzer: Analyzer) -> None:
    # A small cache, so that threads also race on clearing it.
    shared = Analyzer(cache_size=50)
    samples = [
        "Kenaikan harga beras membuat anak-anak di Bekasi makan seadanya.",
        "Covid-19 kembali naik 5,2 persen pada 2024, rata-rata 1.000 kasus.",
        "Pemerintah menaikkan tarif; warga sehari-hari dinaikkan ongkosnya.",
    ] + [f"kata{i} menaikkan{i} berlari-lari{i}" for i in range(40)]
    expected = [analyzer.tokens(text) for text in samples]
    results: list[list[list[Token]]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work() -> None:
        try:
            barrier.wait()
            results.append([shared.tokens(text) for _ in range(5) for text in samples])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 8
    for result in results:
        assert result == expected * 5


# -- invariants ------------------------------------------------------------------


@given(texts())
def test_analysis_is_deterministic(analyzer: Analyzer, text: str) -> None:
    first = analyzer.tokens(text)
    assert analyzer.tokens(text) == first
    cold = Analyzer(stemmer=analyzer.stemmer, cache_size=3)  # cold, tiny cache
    assert cold.tokens(text) == first


@given(texts())
def test_spans_are_inside_the_text_sorted_and_disjoint(
    analyzer: Analyzer, text: str
) -> None:
    tokens = analyzer.tokens(text)
    end = 0
    for position, token in enumerate(tokens):
        assert 0 <= token.start < token.end <= len(text)
        assert token.start >= end
        assert text[token.start : token.end] == token.text
        assert token.term
        assert token.position == position
        end = token.end
    assert [t.term for t in tokens] == analyzer.terms(text)


# -- Sastrawi's own test pairs ---------------------------------------------------


def _sastrawi_pairs() -> list:
    if not SASTRAWI_PAIRS.exists():
        return [
            pytest.param(
                "",
                "",
                marks=pytest.mark.skip(
                    reason=f"shared data missing ({SASTRAWI_PAIRS}); a fresh clone "
                    "does not have it"
                ),
                id="data-missing",
            )
        ]
    pairs: dict[tuple[str, str], None] = {}
    with SASTRAWI_PAIRS.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if row["dictionary"] == "full_default_dictionary" and row["active"]:
                pairs[row["word"], row["stem"]] = None
    return [pytest.param(word, stem, id=word) for word, stem in pairs]


@pytest.fixture(scope="module")
def sastrawi() -> SastrawiStemmer:
    return SastrawiStemmer()


@pytest.mark.parametrize(("word", "stem"), _sastrawi_pairs())
def test_sastrawi_reference_pairs(
    sastrawi: SastrawiStemmer, word: str, stem: str
) -> None:
    # The stemmer directly, not the analyzer: the analyzer splits compounds
    # such as "kuasa-Mu" on purpose. Stemmers take lower-case words (the
    # analyzer lower-cases first); Sastrawi's own tests feed "kuasa-Mu".
    assert sastrawi.stem(word.lower()) == stem
