"""PySastrawi's stemming algorithm, rewritten to run several times faster.

PySastrawi 1.2.1 (the ``pysastrawi`` package, module ``Sastrawi``) stems a
word by building a context object, walking it past some 45 visitor objects
(one per affix rule, each running one to four ``re.match`` calls on patterns
given as strings) and recording every removal in objects, and it compiles a
regular expression from every intermediate stem (``re.sub(result, '', ...)``)
only to learn which part was removed. Most of the time goes into that
machinery, not into the rules.

:class:`FastSastrawi` runs the same rules, in the same order, against the
same dictionary, with the machinery taken out:

* the prefix rules (``ber-``, ``meng-``, ``peny-``, the infixes ``-er-``,
  ``-el-``, ``-em-``, ``-in-`` ...) are one compiled alternation, in
  PySastrawi's order, that finds the first rule whose pattern fits; a small
  resolver per rule then picks the candidate stem as PySastrawi's
  disambiguators do (the first candidate that is a dictionary word, else the
  last candidate);
* the suffix rules are ``str.endswith`` tests;
* state is three local values (the current word, whether the word is too
  short to stem past the first step, and the suffix removals the
  "pengembalian akhiran" loop replays), not an object graph.

It gives PySastrawi's output for every word of letters and hyphens (the only
words :class:`~newsindex.SastrawiStemmer` passes on); ``python -m
bench.sastrawi`` checks that on every distinct word of the benchmark corpora,
and ``tests/test_sastrawi.py`` on Sastrawi's own test pairs and on random
words. The quirks are kept, not fixed: a word of three letters or fewer
still loses ``di-``, ``ke-``, ``se-`` and ``-lah``-like particles; rule 30
(``pengV``) removes nothing when ``penge-`` does not apply and no candidate
is a word (rule 34 then takes ``pe-``); the infix rules 37a-40a offer the
word itself as a candidate; ``belajar`` and ``pelajar`` are special-cased.

The dictionary stays PySastrawi's: :func:`dictionary_words` reads the word
list that the installed package ships (CC BY-NC-SA 3.0; never copied here).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, Final

#: Picks the stem for a word a prefix rule matched: the rule's candidate, or
#: ``None`` when the rule removes nothing after all.
_Resolve = Callable[[str, frozenset[str]], str | None]

_C: Final = "[bcdfghjklmnpqrstvwxyz]"  # a consonant, as PySastrawi spells it
_V: Final = "[aiueo]"

_PLAIN_PREFIXES: Final = ("di", "ke", "se")
_PARTICLES: Final = ("lah", "kah", "tah", "pun")
_TWO_LETTER_PRONOUNS: Final = ("ku", "mu")
# RemoveDerivationalSuffix's ``(is|isme|isasi|i|kan|an)$`` removes the
# leftmost, hence longest, of these that the word ends with.
_DERIVATIONAL: Final = ("isasi", "isme", "kan", "is", "an", "i")

# PrecedenceAdjustmentSpecification: confixes whose prefix goes first.
_PREFIX_FIRST: Final = re.compile(r"be.*lah$|be.*an$|me.*i$|di.*i$|pe.*i$|ter.*i$")
# Stemmer.is_plural and Stemmer.stem_plural_word, verbatim.
_PLURAL_SUFFIX: Final = re.compile(r"^(.*)-(ku|mu|nya|lah|kah|tah|pun)$")
_LAST_HYPHEN: Final = re.compile(r"^(.*)-(.*)$")
_PLURAL_SUFFIXES: Final = frozenset(("ku", "mu", "nya", "lah", "kah", "tah", "pun"))


def _cut(start: int) -> _Resolve:
    """A rule with one candidate: the word from ``start`` on."""

    def resolve(word: str, words: frozenset[str]) -> str | None:
        return word[start:]

    return resolve


def _choose(*candidates: tuple[str, int]) -> _Resolve:
    """A rule with several candidates ``head + word[start:]``.

    As PySastrawi's ``PrefixDisambiguator``: the first candidate that is a
    dictionary word, else the last one.
    """
    *tried, (last_head, last_start) = candidates

    def resolve(word: str, words: frozenset[str]) -> str | None:
        for head, start in tried:
            candidate = head + word[start:]
            if candidate in words:
                return candidate
        return last_head + word[last_start:]

    return resolve


def _meng(word: str, words: frozenset[str]) -> str | None:
    """Rule 17 (a-d): mengV -> V, kV, (menge-) the rest, else ngV."""
    rest = word[4:]
    if rest in words:
        return rest
    candidate = "k" + rest
    if candidate in words:
        return candidate
    if rest[0] == "e" and word[5:] in words:
        return word[5:]
    return "ng" + rest


def _peng(word: str, words: frozenset[str]) -> str | None:
    """Rule 30 (a-c): pengV -> V, kV, else (penge- only) the rest.

    30c comes last and only fits ``penge-``: for another vowel whose
    candidates are no words the rule removes nothing, and later rules run.
    """
    rest = word[4:]
    if rest in words:
        return rest
    candidate = "k" + rest
    if candidate in words:
        return candidate
    return word[5:] if rest[0] == "e" else None


def _pel(word: str, words: frozenset[str]) -> str | None:
    """Rule 32: pelV -> lV, except pelajar -> ajar."""
    return "ajar" if word == "pelajar" else word[2:]


def _infix(word: str, words: frozenset[str]) -> str | None:
    """Rules 37-40 (a, b): CerV, CelV, CemV, CinV -> the word, else CV."""
    return word if word in words else word[0] + word[3:]


# The prefix disambiguation rules, in PySastrawi's order (VisitorProvider),
# each as the pattern at the word's start that makes it remove something and
# its resolver. PySastrawi's extra conditions ("C != 'r'", "P != 'er'") are
# folded into the patterns as lookaheads; none may hold a capturing group.
_RULES: Final[tuple[tuple[str, str, _Resolve], ...]] = (
    ("1", f"ber{_V}", _choose(("", 3), ("r", 3))),
    ("2", f"ber{_C}[a-z](?!er)", _cut(3)),
    ("3", f"ber(?!r){_C}[a-z]er{_V}", _cut(3)),
    ("4", r"belajar\Z", lambda word, words: "ajar"),
    ("5", f"be[bcdfghjklmnpqstvwxyz]er{_C}", _cut(2)),
    ("6", f"ter{_V}", _choose(("", 3), ("r", 3))),
    ("7", f"ter(?!r){_C}er{_V}", _cut(3)),
    ("8", f"ter(?!r){_C}(?!er)", _cut(3)),
    ("9", f"te(?!r){_C}er{_C}", _cut(2)),
    ("10", f"me[lrwy]{_V}", _cut(2)),
    ("11", "mem[bfv]", _cut(3)),
    ("12", "mempe", _cut(3)),
    ("13", f"mem{_V}", _choose(("m", 3), ("p", 3))),
    ("14", "men[cdjstz]", _cut(3)),
    ("15", f"men{_V}", _choose(("n", 3), ("t", 3))),
    ("16", "meng[ghqk]", _cut(4)),
    ("17", f"meng{_V}", _meng),
    ("18", f"meny{_V}", _choose(("ny", 4), ("s", 4))),
    ("19", "memp[abcdfghijklmopqrstuvwxyz]", _cut(3)),
    ("20", f"pe[wy]{_V}", _cut(2)),
    ("21", f"per{_V}", _choose(("", 3), ("", 2))),
    ("23", f"per{_C}[a-z](?!er)", _cut(3)),
    ("24", f"per(?!r){_C}[a-z]er{_V}", _cut(3)),
    ("25", "pem[bfv]", _cut(3)),
    ("26", f"pem{_V}", _choose(("m", 3), ("p", 3))),
    ("27", "pen[cdjstz]", _cut(3)),
    ("28", f"pen{_V}", _choose(("n", 3), ("t", 3))),
    ("29", f"peng{_C}", _cut(4)),
    ("30", f"peng{_V}", _peng),
    ("31", f"peny{_V}", _choose(("ny", 4), ("s", 4))),
    ("32", f"pel{_V}", _pel),
    ("34", f"pe{_C}(?!er)", _cut(2)),
    ("35", f"ter[bcdfghjkpqstvxz]er{_C}", _cut(3)),
    ("36", f"pe[bcdfghjkpqstvxz]er{_C}", _cut(2)),
    ("37", f"{_C}er{_V}", _infix),
    ("38", f"{_C}el{_V}", _infix),
    ("39", f"{_C}em{_V}", _infix),
    ("40", f"{_C}in{_V}", _infix),
    ("41", "ku", _cut(2)),
    ("42", "kau", _cut(3)),
)
# One group per rule: ``lastindex`` names the first rule that fits.
_ANY_RULE: Final = re.compile("|".join(f"({pattern})" for _, pattern, _ in _RULES))
_EACH_RULE: Final = tuple(re.compile(pattern) for _, pattern, _ in _RULES)
_RESOLVERS: Final = tuple(resolve for _, _, resolve in _RULES)


def dictionary_words() -> frozenset[str]:
    """The root words of the installed PySastrawi (about 30,000).

    Read through PySastrawi itself, with its ``ArrayDictionary``'s rule for
    which lines count (not empty, not only spaces).
    """
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    lines: list[str] = StemmerFactory().get_words()
    return frozenset(line for line in lines if line and line.strip())


def reference_stemmer() -> Any:
    """PySastrawi's own stemmer (without its result cache), for comparisons."""
    from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
    from Sastrawi.Stemmer.Stemmer import Stemmer
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return Stemmer(ArrayDictionary(StemmerFactory().get_words()))


class FastSastrawi:
    """PySastrawi's ``Stemmer.stem_word``, with identical results, faster.

    Holds only the (immutable) dictionary, so one object serves any number
    of threads.

    Args:
        words: the root words; :func:`dictionary_words` gives PySastrawi's.
    """

    __slots__ = ("_words",)

    def __init__(self, words: Iterable[str]) -> None:
        # ArrayDictionary's rule: blank lines are no words.
        self._words = frozenset(word for word in words if word and word.strip())

    def stem_word(self, word: str) -> str:
        """Return PySastrawi's stem of one lower-case word.

        The word is taken as PySastrawi takes it: letters and hyphens, no
        line breaks. A reduplication (``anak-anak``, ``berbalas-balasan``)
        stems to its root when both halves agree.
        """
        if "-" in word and self._is_plural(word):
            return self._stem_plural(word)
        return self.stem_singular(word)

    @staticmethod
    def _is_plural(word: str) -> bool:
        match = _PLURAL_SUFFIX.match(word)
        if match:
            return "-" in match.group(1)
        return "-" in word

    def _stem_plural(self, plural: str) -> str:
        # Stemmer.stem_plural_word (Asian 2007, pages 76-77), step by step.
        match = _LAST_HYPHEN.match(plural)
        if not match:
            return plural
        first, second = match.group(1), match.group(2)
        # malaikat-malaikat-nya -> malaikat, malaikat-nya
        inner = _LAST_HYPHEN.match(first)
        if second in _PLURAL_SUFFIXES and inner:
            first, second = inner.group(1), inner.group(2) + "-" + second
        root1 = self.stem_singular(first)
        # Exact memoisation: both halves are often the same (anak-anak).
        root2 = root1 if second == first else self.stem_singular(second)
        # meniru-nirukan -> tiru
        if second not in self._words and root2 == second:
            root2 = self.stem_singular("me" + second)
        return root1 if root1 == root2 else plural

    def stem_singular(self, word: str) -> str:
        """Stem a word without reduplication (PySastrawi's ``Context``).

        Returns a dictionary word, or ``word`` itself when no sequence of
        removals reaches one.
        """
        words = self._words
        if word in words:
            return word
        # DontStemShortWord: the rules still run, but each pass of suffix or
        # prefix removal stops after its first rule.
        short = len(word) <= 3
        if _PREFIX_FIRST.match(word):
            # Confix stripping precedence: prefixes, then suffixes; on
            # failure, start again the usual way.
            current = self._remove_prefixes(word, short)
            if current in words:
                return current
            current = self._remove_suffixes(current, short, None)
            if current in words:
                return current
        removals: list[tuple[str, str, bool]] = []
        current = self._remove_suffixes(word, short, removals)
        if current in words:
            return current
        current = self._remove_prefixes(current, short)
        if current in words:
            return current
        return self._restore_suffixes(word, removals, short)

    def _remove_suffixes(
        self, word: str, short: bool, removals: list[tuple[str, str, bool]] | None
    ) -> str:
        """Particle, then possessive pronoun, then derivational suffix.

        Appends ``(word before, word after, whether "kan" went)`` to
        ``removals`` for each suffix removed.
        """
        words = self._words
        if word.endswith(_PARTICLES):
            result = word[:-3].rstrip("-")
            if removals is not None:
                removals.append((word, result, False))
            word = result
        if short or word in words:
            return word
        if word.endswith("nya"):
            result = word[:-3].rstrip("-")
        elif word.endswith(_TWO_LETTER_PRONOUNS):
            result = word[:-2].rstrip("-")
        else:
            result = word
        if result != word:
            if removals is not None:
                removals.append((word, result, False))
            word = result
            if word in words:
                return word
        for suffix in _DERIVATIONAL:
            if word.endswith(suffix):
                result = word[: -len(suffix)]
                if removals is not None:
                    removals.append((word, result, suffix == "kan"))
                return result
        return word

    def _remove_prefixes(self, word: str, short: bool) -> str:
        """Up to three prefix removals, stopping at a dictionary word."""
        words = self._words
        for _ in range(3):
            result = self._remove_prefix(word, short)
            if result is None:
                # Nothing changed, so the next passes would change nothing.
                return word
            word = result
            if word in words:
                return word
        return word

    def _remove_prefix(self, word: str, short: bool) -> str | None:
        """One pass of the prefix rules: the first that removes something.

        Returns the word without that prefix, or ``None``.
        """
        if word[:2] in _PLAIN_PREFIXES:
            return word[2:]
        # PySastrawi ends the pass after its first rule (the plain prefixes)
        # for a short word, or when the word is already in the dictionary.
        words = self._words
        if short or word in words:
            return None
        match = _ANY_RULE.match(word)
        if match is None:
            return None
        index = match.lastindex or 0  # group i is rule i - 1
        result = _RESOLVERS[index - 1](word, words)
        if result is None:
            # Only rule 30 can fit and still remove nothing; the later rules
            # then get their turn, as in PySastrawi.
            for later in range(index, len(_RULES)):
                if _EACH_RULE[later].match(word):
                    result = _RESOLVERS[later](word, words)
                    if result is not None:
                        break
        return result

    def _restore_suffixes(
        self, word: str, removals: list[tuple[str, str, bool]], short: bool
    ) -> str:
        """ECS "loop pengembalian akhiran": put suffixes back, last first.

        Each restored word (and, for ``-kan``, the word with its ``k`` kept)
        goes through the prefix rules again.
        """
        words = self._words
        for subject, result, kan in reversed(removals):
            if kan:
                current = self._remove_prefixes(result + "k", short)
                if current in words:
                    return current
            current = self._remove_prefixes(subject, short)
            if current in words:
                return current
        return word
