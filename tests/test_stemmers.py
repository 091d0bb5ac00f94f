"""Tests of newsindex._stemmers: the built-in stemmers and the protocol."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsindex import Analyzer, NoStemmer, SastrawiStemmer, Stemmer, TalaStemmer
from newsindex._stemmers import builtin_stemmer_for, get_stemmer


class UpperStemmer:
    """A custom stemmer: any object with ``name`` and ``stem``."""

    name = "upper-v1"

    def stem(self, word: str) -> str:
        return word.upper()


@pytest.mark.parametrize(
    ("name", "kind", "prefix"),
    [
        ("sastrawi", SastrawiStemmer, "sastrawi-"),
        ("tala", TalaStemmer, "tala-snowball-"),
        ("none", NoStemmer, "none"),
    ],
)
def test_get_stemmer_by_name(name: str, kind: type, prefix: str) -> None:
    stemmer = get_stemmer(name)
    assert isinstance(stemmer, kind)
    assert isinstance(stemmer, Stemmer)
    assert stemmer.name.startswith(prefix)
    assert builtin_stemmer_for(stemmer.name).name == stemmer.name


@pytest.mark.parametrize("name", ["porter", "Sastrawi", "", "sastrawi-1.2.1"])
def test_unknown_stemmer_name(name: str) -> None:
    with pytest.raises(ValueError, match="unknown stemmer"):
        get_stemmer(name)
    with pytest.raises(ValueError, match="unknown stemmer"):
        Analyzer(stemmer=name)


def test_builtin_stemmer_for_an_unknown_name() -> None:
    assert builtin_stemmer_for("upper-v1") is None


class NoName:
    def stem(self, word: str) -> str:
        return word


class NumberName:
    name = 3

    def stem(self, word: str) -> str:
        return word


@pytest.mark.parametrize("thing", [object(), NoName(), NumberName(), 42])
def test_objects_that_are_not_stemmers(thing: object) -> None:
    with pytest.raises(ValueError, match="not a stemmer"):
        get_stemmer(thing)  # type: ignore[arg-type]


def test_custom_stemmer_is_used_and_recorded() -> None:
    custom = UpperStemmer()
    assert get_stemmer(custom) is custom
    analyzer = Analyzer(stemmer=custom)
    assert analyzer.stemmer is custom
    assert analyzer.terms("Harga naik 5,2") == ["HARGA", "NAIK", "5,2"]
    assert analyzer.describe()["stemmer"] == "upper-v1"


def test_custom_stemmer_must_be_given_to_rebuild() -> None:
    description = Analyzer(stemmer=UpperStemmer()).describe()
    with pytest.raises(ValueError, match="upper-v1"):
        Analyzer.from_description(description)
    with pytest.raises(ValueError, match="upper-v1"):
        Analyzer.from_description(description, stemmer=NoStemmer())
    rebuilt = Analyzer.from_description(description, stemmer=UpperStemmer())
    assert rebuilt == Analyzer(stemmer=UpperStemmer())


@pytest.mark.parametrize(
    ("word", "stem"),
    [("kenaikan", "naik"), ("naik", "naik"), ("dinaikkan", "naik"), ("harga", "harga")],
)
def test_tala_stems(word: str, stem: str) -> None:
    assert TalaStemmer().stem(word) == stem


def test_tala_is_cruder_than_sastrawi() -> None:
    # Documented in the module: Tala has no dictionary.
    assert TalaStemmer().stem("menaikkan") == "aik"
    assert SastrawiStemmer().stem("menaikkan") == "naik"


def test_tala_in_many_threads() -> None:
    stemmer = TalaStemmer()
    words = ["kenaikan", "dinaikkan", "pemerintahan", "berlari", "perumahan"] * 40
    expected = [stemmer.stem(word) for word in words]
    results: list[list[str]] = []

    def work() -> None:
        results.append([stemmer.stem(word) for word in words])

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 6


@pytest.mark.parametrize(
    ("word", "stem"),
    [("kenaikan", "naik"), ("pemerintah", "perintah"), ("bekasi", "bekas")],
)
def test_sastrawi_stems(word: str, stem: str) -> None:
    assert SastrawiStemmer().stem(word) == stem


@given(st.text())
def test_no_stemmer_is_the_identity(word: str) -> None:
    assert NoStemmer().stem(word) == word


def test_no_stemmer_analyzer_only_lower_cases() -> None:
    analyzer = Analyzer(stemmer="none")
    assert analyzer.terms("Kenaikan Harga") == ["kenaikan", "harga"]
    assert analyzer.describe()["stemmer"] == "none"
