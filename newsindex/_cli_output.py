"""What the ``newsindex`` command prints: results, stats, reports, progress.

Text for people on standard output (in colour on a terminal, unless
``NO_COLOR`` is set), JSON for programs; skipped records, progress and
waiting for another writer on standard error. Text that comes from article
data or input files has its control characters replaced, so it can never
drive the terminal.
Error lines are not here: :func:`newsindex.cli.main` writes those.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final, TextIO

if TYPE_CHECKING:  # what is printed; imported by the commands that make it
    from newsindex import (
        CheckReport,
        Evaluation,
        Hit,
        IndexStats,
        IngestReport,
        SearchResults,
    )

#: Skipped records listed after ``index``; the rest are counted.
SHOWN_PROBLEMS: Final = 20
#: Sources listed by ``stats``; the rest are counted.
SHOWN_SOURCES: Final = 10

# C0 and C1 control characters (ESC among them): never sent to a terminal
# from article data.
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", text)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _isatty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _use_color(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return _isatty(stream)


def print_json(value: object) -> None:
    """Print one JSON document, indented, non-ASCII characters as they are."""
    print(json.dumps(value, ensure_ascii=False, indent=2))


# -- index -----------------------------------------------------------------------


class Progress:
    """How far ``index`` has got, on standard error.

    Articles read and, when the input's size in bytes is known, the share
    of it read, articles per second and the time left. On a terminal, one
    line rewritten in place, at most every ``interval`` seconds. Elsewhere (a
    pipe, a log) a plain line, never with a carriage return or an escape
    code: the first after ``every`` seconds, then at least ``every`` seconds
    apart, and spaced so that a run prints about ``lines`` of them at most.

    The clock starts at the first article, after any wait for the lock.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        total_bytes: int = 0,
        terminal: bool,
        clock: Callable[[], float] = time.monotonic,
        interval: float = 0.1,
        every: float = 10.0,
        lines: int = 20,
    ) -> None:
        self._stream = stream
        self._total = total_bytes
        self._terminal = terminal
        self._clock = clock
        self._interval = interval if terminal else every
        self._lines = lines
        self._started: float | None = None
        self._next = 0.0
        self._bytes = 0
        self._shown = False

    def read(self, done: int) -> None:
        """Note the bytes of input read so far (``ingest``'s ``progress_bytes``)."""
        self._bytes = done

    def __call__(self, count: int) -> None:
        """Note the articles read so far (``ingest``'s ``progress``); show them
        if it is time to."""
        now = self._clock()
        if self._started is None:
            self._started = now
            self._next = now if self._terminal else now + self._interval
        if now < self._next:
            return
        elapsed = now - self._started
        share = min(self._bytes / self._total, 1.0) if self._total > 0 else None
        status = _status(count, elapsed, share)
        if self._terminal:
            self._stream.write(f"\r{status}\x1b[K")
            self._next = now + self._interval
        else:
            self._stream.write(f"newsindex: {status}\n")
            # A long run's lines are spread over the time it is expected to take.
            expected = elapsed / share if share else elapsed * self._lines / 4
            self._next = now + max(self._interval, expected / self._lines)
        self._stream.flush()
        self._shown = True

    def finish(self) -> None:
        """Erase the line on a terminal."""
        if self._terminal and self._shown:
            self._stream.write("\r\x1b[K")
            self._stream.flush()


def _status(count: int, elapsed: float, share: float | None) -> str:
    """``1,234 articles, 43% read, 512/s, 1 min 10 s left``, as far as known."""
    parts = [_count(count, "article")]
    if share is not None:
        parts.append(f"{share:.0%} read")
    if elapsed >= 1.0:  # a rate over less than a second says little
        parts.append(f"{count / elapsed:,.0f}/s")
        if share:
            parts.append(f"{_duration(elapsed * (1 - share) / share)} left")
    return ", ".join(parts)


def _duration(seconds: float) -> str:
    """``45 s``, ``3 min 10 s``, ``2 h 5 min``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def progress_on(stream: TextIO, total_bytes: int = 0) -> Progress:
    """Progress of an input of ``total_bytes`` (0: unknown) shown on ``stream``:
    in place on a terminal, else as plain lines now and then.

    Colour preferences (``NO_COLOR``) do not change it.
    """
    return Progress(stream, total_bytes=total_bytes, terminal=_isatty(stream))


def print_waiting(holder: int | None, timeout: float) -> None:
    """Say, on stderr, that ``index`` waits for the writer holding the lock."""
    who = "another writer" + ("" if holder is None else f" (pid {holder})")
    print(
        f"newsindex: waiting for {who} to finish, up to {timeout:g} s",
        file=sys.stderr,
    )


def print_report(report: IngestReport, path: object, total: int) -> None:
    """Summarise an ``index`` run; list the first skipped records on stderr."""
    print(
        f"Indexed {_count(report.files, 'file')} in {report.seconds:.1f} s: "
        f"{report.added} added, {report.updated} updated, "
        f"{len(report.skipped)} skipped."
    )
    print(f"The index at {path} holds {_count(total, 'article')}.")
    if not report.skipped:
        return
    skipped = len(report.skipped)
    print(f"newsindex: skipped {skipped} records or files:", file=sys.stderr)
    for problem in report.skipped[:SHOWN_PROBLEMS]:
        print(f"  {_clean(str(problem))}", file=sys.stderr)
    hidden = len(report.skipped) - SHOWN_PROBLEMS
    if hidden > 0:
        print(f"  ... and {hidden} more", file=sys.stderr)


# -- search ----------------------------------------------------------------------


class _Style:
    """Terminal escape codes, or empty strings when colour is off."""

    def __init__(self, color: bool) -> None:
        self.color = color
        self.bold = "\x1b[1m" if color else ""
        self.dim = "\x1b[2m" if color else ""
        self.link = "\x1b[36m" if color else ""
        self.reset = "\x1b[0m" if color else ""


def print_results(results: SearchResults) -> None:
    """Print a page of hits, then the count and the search's notes."""
    style = _Style(_use_color(sys.stdout))
    for hit in results:
        print(_format_hit(hit, style))
        print()
    took = f"{results.took_ms:.1f} ms"
    print(f"{style.dim}{len(results)} of {results.total} results ({took}){style.reset}")
    for note in results.notes:
        print(f"{style.dim}note: {_clean(note)}{style.reset}")
    if results.suggestion is not None:
        print(f"did you mean: {style.bold}{_clean(results.suggestion)}{style.reset}")
    for name, counts in results.facets.items():
        shown = ", ".join(f"{_clean(c.value)} {c.count:,}" for c in counts[:10])
        more = f", ... ({len(counts) - 10} more)" if len(counts) > 10 else ""
        print(f"{name}: {shown or 'none'}{more}")


def print_suggestions(completions: Sequence[str]) -> None:
    """Print each completion on a line of its own."""
    for completion in completions:
        print(_clean(completion))


def _format_hit(hit: Hit, style: _Style) -> str:
    if style.color:
        # After a highlight, return to bold rather than to plain text.
        title = hit.title_snippet.ansi(off="\x1b[0;1m")
        snippet = hit.snippet.ansi()
    else:
        title, snippet = hit.title_snippet.plain(), hit.snippet.plain()
    meta = [_date(hit)] if hit.published is not None else []
    meta += [_clean(v) for v in (hit.source, hit.category) if v]
    lines = [f"{hit.rank:>3}. {style.bold}{title or '(untitled)'}{style.reset}"]
    if meta:
        lines.append(f"     {style.dim}{' · '.join(meta)}{style.reset}")
    if hit.url:
        lines.append(f"     {style.link}{_clean(hit.url)}{style.reset}")
    if snippet:
        lines.append(f"     {snippet}")
    if hit.duplicates:  # near-copies folded into this hit
        also = _clean(", ".join(hit.duplicates))
        lines.append(f"     {style.dim}also: {also}{style.reset}")
    return "\n".join(lines)


def _date(hit: Hit) -> str:
    published = hit.published
    if published is None:
        return ""
    if isinstance(published, dt.datetime):
        return published.isoformat(sep=" ", timespec="minutes")
    return published.isoformat()


# -- stats -----------------------------------------------------------------------


def print_stats(stats: IndexStats) -> None:
    """Print the index's figures as a table, then its largest sources."""
    dates = "none"
    if stats.earliest is not None:
        dates = f"{stats.earliest} to {stats.latest}"
    rows = [
        ("index", stats.path),
        (
            "articles",
            f"{stats.articles:,}"
            + (f" ({stats.deleted:,} deleted)" if stats.deleted else ""),
        ),
        ("terms", f"{stats.terms:,}"),
        ("size", _human_size(stats.size_bytes)),
        ("dates", dates),
        ("segments", str(stats.segments)),
        ("analyzer", stats.analyzer),
    ]
    for label, value in rows:
        print(f"{label:<10}{value}")
    sources: Sequence[tuple[str, int]] = stats.sources
    for i, (source, count) in enumerate(sources[:SHOWN_SOURCES]):
        label = "sources" if i == 0 else ""
        print(f"{label:<10}{count:>8,}  {_clean(source)}")
    if len(sources) > SHOWN_SOURCES:
        print(f"{'':<10}... and {len(sources) - SHOWN_SOURCES} more")


def _human_size(size: int) -> str:
    """Format a byte count for people: ``812 B``, ``8.8 KiB``, ``1.2 GiB``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


# -- eval, check, swap -----------------------------------------------------------


def print_evaluation(result: Evaluation, *, ranks: bool) -> None:
    """Print the scores on one line, after each query's rank if ``ranks``."""
    if ranks:
        for qid, rank in result.ranks:
            print(f"{qid}\t{'-' if rank is None else rank}")
    print(
        f"{result.queries} queries  MRR@10 {result.mrr10:.4f}  "
        f"Recall@10 {result.recall10:.4f}  Recall@100 {result.recall100:.4f}  "
        f"({result.seconds:.1f} s)"
    )


def print_check(report: CheckReport) -> None:
    """Print ``ok: ...``, or each problem and what to do about them."""
    if report.ok:
        print(
            f"ok: {report.articles} articles in {report.segments} segments "
            f"(generation {report.generation}) at {report.path}"
        )
        return
    for problem in report.problems:
        print(f"problem: {_clean(problem)}")
    print(
        f"{len(report.problems)} problems in the index at {report.path}; "
        "rebuild it from the source files (see the README, 'Restoring service')"
    )


def print_copy(
    source: object, dest: object, copied: int, added: int, total: int, seconds: float
) -> None:
    """Print what ``copy`` wrote."""
    print(
        f"Copied {_count(copied, 'article')} from {source} to {dest} in "
        f"{seconds:.1f} s ({added} new); it holds {_count(total, 'article')}."
    )


def print_swap(link: Path, target: Path, articles: int) -> None:
    """Print where the link now points, and how many articles it serves."""
    print(f"{link} -> {target.resolve()} ({articles} articles)")


def print_serving(
    index: Path | str, host: str, port: int, articles: int, *, writable: bool
) -> None:
    """Print what ``serve`` serves, where, and whether it takes writes (on
    standard error, beside the server's log)."""
    shown = f"[{host}]" if ":" in host else host
    mode = "writes need the token" if writable else "read-only (no write token)"
    print(
        f"newsindex: serving {index} ({_count(articles, 'article')}) at "
        f"http://{shown}:{port}/; {mode}",
        file=sys.stderr,
    )
