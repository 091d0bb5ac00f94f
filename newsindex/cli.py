"""The ``newsindex`` command: index article files, search, describe, evaluate.

::

    newsindex index  [--index DIR] [--jobs N] [--strict] [--stemmer NAME] PATH...
    newsindex search [--index DIR] QUERY [--limit N] [--page N] [--json]
                     [--since DATE] [--until DATE] [--source S]... [--category C]...
                     [--sort relevance|newest]
    newsindex stats  [--index DIR] [--json]
    newsindex eval   [--index DIR] --queries FILE [--split NAME] [--ranks] [--json]
    newsindex check  [--index DIR] [--json]
    newsindex swap   [--index LINK] NEW

Without ``--index``, the index lives in :func:`default_index_path`.

The command is a thin layer over the public API: it reads flags and the
environment, calls :func:`newsindex._inputs.ingest`, :meth:`NewsIndex.search`
or :meth:`NewsIndex.stats`, and prints. Library errors (any
:class:`NewsIndexError`) and operating-system errors become one line on
standard error, ``newsindex: error: ...``, and an exit status:

===  ==============================================================
0    success
1    error: no index, a bad date, an unreadable path, a locked index,
     an analyzer mismatch, a bad record with ``--strict``, ...
2    usage error: unknown command or option, bad option value
3    ``index`` finished, but some records or files were skipped
130  interrupted (Ctrl-C); an interrupted ``index`` commits nothing
===  ==============================================================
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import json
import os
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final, TextIO

from newsindex._analysis import Analyzer
from newsindex._checking import check_index
from newsindex._evaluation import evaluate, read_queries
from newsindex._index import IndexStats, NewsIndex, swap_index
from newsindex._inputs import IngestReport, ingest
from newsindex._results import Hit, SearchResults
from newsindex._version import __version__
from newsindex.errors import (
    AnalyzerMismatchError,
    CorruptIndexError,
    IndexNotFoundError,
    InputError,
    NewsIndexError,
)

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_SKIPPED",
    "EXIT_USAGE",
    "build_parser",
    "default_index_path",
    "main",
]

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_USAGE: Final = 2
EXIT_SKIPPED: Final = 3
EXIT_INTERRUPTED: Final = 130

#: Skipped records listed after ``index``; the rest are counted.
SHOWN_PROBLEMS: Final = 20
#: Sources listed by ``stats``; the rest are counted.
SHOWN_SOURCES: Final = 10

_EPILOG: Final = """\
exit status:
  0    success
  1    error (no index, bad date, unreadable path, locked index, analyzer
       mismatch, a bad record with --strict, ...)
  2    usage error (unknown command or option, bad option value)
  3    indexing finished, but some records or files were skipped
  130  interrupted

index location: --index DIR, else $NEWSINDEX_INDEX, else
$XDG_DATA_HOME/newsindex/index, else ~/.local/share/newsindex/index
"""

# C0 and C1 control characters (ESC among them): never sent to a terminal
# from article data.
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def default_index_path(environ: Mapping[str, str] | None = None) -> Path:
    """Return the index directory used when ``--index`` is not given.

    In order: ``$NEWSINDEX_INDEX``; ``$XDG_DATA_HOME/newsindex/index``
    (only if that variable holds an absolute path, as the XDG Base
    Directory specification asks); ``~/.local/share/newsindex/index``.

    Args:
        environ: the environment to read (default: ``os.environ``).

    Returns:
        the path, with ``~`` expanded.
    """
    env = os.environ if environ is None else environ
    explicit = env.get("NEWSINDEX_INDEX", "")
    if explicit:
        return Path(explicit).expanduser()
    data_home = env.get("XDG_DATA_HOME", "")
    if data_home and os.path.isabs(data_home):
        return Path(data_home) / "newsindex" / "index"
    return Path("~/.local/share/newsindex/index").expanduser()


# -- the parser ----------------------------------------------------------------


def _default_jobs() -> int:
    """One worker per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _directory(text: str) -> Path:
    return Path(text).expanduser()


def _index_option() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--index",
        metavar="DIR",
        type=_directory,
        help=(
            "the index directory (default: $NEWSINDEX_INDEX, else "
            "$XDG_DATA_HOME/newsindex/index, else ~/.local/share/newsindex/index; "
            f"currently {default_index_path()})"
        ),
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``newsindex`` command."""
    parser = argparse.ArgumentParser(
        prog="newsindex",
        description="Search Indonesian news: index article files, then search them.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {__version__}",
        help="show the version and exit",
    )
    commands = parser.add_subparsers(
        dest="command",
        metavar="COMMAND",
        required=True,
        help="what to do; 'newsindex COMMAND --help' describes each",
    )
    common = _index_option()
    for add in (
        _add_index_command,
        _add_search_command,
        _add_stats_command,
        _add_eval_command,
        _add_check_command,
        _add_swap_command,
    ):
        add(commands, common)
    return parser


def _subparser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    common: argparse.ArgumentParser,
) -> argparse.ArgumentParser:
    return commands.add_parser(
        name,
        help=summary,
        description=summary,
        epilog=_EPILOG,
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _add_index_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    sub = _subparser(
        commands,
        "index",
        "add articles from files to the index (created if missing)",
        common,
    )
    sub.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a .jsonl, .ndjson, .csv or .txt file, or a directory of them",
    )
    sub.add_argument(
        "--jobs",
        type=_positive,
        default=_default_jobs(),
        metavar="N",
        help="worker processes for analysis (default: the number of CPUs, "
        f"here {_default_jobs()}; workers start only for inputs of more than "
        "a few hundred articles)",
    )
    sub.add_argument(
        "--strict",
        action="store_true",
        help="stop at the first bad record and index nothing (default: skip it)",
    )
    sub.add_argument(
        "--stemmer",
        choices=("sastrawi", "tala", "none"),
        help="stemmer of a new index (default: sastrawi); an existing index "
        "must have been built with it",
    )
    sub.set_defaults(run=_run_index)


def _add_search_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    sub = _subparser(commands, "search", "search the index", common)
    sub.add_argument(
        "query",
        metavar="QUERY",
        help='words to find; "a phrase", -exclude and a OR b work',
    )
    sub.add_argument(
        "--limit",
        type=int,
        default=10,
        metavar="N",
        help="results per page (default: 10)",
    )
    sub.add_argument(
        "--page",
        type=int,
        default=1,
        metavar="N",
        help="page of results to show (default: 1)",
    )
    sub.add_argument(
        "--json", action="store_true", help="print one JSON object instead of text"
    )
    sub.add_argument(
        "--since",
        metavar="DATE",
        help="only articles published on or after DATE (yyyy-mm-dd)",
    )
    sub.add_argument(
        "--until",
        metavar="DATE",
        help="only articles published on or before DATE (yyyy-mm-dd)",
    )
    sub.add_argument(
        "--source",
        action="append",
        metavar="S",
        help="only articles from this publisher (repeat for several)",
    )
    sub.add_argument(
        "--category",
        action="append",
        metavar="C",
        help="only articles in this section (repeat for several)",
    )
    sub.add_argument(
        "--sort",
        choices=("relevance", "newest"),
        default="relevance",
        help="order of results (default: relevance)",
    )
    sub.set_defaults(run=_run_search)


def _add_stats_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    sub = _subparser(
        commands, "stats", "show articles, terms, size, dates and sources", common
    )
    sub.add_argument(
        "--json", action="store_true", help="print one JSON object instead of text"
    )
    sub.set_defaults(run=_run_stats)


def _add_eval_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    sub = _subparser(
        commands,
        "eval",
        "measure relevance: MRR@10, Recall@10 and Recall@100 over judged queries",
        common,
    )
    sub.add_argument(
        "--queries",
        required=True,
        type=Path,
        metavar="FILE",
        help='JSON Lines of judged queries: {"query": ..., "relevant": [ids]}, '
        'optionally "qid" and "split"',
    )
    sub.add_argument(
        "--split", metavar="NAME", help="only the queries whose split is NAME"
    )
    sub.add_argument(
        "--ranks",
        action="store_true",
        help="also print each query's rank of its first relevant article",
    )
    sub.add_argument(
        "--json", action="store_true", help="print one JSON object instead of text"
    )
    sub.set_defaults(run=_run_eval)


def _add_check_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    sub = _subparser(
        commands,
        "check",
        "verify an index: open every segment, read every article and posting "
        "list; exit status 1 if anything is damaged",
        common,
    )
    sub.add_argument(
        "--json", action="store_true", help="print one JSON object instead of text"
    )
    sub.set_defaults(run=_run_check)


def _add_swap_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    sub = _subparser(
        commands,
        "swap",
        "check the index in NEW, then point the symbolic link --index at it "
        "atomically (searchers follow on their next search)",
        common,
    )
    sub.add_argument(
        "new", type=Path, metavar="NEW", help="directory of the replacement index"
    )
    sub.set_defaults(run=_run_swap)


# -- main ----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the ``newsindex`` command.

    Args:
        argv: the arguments after the program name (default: ``sys.argv[1:]``).

    Returns:
        the exit status (see the module docstring).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (``| head``); say nothing more.
        _silence_stdout()
        return EXIT_ERROR
    except (NewsIndexError, OSError) as exc:
        _error(_describe(exc))
        return EXIT_ERROR


def _describe(exc: BaseException) -> str:
    """A one-line message for a library or operating-system error."""
    if isinstance(exc, IndexNotFoundError):
        return f"{exc}; build one with 'newsindex index PATH...' (or give --index)"
    if isinstance(exc, AnalyzerMismatchError):
        return f"{exc} (leave out --stemmer to use the index's own)"
    if isinstance(exc, InputError):
        return f"{exc} (--strict: nothing was indexed)"
    if (
        isinstance(exc, OSError)
        and not isinstance(exc, NewsIndexError)
        and exc.strerror
    ):
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return str(exc) or type(exc).__name__


def _error(message: str) -> None:
    print(f"newsindex: error: {' '.join(message.split())}", file=sys.stderr)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (tests)
        pass


def _index_path(args: argparse.Namespace) -> Path:
    given: Path | None = args.index
    return given if given is not None else default_index_path()


def _isatty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _use_color(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return _isatty(stream)


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", text)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


# -- index ---------------------------------------------------------------------


def _run_index(args: argparse.Namespace) -> int:
    for path in args.paths:
        if not os.path.exists(path):
            raise FileNotFoundError(errno.ENOENT, "no such file or directory", path)
        if not os.access(path, os.R_OK):
            raise PermissionError(errno.EACCES, "permission denied", path)
    analyzer = None if args.stemmer is None else Analyzer(stemmer=args.stemmer)
    progress = _Progress(sys.stderr) if _isatty(sys.stderr) else None
    with NewsIndex.open_or_create(_index_path(args), analyzer=analyzer) as index:
        try:
            report = ingest(
                index, args.paths, strict=args.strict, jobs=args.jobs, progress=progress
            )
        finally:
            if progress is not None:
                progress.finish()
        total = index.count()
    _print_report(report, index.path, total)
    return EXIT_SKIPPED if report.skipped else EXIT_OK


class _Progress:
    """An in-place counter on a terminal: articles read, and articles per second."""

    def __init__(self, stream: TextIO, interval: float = 0.1) -> None:
        self._stream = stream
        self._interval = interval
        self._started = time.monotonic()
        self._shown = float("-inf")

    def __call__(self, count: int) -> None:
        now = time.monotonic()
        if now - self._shown < self._interval:
            return
        self._shown = now
        rate = count / max(now - self._started, 1e-6)
        self._stream.write(f"\r{_count(count, 'article')} ({rate:,.0f}/s)\x1b[K")
        self._stream.flush()

    def finish(self) -> None:
        """Erase the counter."""
        if self._shown != float("-inf"):
            self._stream.write("\r\x1b[K")
            self._stream.flush()


def _print_report(report: IngestReport, path: Path, total: int) -> None:
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


# -- search --------------------------------------------------------------------


def _run_search(args: argparse.Namespace) -> int:
    with NewsIndex.open(_index_path(args)) as index:
        results = index.search(
            args.query,
            limit=args.limit,
            page=args.page,
            since=args.since,
            until=args.until,
            sources=args.source,
            categories=args.category,
            sort=args.sort,
        )
    if args.json:
        print(json.dumps(results.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_results(results, _Style(_use_color(sys.stdout)))
    return EXIT_OK


class _Style:
    """Terminal escape codes, or empty strings when colour is off."""

    def __init__(self, color: bool) -> None:
        self.color = color
        self.bold = "\x1b[1m" if color else ""
        self.dim = "\x1b[2m" if color else ""
        self.link = "\x1b[36m" if color else ""
        self.reset = "\x1b[0m" if color else ""


def _print_results(results: SearchResults, style: _Style) -> None:
    for hit in results:
        print(_format_hit(hit, style))
        print()
    took = f"{results.took_ms:.1f} ms"
    print(f"{style.dim}{len(results)} of {results.total} results ({took}){style.reset}")
    for note in results.notes:
        print(f"{style.dim}note: {_clean(note)}{style.reset}")


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
    return "\n".join(lines)


def _date(hit: Hit) -> str:
    published = hit.published
    if published is None:
        return ""
    if isinstance(published, dt.datetime):
        return published.isoformat(sep=" ", timespec="minutes")
    return published.isoformat()


# -- stats ---------------------------------------------------------------------


def _run_stats(args: argparse.Namespace) -> int:
    with NewsIndex.open(_index_path(args)) as index:
        stats = index.stats()
    if args.json:
        print(json.dumps(stats.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_stats(stats)
    return EXIT_OK


def _run_eval(args: argparse.Namespace) -> int:
    with NewsIndex.open(_index_path(args)) as index:
        judged = list(read_queries(args.queries, split=args.split))
        result = evaluate(index, judged)
    if args.json:
        print(
            json.dumps(result.to_dict(ranks=args.ranks), ensure_ascii=False, indent=2)
        )
        return EXIT_OK
    if args.ranks:
        for qid, rank in result.ranks:
            print(f"{qid}\t{'-' if rank is None else rank}")
    print(
        f"{result.queries} queries  MRR@10 {result.mrr10:.4f}  "
        f"Recall@10 {result.recall10:.4f}  Recall@100 {result.recall100:.4f}  "
        f"({result.seconds:.1f} s)"
    )
    return EXIT_OK


def _run_check(args: argparse.Namespace) -> int:
    path = _index_path(args)
    if not path.is_dir():
        raise IndexNotFoundError(f"no newsindex index at {path}")
    report = check_index(path)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    elif report.ok:
        print(
            f"ok: {report.articles} articles in {report.segments} segments "
            f"(generation {report.generation}) at {report.path}"
        )
    else:
        for problem in report.problems:
            print(f"problem: {_clean(problem)}")
        print(
            f"{len(report.problems)} problems in the index at {report.path}; "
            "rebuild it from the source files (see the README, 'Restoring service')"
        )
    return EXIT_OK if report.ok else EXIT_ERROR


def _run_swap(args: argparse.Namespace) -> int:
    link = _index_path(args)
    report = check_index(args.new)
    if not report.ok:
        raise CorruptIndexError(
            f"not swapping in {args.new}: {report.problems[0]}"
            + (
                f" (and {len(report.problems) - 1} more)"
                if len(report.problems) > 1
                else ""
            )
        )
    swap_index(link, args.new)
    print(f"{link} -> {args.new.resolve()} ({report.articles} articles)")
    return EXIT_OK


def _print_stats(stats: IndexStats) -> None:
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
