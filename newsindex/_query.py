"""The query language: free text, "quoted phrases", -exclusion and OR.

=======================  ==================================================
``harga beras naik``     articles with any of the words; those with all of
                         them, close together, rank first
``"harga beras"``        the words next to each other, in this order
                         (required)
``-impor``, ``NOT impor``  no article containing the word (or phrase)
``banjir OR longsor``    either word; counts as one word for ranking
``Covid-19``             a word that analyses into several terms is
                         matched as a phrase of them
=======================  ==================================================

Every word is analysed like article text (lower case, stopwords, stems), so
``kenaikan`` finds ``naik``. Nothing in a query is an error: unbalanced
quotes are ignored, operators with nothing to act on are dropped, and other
punctuation separates words. The cost of a query is bounded: text beyond
:data:`MAX_QUERY_CHARS` characters and clauses beyond :data:`MAX_CLAUSES` are
ignored, an ``OR`` group keeps at most :data:`MAX_ALTERNATIVES` alternatives,
phrases keep at most :data:`MAX_PHRASE_TERMS` words, and each such cut is
reported in :attr:`ParsedQuery.notes`. There is no wildcard or prefix
syntax (``*`` is punctuation), so no query expands to the vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from newsindex._analysis import Analyzer
from newsindex._tokens import TOKEN_PATTERN
from newsindex._values import Value
from newsindex.errors import ConfigurationError

#: Characters of query text considered; the rest is ignored.
MAX_QUERY_CHARS: Final = 1_000
#: Positive and negative clauses considered, each.
MAX_CLAUSES: Final = 32
#: Alternatives kept in one ``OR`` group.
MAX_ALTERNATIVES: Final = 8
#: Words kept in one phrase.
MAX_PHRASE_TERMS: Final = 12
#: Sources, and categories, one search filters on.
MAX_FILTER_VALUES: Final = 100
#: The most filter values ever read from a caller, whatever the limits say.
FILTER_VALUES_CEILING: Final = 10_000

_LEXEME = re.compile(r'"|[^\s"]+')
_TOKEN_RE = re.compile(TOKEN_PATTERN)
_NEGATION = "-"


def _check_filter_values(value: int) -> None:
    if not 1 <= value <= FILTER_VALUES_CEILING:
        raise ConfigurationError(
            f"max_filter_values must be from 1 to {FILTER_VALUES_CEILING}, "
            f"not {value!r}"
        )


class QueryLimits(Value):
    """Bounds on the cost of one query (the defaults are the module constants).

    Attributes:
        max_chars: characters of query text considered.
        max_clauses: positive and negative clauses considered, each.
        max_alternatives: alternatives kept in one ``OR`` group.
        max_phrase_terms: words kept in one phrase.
        max_limit: most hits in one page.
        max_depth: deepest result reachable by paging (offset + limit).
        max_filter_values: sources, and categories, one search filters on
            (at most :data:`FILTER_VALUES_CEILING`).
    """

    __slots__ = (
        "max_alternatives",
        "max_chars",
        "max_clauses",
        "max_depth",
        "max_filter_values",
        "max_limit",
        "max_phrase_terms",
    )
    max_chars: int
    max_clauses: int
    max_alternatives: int
    max_phrase_terms: int
    max_limit: int
    max_depth: int
    max_filter_values: int

    def __init__(
        self,
        *,
        max_chars: int = MAX_QUERY_CHARS,
        max_clauses: int = MAX_CLAUSES,
        max_alternatives: int = MAX_ALTERNATIVES,
        max_phrase_terms: int = MAX_PHRASE_TERMS,
        max_limit: int = 1_000,
        max_depth: int = 10_000,
        max_filter_values: int = MAX_FILTER_VALUES,
    ) -> None:
        self._set(
            max_chars,
            max_clauses,
            max_alternatives,
            max_phrase_terms,
            max_limit,
            max_depth,
            max_filter_values,
        )
        _check_filter_values(max_filter_values)


class Clause(Value):
    """One unit of a query.

    Attributes:
        alternatives: each alternative is a tuple of terms; one term is a
            word, several are a phrase. A clause matches an article that
            matches any alternative (``OR``).
        required: the article must match this clause (quoted phrases).
    """

    __slots__ = ("alternatives", "required")
    alternatives: tuple[tuple[str, ...], ...]
    required: bool

    def __init__(
        self, alternatives: tuple[tuple[str, ...], ...], required: bool = False
    ) -> None:
        self._set(alternatives, required)

    @property
    def terms(self) -> tuple[str, ...]:
        """Every term of every alternative, in order."""
        return tuple(t for alt in self.alternatives for t in alt)


class ParsedQuery(Value):
    """A query after parsing and analysis.

    Attributes:
        text: the query as given.
        positive: clauses that select and rank articles.
        negative: clauses that exclude articles.
        notes: what was ignored or cut, in words, for the user.
        weights: factors on the idf of alternatives the user did not type
            (other forms of a word, close words), so the typed form ranks first.
    """

    __slots__ = ("negative", "notes", "positive", "text", "weights")
    # The weights are neither hashed nor compared (see __eq__).
    _unhashed = frozenset({"weights"})
    text: str
    positive: tuple[Clause, ...]
    negative: tuple[Clause, ...]
    notes: tuple[str, ...]
    weights: dict[str | tuple[str, ...], float]

    def __init__(
        self,
        text: str,
        positive: tuple[Clause, ...],
        negative: tuple[Clause, ...],
        notes: tuple[str, ...] = (),
        weights: dict[str | tuple[str, ...], float] | None = None,
    ) -> None:
        self._set(text, positive, negative, notes, {} if weights is None else weights)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__ or not isinstance(other, ParsedQuery):
            return NotImplemented
        return (self.text, self.positive, self.negative, self.notes) == (
            other.text,
            other.positive,
            other.negative,
            other.notes,
        )

    # Defining __eq__ would otherwise make instances unhashable.
    __hash__ = Value.__hash__

    @property
    def terms(self) -> frozenset[str]:
        """Terms of the positive clauses (what snippets highlight)."""
        return frozenset(t for c in self.positive for t in c.terms)

    @property
    def sequence(self) -> tuple[str, ...]:
        """Positive terms in query order, without repeats (for proximity)."""
        return tuple(dict.fromkeys(t for c in self.positive for t in c.terms))

    @property
    def empty_reason(self) -> str | None:
        """Why the query cannot match anything, or ``None``."""
        if self.positive:
            return None
        if self.negative:
            return "the query only excludes words; add a word to search for"
        if self.text.strip():
            return "the query has no searchable words (only stopwords or punctuation)"
        return "the query is empty"


class _Atom(Value):
    __slots__ = ("quoted", "words")
    words: tuple[str, ...]
    quoted: bool

    def __init__(self, words: tuple[str, ...], quoted: bool) -> None:
        self._set(words, quoted)


def _lex(text: str) -> list[str | _Atom]:
    """Split into atoms (words or quoted phrases) and operator strings."""
    lexemes = _LEXEME.findall(text)
    quotes = lexemes.count('"')
    out: list[str | _Atom] = []
    in_phrase = False
    phrase: list[str] = []
    negate_next = False
    seen_quotes = 0
    for lexeme in lexemes:
        if lexeme == '"':
            seen_quotes += 1
            if in_phrase:
                out.append(_Atom(tuple(phrase), True))
                in_phrase, phrase = False, []
            elif seen_quotes < quotes or quotes % 2 == 0:
                # An opening quote with a partner; a lone last quote is noise.
                in_phrase = True
                if negate_next:
                    out.append(_NEGATION)
                    negate_next = False
            continue
        if in_phrase:
            phrase.append(lexeme)
            continue
        if lexeme in ("OR", "|"):
            out.append("OR")
        elif lexeme == "NOT":
            out.append(_NEGATION)
        elif lexeme == "AND":
            continue
        elif lexeme.startswith("-") and len(lexeme) > 1:
            out.append(_NEGATION)
            out.append(_Atom((lexeme[1:],), False))
        elif lexeme == "-":
            negate_next = True
            continue
        else:
            out.append(_Atom((lexeme,), False))
        negate_next = False
    if in_phrase:  # not reached (a lone last quote never opens), but safe
        out.extend(_Atom((word,), False) for word in phrase)
    return out


def _alternatives_of(atom: _Atom, analyzer: Analyzer) -> list[tuple[str, ...]]:
    """An atom's terms: one phrase if quoted, else one entry per word.

    A word is what the analyzer sees as one token, so ``harga/beras`` is
    two words while ``Covid-19`` (one token, indexed as two terms) is a
    phrase of its parts.
    """
    words = [
        tuple(analyzer.terms(match.group()))
        for text in atom.words
        for match in _TOKEN_RE.finditer(text)
    ]
    if atom.quoted:
        phrase = tuple(t for word in words for t in word)
        return [phrase] if phrase else []
    return [word for word in words if word]


def _add_clause(target: list[Clause], clause: Clause) -> None:
    """Append ``clause`` unless it repeats one (a quoted repeat makes it required)."""
    for j, existing in enumerate(target):
        if existing.alternatives == clause.alternatives:
            if clause.required and not existing.required:
                target[j] = clause
            return
    target.append(clause)


def _usable_text(text: str, max_chars: int, notes: list[str]) -> str:
    """``text`` cut to ``max_chars`` (at a word boundary), printable only."""
    if len(text) > max_chars:
        notes.append(f"only the first {max_chars} characters of the query were used")
        used = text[:max_chars]
        # Do not search the half of a word the cut left behind.
        cut = max(used.rfind(" "), used.rfind("\t"))
        if cut > 0 and not text[max_chars].isspace():
            used = used[:cut]
    else:
        used = text
    return "".join(c if c.isprintable() else " " for c in used)


def _groups(items: list[str | _Atom]) -> Iterator[tuple[list[_Atom], bool]]:
    """The query's clauses before analysis: ``(atoms joined by OR, negated)``.

    OR binds the atoms on both sides into one clause (not after NOT); an
    operator with nothing to act on is dropped.
    """
    i = 0
    while i < len(items):
        item = items[i]
        negated = item == _NEGATION
        if negated:
            i += 1
            if i >= len(items) or not isinstance(items[i], _Atom):
                continue
            item = items[i]
        if not isinstance(item, _Atom):  # a stray OR
            i += 1
            continue
        group = [item]
        while not negated and i + 2 < len(items) and items[i + 1] == "OR":
            following = items[i + 2]
            if not isinstance(following, _Atom):
                break
            group.append(following)
            i += 2
        i += 1
        yield group, negated


class _Cuts:
    """Which cost bounds a query ran into (reported in its notes)."""

    __slots__ = ("group", "phrase")
    phrase: bool
    group: bool

    def __init__(self, phrase: bool = False, group: bool = False) -> None:
        self.phrase = phrase
        self.group = group


def _clauses(
    group: list[_Atom],
    negated: bool,
    analyzer: Analyzer,
    limits: QueryLimits,
    cuts: _Cuts,
) -> list[Clause]:
    """The clauses of one group, its alternatives analysed and bounded."""
    alternatives: list[tuple[str, ...]] = []
    for terms in (t for atom in group for t in _alternatives_of(atom, analyzer)):
        if len(terms) > limits.max_phrase_terms:
            terms = terms[: limits.max_phrase_terms]
            cuts.phrase = True
        if len(alternatives) == limits.max_alternatives:
            cuts.group = True
            break
        alternatives.append(terms)
    unique = tuple(dict.fromkeys(alternatives))
    if not unique:
        return []
    if len(group) == 1 and not group[0].quoted:
        # Words joined by punctuation ("harga/beras") are separate words.
        return [Clause((alternative,)) for alternative in unique]
    required = len(group) == 1 and group[0].quoted and not negated
    return [Clause(unique, required)]


def parse_query(
    text: str, analyzer: Analyzer, limits: QueryLimits | None = None
) -> ParsedQuery:
    """Parse and analyse ``text`` (never raises for any string).

    Args:
        text: the user's query.
        analyzer: the index's analyzer.
        limits: cost bounds (default :class:`QueryLimits`).
    """
    limits = limits or QueryLimits()
    notes: list[str] = []
    positive: list[Clause] = []
    negative: list[Clause] = []
    cuts = _Cuts()
    for group, negated in _groups(_lex(_usable_text(text, limits.max_chars, notes))):
        target = negative if negated else positive
        for clause in _clauses(group, negated, analyzer, limits, cuts):
            _add_clause(target, clause)
    if cuts.group:
        notes.append(f"OR groups were cut to {limits.max_alternatives} alternatives")
    if cuts.phrase:
        notes.append(f"phrases were cut to {limits.max_phrase_terms} words")
    for name, clauses in (("words", positive), ("excluded words", negative)):
        if len(clauses) > limits.max_clauses:
            notes.append(f"only the first {limits.max_clauses} {name} were used")
            del clauses[limits.max_clauses :]
    return ParsedQuery(text, tuple(positive), tuple(negative), tuple(notes))
