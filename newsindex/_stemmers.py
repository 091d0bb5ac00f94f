"""Stemmers: the pluggable last step of analysis.

A stemmer is any object with a ``name`` (recorded in the index, so that an
index is never searched with a different stemmer than it was built with) and a
``stem(word)`` method taking one lower-case word. Three ship with newsindex:

* ``"sastrawi"`` (default): PySastrawi's dictionary-based stemmer. Its word
  list is licensed CC BY-NC-SA 3.0 (see the README's licensing section).
* ``"tala"``: the dictionary-free Tala algorithm from the ``snowballstemmer``
  package (BSD). Cruder (``menaikkan`` becomes ``aik``) but free of that
  licence.
* ``"none"``: no stemming; words are only lower-cased.

Stemmers are called once per distinct word; :class:`~newsindex.Analyzer`
caches the results, so a stemmer may be slow but must be deterministic.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from newsindex.errors import ConfigurationError

if TYPE_CHECKING:
    # For annotations only: the module is imported (and its rules compiled)
    # on the first call to SastrawiStemmer.stem.
    from newsindex._sastrawi import FastSastrawi


@runtime_checkable
class Stemmer(Protocol):
    """What the analyzer needs from a stemmer.

    Attributes:
        name: a stable identifier, recorded in the index. Two stemmers with
            the same name must produce the same stems.
    """

    name: str

    def stem(self, word: str) -> str:
        """Return the stem of one lower-case word (no spaces)."""
        ...


@functools.cache
def _version(distribution: str) -> str:
    """An installed distribution's version, from its ``.dist-info`` folder's
    name when one is on ``sys.path`` (importlib.metadata costs 15 ms to
    import, which every process opening an index would pay)."""
    wanted = distribution.lower().replace("-", "_")
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            stem, dot, ext = name.rpartition(".")
            if ext == "dist-info" and dot:
                project, _, version = stem.partition("-")
                if project.lower().replace("-", "_") == wanted:
                    return version
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:  # pragma: no cover - broken install
        return "unknown"


class NoStemmer:
    """Leaves words as they are."""

    name = "none"

    def stem(self, word: str) -> str:
        """Return ``word`` unchanged."""
        return word

    def __repr__(self) -> str:
        return "NoStemmer()"


class SastrawiStemmer:
    """PySastrawi's stemmer (Nazief-Adriani with the ECS improvements).

    Stems with :class:`newsindex._sastrawi.FastSastrawi`, a faster rewrite of
    PySastrawi's algorithm that gives exactly PySastrawi's stems from
    PySastrawi's own dictionary (so the name, and the indexes built with it,
    stay PySastrawi's). The dictionary (about 30,000 root words) is loaded on
    the first call to :meth:`stem`, not at construction. Thread-safe: after
    loading, stemming reads only an immutable word set.
    """

    def __init__(self) -> None:
        self.name = f"sastrawi-{_version('pysastrawi')}"
        self._lock = threading.Lock()
        self._stemmer: FastSastrawi | None = None
        self._reference: Any = None

    def _load(self) -> FastSastrawi:
        from newsindex._sastrawi import FastSastrawi, dictionary_words

        return FastSastrawi(dictionary_words())

    def stem(self, word: str) -> str:
        """Return the Sastrawi stem of ``word`` (unchanged if not a word).

        Only words of letters (and hyphens) are stemmed: PySastrawi builds
        regular expressions from the word itself, so a "word" holding ``*``
        or ``(`` would raise inside it, and the rewrite promises PySastrawi's
        output only where PySastrawi has one.
        """
        if not word.replace("-", "").isalpha():
            return word
        stemmer = self._stemmer
        if stemmer is None:
            with self._lock:
                if self._stemmer is None:
                    self._stemmer = self._load()
                stemmer = self._stemmer
        return stemmer.stem_word(word) or word

    def _reference_stem(self, word: str) -> str:
        """:meth:`stem` computed by PySastrawi itself (tests and benchmarks)."""
        if not word.replace("-", "").isalpha():
            return word
        with self._lock:
            if self._reference is None:
                from newsindex._sastrawi import reference_stemmer

                self._reference = reference_stemmer()
            result: str = self._reference.stem_word(word)
        return result or word

    def __repr__(self) -> str:
        return "SastrawiStemmer()"

    def __reduce__(self) -> tuple[type[SastrawiStemmer], tuple[()]]:
        # Pickled for worker processes: the dictionary reloads there.
        return (SastrawiStemmer, ())


class TalaStemmer:
    """The Tala (2003) stemmer as implemented by the Snowball project.

    Snowball stemmer objects keep state between calls, so each thread gets
    its own.
    """

    def __init__(self) -> None:
        self.name = f"tala-snowball-{_version('snowballstemmer')}"
        self._local = threading.local()

    def stem(self, word: str) -> str:
        """Return the Tala stem of ``word``."""
        stemmer = getattr(self._local, "stemmer", None)
        if stemmer is None:
            import snowballstemmer

            stemmer = self._local.stemmer = snowballstemmer.stemmer("indonesian")
        result: str = stemmer.stemWord(word)
        return result or word

    def __repr__(self) -> str:
        return "TalaStemmer()"

    def __reduce__(self) -> tuple[type[TalaStemmer], tuple[()]]:
        return (TalaStemmer, ())


_BUILTIN: dict[str, Callable[[], Stemmer]] = {
    "sastrawi": SastrawiStemmer,
    "tala": TalaStemmer,
    "none": NoStemmer,
}


def get_stemmer(stemmer: str | Stemmer) -> Stemmer:
    """Return a stemmer object for a built-in name or a stemmer object.

    Args:
        stemmer: ``"sastrawi"``, ``"tala"``, ``"none"``, or an object that
            follows the :class:`Stemmer` protocol.

    Raises:
        ConfigurationError: the name is not one of the built-in stemmers, or the
            object lacks ``name`` or ``stem``.
    """
    if isinstance(stemmer, str):
        try:
            return _BUILTIN[stemmer]()
        except KeyError:
            known = ", ".join(sorted(_BUILTIN))
            raise ConfigurationError(
                f"unknown stemmer {stemmer!r}; choose one of {known}, "
                "or pass an object with .name and .stem(word)"
            ) from None
    if not isinstance(stemmer, Stemmer) or not isinstance(stemmer.name, str):
        raise ConfigurationError(
            f"{stemmer!r} is not a stemmer: it needs .name and .stem()"
        )
    return stemmer


def builtin_stemmer_for(name: str) -> Stemmer | None:
    """Return the built-in stemmer whose recorded name is ``name``, if any."""
    for factory in _BUILTIN.values():
        candidate: Stemmer = factory()
        if candidate.name == name:
            return candidate
    return None
