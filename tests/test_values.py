"""The base of newsindex's immutable value classes (``_values.py``)."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest

from newsindex._values import FrozenError, Value


class Pair(Value):
    # Sorted slots, declared order: the annotations give the order.
    __slots__ = ("count", "word")
    word: str
    count: int

    def __init__(self, word: str, count: int = 0) -> None:
        if count < 0:
            raise ValueError("count must not be negative")
        self._set(word, count)


class Tagged(Pair):
    __slots__ = ("tags",)
    _unhashed = frozenset({"tags"})
    tags: dict[str, Any]

    def __init__(
        self, word: str, count: int = 0, tags: dict[str, Any] | None = None
    ) -> None:
        # Every field at once: _set takes them all, the bases' first.
        self._set(word, count, {} if tags is None else tags)


def test_fields_follow_the_annotations_and_the_bases() -> None:
    assert Pair._fields == ("word", "count")
    assert Tagged._fields == ("word", "count", "tags")
    assert repr(Tagged("naik", 2)) == "Tagged(word='naik', count=2, tags={})"


def test_equality_and_hash_by_fields_and_class() -> None:
    assert Pair("naik", 2) == Pair("naik", 2)
    assert Pair("naik", 2) != Pair("naik", 3)
    assert Pair("naik", 2) != Tagged("naik", 2)  # another class
    assert len({Pair("naik", 2), Pair("naik", 2), Pair("turun", 2)}) == 2
    # Unhashed fields still count for equality.
    one, other = Tagged("naik", 2, {"a": 1}), Tagged("naik", 2, {"a": 2})
    assert hash(one) == hash(other)
    assert one != other


def test_values_refuse_changes() -> None:
    pair = Pair("naik", 2)
    with pytest.raises(FrozenError, match="immutable"):
        pair.count = 3  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del pair.word
    with pytest.raises(AttributeError):
        pair.other = 1  # type: ignore[attr-defined]


def test_evolve_runs_the_checks_again() -> None:
    pair = Pair("naik", 2)
    assert pair.evolve(count=5) == Pair("naik", 5)
    assert pair == Pair("naik", 2)
    with pytest.raises(ValueError, match="negative"):
        pair.evolve(count=-1)


@pytest.mark.parametrize("protocol", range(2, pickle.HIGHEST_PROTOCOL + 1))
def test_values_pickle_and_copy(protocol: int) -> None:
    tagged = Tagged("naik", 2, {"a": [1, 2]})
    assert pickle.loads(pickle.dumps(tagged, protocol)) == tagged
    deep = copy.deepcopy(tagged)
    assert deep == tagged
    assert deep.tags is not tagged.tags


def test_every_slot_must_be_annotated() -> None:
    with pytest.raises(TypeError, match="annotate every name"):

        class Broken(Value):
            __slots__ = ("count", "word")
            word: str
