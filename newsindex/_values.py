"""Immutable value classes, written without a class-building library.

A search builds its hits, snippets, options and query clauses from these
classes, and every module on its path defines some. Importing ``attrs`` and
having it generate each class's methods took about 30 ms of the 150 ms of a
whole ``newsindex search`` command (18 ms the import, half a millisecond a
class); a class deriving from :class:`Value` costs what any class statement
costs. Modules that a search never imports (writing, the web app, Xapian)
keep ``attrs``.

A subclass names its fields in ``__slots__``, annotates them (the order of
the annotations is the fields' order), and sets them in its ``__init__``
(converting and checking first) through :meth:`Value._set`, in that
order::

    class FacetCount(Value):
        __slots__ = ("value", "count")
        value: str
        count: int

        def __init__(self, value: str, count: int) -> None:
            self._set(value, count)

Instances then compare equal when they are of the same class with equal
fields, hash by their fields (less those named in ``_unhashed``), print as
``FacetCount(value='Antara', count=3)``, refuse assignment
(:class:`FrozenError`, an ``AttributeError``), pickle, and copy themselves
with changes (:meth:`Value.evolve`, which runs ``__init__`` again).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar, TypeVar

_V = TypeVar("_V", bound="Value")


class FrozenError(AttributeError):
    """A field of an immutable value was assigned or deleted."""


class Value:
    """Base of newsindex's immutable value classes (see the module docstring)."""

    __slots__ = ()
    #: Every field, in order: those of the bases, then those annotated here.
    _fields: ClassVar[tuple[str, ...]] = ()
    _puts: ClassVar[tuple[Callable[[Any, Any], None], ...]] = ()
    #: Fields left out of the hash (still compared).
    _unhashed: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        slots = cls.__dict__.get("__slots__", ())
        slots = {slots} if isinstance(slots, str) else set(slots)
        # The fields in the order they are declared (annotated): ruff keeps
        # __slots__ sorted. (A class's own annotations, on Python 3.10+.)
        own = [n for n in cls.__annotations__ if n in slots]
        if set(own) != slots:
            raise TypeError(f"{cls.__qualname__}: annotate every name in __slots__")
        cls._fields = (*cls._fields, *own)
        # Each field's slot, set through its descriptor: the instance's own
        # __setattr__ refuses, and this skips looking the name up.
        cls._puts = tuple(getattr(cls, name).__set__ for name in cls._fields)

    def _set(self, *values: Any) -> None:
        """Set the fields, in the order of :attr:`_fields` (as annotated)."""
        for put, value in zip(self._puts, values, strict=True):
            put(self, value)

    def _values(self) -> Iterator[Any]:
        return (getattr(self, name) for name in self._fields)

    def evolve(self: _V, **changes: Any) -> _V:
        """A copy with some fields changed, through ``__init__`` (its checks
        and conversions run again)."""
        fields = {name: getattr(self, name) for name in self._fields}
        return type(self)(**{**fields, **changes})

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenError(f"{type(self).__qualname__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise FrozenError(f"{type(self).__qualname__} is immutable")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return tuple(self._values()) == tuple(other._values())

    def __hash__(self) -> int:
        skip = self._unhashed
        kept = (getattr(self, n) for n in self._fields if n not in skip)
        return hash((type(self).__qualname__, *kept))

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._fields)
        return f"{type(self).__qualname__}({shown})"

    def __getstate__(self) -> tuple[Any, ...]:
        return tuple(self._values())

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self._set(*state)
