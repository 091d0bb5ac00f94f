"""Tests of newsindex._sastrawi: PySastrawi's stems, word for word, faster.

PySastrawi itself is the oracle throughout: every test compares
:class:`FastSastrawi` with PySastrawi's ``Stemmer`` on the same words, with
its full dictionary or with small dictionaries made of the candidate stems
PySastrawi looks up; the last group compares each prefix rule with
PySastrawi's visitor for it. ``python -m bench.sastrawi`` compares the two
stemmers on every word of the benchmark corpora.
"""

from __future__ import annotations

import itertools
import json
import string
import subprocess
import sys
import threading
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsindex import SastrawiStemmer
from newsindex._sastrawi import (
    _EACH_RULE,
    _RESOLVERS,
    _RULES,
    FastSastrawi,
    dictionary_words,
    reference_stemmer,
)
from newsindex._wordlists import PROTECTED_WORDS

# The shared data folder sits beside the repository; a fresh clone lacks it.
SASTRAWI_PAIRS = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "stemming"
    / "sastrawi_test_pairs.jsonl"
)


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


#: Words chosen to reach every rule and quirk of the algorithm.
TRICKY_WORDS = _split(
    # reduplication, with and without affixes and particles
    "anak-anak rata-rata sehari-hari berlari-lari memanggil-manggil "
    "meniru-nirukan berbalas-balasan malaikat-malaikat-nya anak-anaknya "
    "obat-obatan sayur-mayur bolak-balik kupu-kupu buku-bukunya gila-gilaan "
    "kebarat-baratan rumah-rumah-lah tiba-tiba bermain-main nikmat-ku "
    # hyphens in odd places
    "a- -a a--b buku--nya buku-nya -nya x-lah - -- --- ---nya kan-kan "
    # prefixes, suffixes and confixes
    "kenaikan menaikkan dinaikkan pemerintah pemerintahan perumahan "
    "keberhasilan mempengaruhi memproteksi mensyaratkan mensyukuri mentaati "
    "menyala penyanyi penyelesaian pengeboman mengebom pengebom mengkritik "
    "penstabilan pentranskripsi pelajar belajar pelajaran mempelajari "
    "diperdengarkan memperbaiki bersembunyi berperan bekerja berkerja "
    "terperangkap terpercaya teracuni terdengar telunjuk gerigi gemetar "
    "kinerja sinambung kuperhatikan kaulah kaupakai menyebabkannya bukukan "
    "katakanlah dikatakannya kemerdekaan pertanggungjawaban pengetahuan "
    "mengetahui ketahui peng penge pengapit pengaduk pengirim menginap "
    "mewarnai meyakini pewaris peyakin perempuan pelari penari penabung "
    "pemukul pembaca pemfitnah penyusun pengkhianat pengungsi terbawa "
    "berikan relawan menangis globalisasi nasionalisme realistis idealis "
    "mengamankan perekonomian memberdayakan ditanggulangi dipertanyakan "
    # "-kan" put back as "-k" gives a root that a prefix rule would still cut
    "bercakan berokan kuakan kaustikan berengsekan "
    # left unchanged: names, foreign words, roots, bare affixes, short words
    "jokowi prabowo indonesia covid whatsapp xyz a i an di ke se lah kah "
    "tah pun kan ku mu nya dia sek kanlah dikan isasi isme mei bui nilai "
    "harga naik makan "
    # letters outside a-z, which PySastrawi's rules do not know
    "café naïve meñulis ﬁnansial ñandu bérlari"
)

#: The analyzer's protected words (names PySastrawi mangles), sorted.
PROTECTED = tuple(sorted(PROTECTED_WORDS))

#: Pieces of random words: Indonesian affixes, heavily, and single letters.
AFFIXES = _split(
    "me mem men meng meny ber ter di ke pe per se kan an i nya lah kah pun ku mu"
)
#: Prefixes and suffixes of the rules, for words built like real ones.
PREFIXES = _split(
    "me mem men meng menge meny mempe memper ber be bel ter te di ke pe pem pen "
    "peng penge peny pel per se ku kau diper"
)
SUFFIXES = _split("i kan an is isme isasi nya ku mu lah kah tah pun -nya -ku -lah")


@pytest.fixture(scope="module")
def fast() -> FastSastrawi:
    return FastSastrawi(dictionary_words())


@pytest.fixture(scope="module")
def reference() -> Any:
    return reference_stemmer()


def _sastrawi_test_words() -> list[Any]:
    if not SASTRAWI_PAIRS.exists():
        return [
            pytest.param(
                "",
                marks=pytest.mark.skip(
                    reason=f"shared data missing ({SASTRAWI_PAIRS}); a fresh clone "
                    "does not have it"
                ),
                id="data-missing",
            )
        ]
    with SASTRAWI_PAIRS.open(encoding="utf-8") as lines:
        words = {json.loads(line)["word"]: None for line in lines}
    return [pytest.param(word, id=word) for word in words]


@pytest.mark.parametrize("word", _sastrawi_test_words())
def test_sastrawi_test_pairs(word: str, fast: FastSastrawi, reference: Any) -> None:
    # The pairs' expected stems partly assume Sastrawi's small test
    # dictionary; what must hold is agreement with PySastrawi.
    assert fast.stem_word(word) == reference.stem_word(word)


@pytest.mark.parametrize("word", TRICKY_WORDS)
def test_tricky_words(word: str, fast: FastSastrawi, reference: Any) -> None:
    assert fast.stem_word(word) == reference.stem_word(word)


@pytest.mark.parametrize("word", PROTECTED)
def test_protected_words(word: str, fast: FastSastrawi, reference: Any) -> None:
    assert fast.stem_word(word) == reference.stem_word(word)


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("kenaikan", "naik"),
        ("mempengaruhi", "pengaruh"),
        ("meniru-nirukan", "tiru"),
        ("anak-anak", "anak"),
        ("bekasi", "bekas"),
        ("jokowi", "jokowi"),
    ],
)
def test_known_stems(word: str, stem: str, fast: FastSastrawi) -> None:
    assert fast.stem_word(word) == stem


_letters = st.sampled_from(string.ascii_lowercase)
_affixed = st.lists(
    st.one_of(st.sampled_from(AFFIXES), _letters), min_size=1, max_size=20
).map(lambda pieces: "".join(pieces)[:20])


@settings(max_examples=500)
@given(word=_affixed)
def test_random_words(word: str, fast: FastSastrawi, reference: Any) -> None:
    assert fast.stem_word(word) == reference.stem_word(word)


_with_hyphens = st.lists(
    st.one_of(st.sampled_from(AFFIXES), _letters, st.sampled_from("--éñ")),
    min_size=1,
    max_size=12,
).map("".join)


@settings(max_examples=500)
@given(word=_with_hyphens)
def test_random_words_with_hyphens(
    word: str, fast: FastSastrawi, reference: Any
) -> None:
    assert fast.stem_word(word) == reference.stem_word(word)


@pytest.mark.parametrize("length", [1, 2, 3])
def test_every_short_word(length: int, fast: FastSastrawi, reference: Any) -> None:
    # Words of three letters or fewer take PySastrawi's "don't stem short
    # words" path, which still removes some affixes: all of them, exhaustively.
    alphabet = string.ascii_lowercase + "-"
    for letters in itertools.product(alphabet, repeat=length):
        word = "".join(letters)
        assert fast.stem_word(word) == reference.stem_word(word), word


def _built(roots: list[str]) -> st.SearchStrategy[str]:
    """Prefixes, a dictionary word or random letters, suffixes."""
    core = st.one_of(
        st.sampled_from(roots), st.text(string.ascii_lowercase, max_size=6)
    )
    return st.builds(
        lambda before, middle, after: "".join(before) + middle + "".join(after),
        st.lists(st.sampled_from(PREFIXES), max_size=2),
        core,
        st.lists(st.sampled_from(SUFFIXES), max_size=2),
    )


@pytest.fixture(scope="module")
def built_words() -> st.SearchStrategy[str]:
    # Built once: Hypothesis checks a large sampled_from on construction.
    return _built(sorted(dictionary_words()))


@settings(max_examples=300)
@given(data=st.data())
def test_words_built_from_affixes(
    data: st.DataObject,
    built_words: st.SearchStrategy[str],
    fast: FastSastrawi,
    reference: Any,
) -> None:
    word = data.draw(built_words)
    assert fast.stem_word(word) == reference.stem_word(word)


#: Pieces for words shaped like the prefix rules' patterns.
_SHAPES = (*"aiueobtkpslmngywcdrjzfvhqx", "er", "el", "em", "in", "ny", "ng")


@pytest.fixture(scope="module")
def any_words(built_words: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Random strings, words built from affixes, or shaped like the rules."""
    shaped = st.builds(
        lambda before, middle, after: "".join(before) + "".join(middle) + after,
        st.lists(st.sampled_from(PREFIXES), max_size=2),
        st.lists(st.sampled_from(_SHAPES), max_size=5),
        st.sampled_from(("", *SUFFIXES)),
    )
    return st.one_of(_affixed, built_words, shaped)


class _Recording:
    """An ArrayDictionary that notes every word PySastrawi looks up."""

    def __init__(self, words: list[str]) -> None:
        from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary

        self._words = ArrayDictionary(words)
        self.asked: set[str] = set()

    def contains(self, word: str | None) -> bool:
        if isinstance(word, str):
            self.asked.add(word)
        found: bool = self._words.contains(word)
        return found


@settings(max_examples=300)
@given(data=st.data())
def test_any_dictionary(data: st.DataObject, any_words: st.SearchStrategy[str]) -> None:
    # With the full dictionary most choices between candidate stems always go
    # the same way. Small dictionaries made of the very words PySastrawi
    # looks up for this word take every branch; blank entries must be
    # ignored, as ArrayDictionary does.
    from Sastrawi.Stemmer.Stemmer import Stemmer

    word = data.draw(any_words, label="word")
    words: list[str] = []
    asked: set[str] = set()
    for _ in range(3):
        if asked:
            pool = sorted(asked | {"", " "} | set(words))
            words = data.draw(st.lists(st.sampled_from(pool), max_size=6))
        dictionary = _Recording(words)
        expected = Stemmer(dictionary).stem_word(word)
        assert FastSastrawi(words).stem_word(word) == expected, words
        asked = dictionary.asked


# -- rule by rule -------------------------------------------------------------------
#
# The whole-word tests can miss a rule that only rare words reach; these
# compare each prefix rule with PySastrawi's visitor for it: which words it
# takes, and which candidate it picks, for every dictionary made of its
# candidates.

#: The literal starts of the prefix rules, and pieces that tell their
#: letter classes apart (vowel or not, ``r`` or not, ``e`` or not, ...).
RULE_HEADS = _split(
    "b be ber t te ter m me mem memp mempe men meng menge meny p pe per pem pen "
    "peng penge peny pel k ku kau s l"
)
RULE_PIECES = _split("a e i r l m n g y w k p t b s c f v z er el em in")
#: Words that hit the rules' side conditions ("C != 'r'", "P != 'er'").
RULE_EXAMPLES = _split(
    "bertaer bertaerk berraera berrae terra terrer terrera tertera perkaer "
    "perraera perkaera pekera pekerk pelajar belajar mempe memper pengapit "
    "pengeluh kuasa kauasa gerigi telunjuk sinambung pemerintah"
)

_rule_words = st.builds(
    lambda head, pieces: head + "".join(pieces),
    st.sampled_from(("", *RULE_HEADS)),
    st.lists(st.sampled_from(RULE_PIECES), max_size=5),
)


class _Context:
    """The part of PySastrawi's Context that a prefix visitor uses."""

    def __init__(self, word: str, words: list[str]) -> None:
        from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary

        self.current_word = word
        self.dictionary = ArrayDictionary(words)
        self.removals: list[Any] = []

    def add_removal(self, removal: Any) -> None:
        self.removals.append(removal)


@pytest.fixture(scope="module")
def prefix_visitors() -> list[Any]:
    from Sastrawi.Stemmer.Context.Visitor.VisitorProvider import VisitorProvider

    visitors = list(VisitorProvider().get_prefix_visitors()[1:])  # after di-ke-se
    assert len(visitors) == len(_RULES)
    return visitors


def _check_rules(word: str, visitors: list[Any]) -> None:
    rules = zip(visitors, _EACH_RULE, _RESOLVERS, _RULES, strict=True)
    for visitor, pattern, resolve, (name, _, _) in rules:
        outputs = [rule.disambiguate(word) for rule in visitor.disambiguators]
        candidates = [out for out in dict.fromkeys(outputs) if out is not None]
        for chosen in itertools.product((False, True), repeat=len(candidates)):
            words = [c for c, keep in zip(candidates, chosen, strict=True) if keep]
            context = _Context(word, words)
            visitor.visit(context)
            expected = context.current_word if context.removals else None
            known = frozenset(w for w in words if w.strip())  # as ArrayDictionary
            got = resolve(word, known) if pattern.match(word) else None
            assert got == expected, f"rule {name}, dictionary {words}"


@pytest.mark.parametrize("word", [*RULE_EXAMPLES, *TRICKY_WORDS])
def test_each_prefix_rule_on_examples(word: str, prefix_visitors: list[Any]) -> None:
    _check_rules(word, prefix_visitors)


@settings(max_examples=1000)
@given(word=_rule_words)
def test_each_prefix_rule(word: str, prefix_visitors: list[Any]) -> None:
    _check_rules(word, prefix_visitors)


# -- SastrawiStemmer, which uses it ------------------------------------------------


def test_stemmer_name_is_still_pysastrawis() -> None:
    # Indexes built with PySastrawi itself stay searchable: same stems, same name.
    assert SastrawiStemmer().name == f"sastrawi-{metadata.version('pysastrawi')}"


@pytest.mark.parametrize(
    "word", [*TRICKY_WORDS, "5,2", "covid-19", "a*b", "(", "", "i̇stanbul", "x y"]
)
def test_stemmer_agrees_with_its_reference(word: str) -> None:
    stemmer = SastrawiStemmer()
    assert stemmer.stem(word) == stemmer._reference_stem(word)


def test_stemmer_in_many_threads() -> None:
    words = [w for w in TRICKY_WORDS if w.isalpha()] * 10
    oracle = SastrawiStemmer()
    expected = [oracle._reference_stem(word) for word in words]
    stemmer = SastrawiStemmer()  # loads its dictionary in the threads
    results: list[list[str]] = []

    def work() -> None:
        results.append([stemmer.stem(word) for word in words])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 8


def test_importing_newsindex_leaves_it_unloaded() -> None:
    code = (
        "import sys, newsindex\n"
        "newsindex.Analyzer()\n"
        "print('newsindex._sastrawi' in sys.modules, 'Sastrawi' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]
