"""How a target of the benchmark issue is judged, and the page's targets table.

A :class:`Spec` is a bound and how to read and show the measured value; judged
against the results it gives a :class:`Target`, a row of the table with its
verdict (met, missed, not measured) and its margin. The targets themselves
are in :mod:`bench.report_targets`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from bench.report_format import NA, TIMES, number, table, times

Read = Callable[[Any], Any]
Show = Callable[[float | None], str]


@attrs.frozen
class Target:
    """One target of the issue: a measured value against a bound."""

    what: str
    bound: str
    value: float | None
    limit: float
    at_most: bool
    show: Show
    note: str = ""

    @property
    def met(self) -> bool | None:
        """Whether the value is within the bound; ``None`` when not measured."""
        if self.value is None:
            return None
        if self.at_most:
            return self.value <= self.limit
        return self.value >= self.limit

    def row(self) -> list[str]:
        """The cells of the targets table."""
        if self.met is None:
            verdict = "not measured"
        elif self.met:
            verdict = "**met**"
        else:
            verdict = "**missed**"
        margin = NA
        if self.value is not None and self.limit:
            over = (self.value - self.limit) / abs(self.limit)
            word = "over" if over > 0 else "under"
            margin = f"{abs(over):.1%} {word} the bound"
        return [
            self.what,
            self.bound,
            self.show(self.value),
            verdict,
            margin,
            self.note,
        ]


@attrs.frozen
class Spec:
    """How a target is judged: its bound and how to read and show the value."""

    bound: str
    limit: float
    at_most: bool
    read: Read
    show: Show
    note: str = ""

    def judge(self, what: str, results: Any) -> Target:
        """The target ``what``, measured in ``results`` (its step's part)."""
        value = self.read(results)
        return Target(
            what, self.bound, value, self.limit, self.at_most, self.show, self.note
        )


@attrs.frozen
class Unit:
    """What a bound's number is followed by, and how a value is shown."""

    suffix: str
    show: Show


RATIO = Unit(TIMES, times)
MS = Unit(" ms", lambda v: number(v, 2) + " ms" if v is not None else NA)
MB = Unit(" MB", lambda v: number(v, 0) + " MB" if v is not None else NA)
SCORE = Unit("", lambda v: number(v, 3))


def at_most(limit: str, unit: Unit, read: Read, note: str = "") -> Spec:
    """A value that must not exceed ``limit``, written as the page shows it.

    The limit is text (``"1.30"``) so that the bound the page shows and the
    number the value is compared with cannot drift apart.
    """
    return Spec(f"≤ {limit}{unit.suffix}", float(limit), True, read, unit.show, note)


def at_least(limit: str, unit: Unit, read: Read, note: str = "") -> Spec:
    """A value that must reach ``limit``; the limit as in :func:`at_most`."""
    return Spec(f"≥ {limit}{unit.suffix}", float(limit), False, read, unit.show, note)


def targets_section(items: list[Target]) -> list[str]:
    """The page's targets table, with how many were met."""
    lines = ["## Targets", ""]
    met = sum(1 for t in items if t.met)
    lines.append(f"{met} of {len(items)} targets met.")
    lines.append("")
    head = ["target", "bound", "measured", "verdict", "margin", "note"]
    lines += table(head, [t.row() for t in items], "llrlll")
    return lines
