"""The ``newsindex`` command: index article files, search, describe, evaluate.

::

    newsindex index  [--index DIR] [--jobs N] [--encoding NAME] [--timeout SECONDS]
                     [--quiet] [--strict] [--stemmer NAME] PATH...
    newsindex search [--index DIR] QUERY [--limit N] [--page N] [--json]
                     [--since DATE] [--until DATE] [--source S]... [--category C]...
                     [--sort relevance|newest]
    newsindex stats  [--index DIR] [--json]
    newsindex eval   [--index DIR] --queries FILE [--split NAME] [--ranks] [--json]
    newsindex check  [--index DIR] [--json]
    newsindex swap   [--index LINK] NEW
    newsindex serve  [--index DIR] [--host 127.0.0.1] [--port 8000] [--workers N]
                     [--write-token T]

``python -m newsindex`` runs the same command.
Without ``--index``, the index lives in :func:`default_index_path`.

The command is a thin layer over the public API: it reads flags and the
environment, calls :func:`newsindex.ingest`, :meth:`NewsIndex.search`
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

An ``index`` that fails or is interrupted before its commit, having created
the index directory, removes it again: a first run that commits nothing
leaves nothing behind. A directory or index that was there before is never
touched.

This module is the entry point, :func:`main`, and turns errors into exit
statuses. The rest of the command is in private modules:

- ``newsindex._cli_parser``: the argument parser (commands, options, help),
  the exit status numbers and the default index location;
- ``newsindex._cli_commands``: what each command does with the public API;
- ``newsindex._cli_output``: what the commands print (results, stats,
  reports, progress, colour).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import newsindex  # names imported on first use: a command loads what it needs
from newsindex._cli_commands import COMMANDS
from newsindex._cli_parser import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SKIPPED,
    EXIT_USAGE,
    build_parser,
    default_index_path,
)
from newsindex.errors import (
    AnalyzerMismatchError,
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


def main(argv: list[str] | None = None) -> int:
    """Run the ``newsindex`` command.

    Args:
        argv: the arguments after the program name (default: ``sys.argv[1:]``).

    Returns:
        the exit status (see the module docstring).
    """
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return _run(args)
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


def _run(args: argparse.Namespace) -> int:
    """Run the command; if ``index`` fails after creating the index directory
    (and any above it), remove them again, unless a commit reached the index.
    """
    created = _missing_index_folders(args)
    try:
        return COMMANDS[args.command](args)
    except BaseException:
        if created:
            _remove_unused_index(created)
        raise


def _missing_index_folders(args: argparse.Namespace) -> list[Path]:
    """The folders ``index`` would create, the index's own first; [] for other
    commands, and for an index path that exists (a directory, or anything)."""
    if args.command != "index":
        return []
    path = args.index if args.index is not None else default_index_path()
    if isinstance(path, str):  # a Xapian location: no folder of ours
        return []
    missing = []
    while not os.path.lexists(path) and path != path.parent:
        missing.append(path)
        path = path.parent
    return missing


def _remove_unused_index(created: list[Path]) -> None:
    """Remove the folders a failed ``index`` created, if the index in the first
    never had a commit and no other writer is at work on it."""
    path = created[0]
    try:
        with newsindex.NewsIndex.open(path) as index:
            writer = index.writer(timeout=0)  # holding the lock, nobody commits
            try:
                if newsindex.check_index(path).generation != 0:
                    return
                shutil.rmtree(path)
            finally:
                writer.cancel()
    except (NewsIndexError, OSError):
        return  # not an index (a create cut short), in use, or not ours to remove
    for folder in created[1:]:
        try:
            os.rmdir(folder)  # only if empty
        except OSError:
            return


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


# ``python -m newsindex.cli`` still works (the tests' child processes use it);
# ``python -m newsindex`` is the short way, in newsindex/__main__.py.
if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
