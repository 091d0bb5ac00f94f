"""The argument parser of the ``newsindex`` command, and what its help promises.

Its commands, options and help text; the exit statuses and the default index
location that the help documents (the numbers sit beside the text that
describes them, so the two change together). What each command does is in
:mod:`newsindex._cli_commands`; :func:`newsindex.cli.main` looks a command up
there by the name the parser stores in ``args.command``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final, TypeAlias

from newsindex import __version__

# Private on purpose: the library's default, shown in the help.
from newsindex._locations import is_xapian
from newsindex._options import DEFAULT_TYPOS
from newsindex.errors import ConfigurationError

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_USAGE: Final = 2
EXIT_SKIPPED: Final = 3
EXIT_INTERRUPTED: Final = 130

_EPILOG: Final = """\
exit status:
  0    success
  1    error (no index, bad date, unreadable path, locked index, analyzer
       mismatch, a bad record with --strict, ...)
  2    usage error (unknown command or option, bad option value)
  3    indexing finished, but some records or files were skipped
  130  interrupted

index location: --index DIR (or a Xapian location), else $NEWSINDEX_INDEX, else
$XDG_DATA_HOME/newsindex/index, else ~/.local/share/newsindex/index
"""

# The object ``add_subparsers`` returns; argparse names its class privately.
_Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


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


# -- option types ----------------------------------------------------------------


#: Input size from which ``index`` analyses in worker processes by default.
#: Below it (about 1,000 news articles) two workers on two cores, each
#: stemming every word anew, save nothing (500 articles) to 15% on an idle
#: machine and lose up to 7% on a busy one; from 2,000 articles on they won
#: in every run, 15-40% (``python -m bench.jobs``; figures in the README).
PARALLEL_FROM_BYTES: Final = 2_000_000


def _cpus() -> int:
    """The CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_jobs(input_bytes: int) -> int:
    """Analysis processes for ``index`` without ``--jobs``: 1 for an input of
    fewer than :data:`PARALLEL_FROM_BYTES` bytes, else one per CPU."""
    return 1 if input_bytes < PARALLEL_FROM_BYTES else _cpus()


def _encoding(text: str) -> str:
    try:
        # Private on purpose: the check ingest() makes, run while parsing, so
        # that a bad --encoding is a usage error (exit 2).
        from newsindex._inputs import check_encoding

        check_encoding(text)
    except ConfigurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _location(text: str) -> str | Path:
    """A directory, or a Xapian location as given (see ``_locations.py``)."""
    return text if is_xapian(text) else Path(text).expanduser()


def _add_timeout(sub: argparse.ArgumentParser, whom: str) -> None:
    sub.add_argument(
        "--timeout", type=_seconds, default=10.0, metavar="SECONDS",
        help=f"how long to wait for {whom} to finish (default: 10)",
    )  # fmt: skip


def _port(text: str) -> int:
    value = _positive(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be at most 65535, not {value}")
    return value


# -- the parser ------------------------------------------------------------------


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Return the argument parser of the ``newsindex`` command: given ``argv``
    that starts with a command, only that command's (a faster start)."""
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
    named = _COMMANDS.get(argv[0]) if argv else None
    for add in (named,) if named else _COMMANDS.values():
        add(commands, common)
    return parser


def _index_option() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--index", metavar="LOCATION", type=_location,
        help="the index directory, or xapian:PATH (one Xapian database), or "
        "xapian+tcp://HOST:PORT[,HOST:PORT...] (shards served by xapian-tcpsrv) "
        "(default: $NEWSINDEX_INDEX, else $XDG_DATA_HOME/newsindex/index, else "
        f"~/.local/share/newsindex/index; currently {default_index_path()})",
    )  # fmt: skip
    return common


def _subparser(
    commands: _Commands, name: str, summary: str, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    return commands.add_parser(
        name,
        help=summary,
        description=summary,
        epilog=_EPILOG,
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _add_json_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--json", action="store_true", help="print one JSON object instead of text"
    )


# -- the commands ----------------------------------------------------------------


def _add_index_command(commands: _Commands, common: argparse.ArgumentParser) -> None:
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
        metavar="N",
        help="processes that analyse articles (default: 1 for inputs under "
        f"{PARALLEL_FROM_BYTES / 1e6:g} MB, else the number of CPUs, here {_cpus()})",
    )
    sub.add_argument(
        "--encoding",
        type=_encoding,
        metavar="NAME",
        help="text encoding of the input files, such as cp1252 (default: UTF-8, "
        "or UTF-16 or UTF-32 when a byte order mark says so)",
    )
    _add_timeout(sub, "another writer")
    sub.add_argument(
        "--quiet",
        action="store_true",
        help="show no progress (default: on a terminal, a line updated in place; "
        "elsewhere, a line every 10 s or more)",
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


def _add_search_command(commands: _Commands, common: argparse.ArgumentParser) -> None:
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
    _add_json_option(sub)
    _add_filter_options(sub)
    sub.add_argument(
        "--sort",
        choices=("relevance", "newest"),
        default="relevance",
        help="order of results (default: relevance)",
    )
    sub.add_argument(
        "--facets",
        type=_facet_list,
        default=(),
        metavar="NAMES",
        help="count the matching articles by source, category and/or month "
        "(comma-separated, e.g. source,month)",
    )
    sub.add_argument(
        "--recent",
        type=_days,
        metavar="DAYS",
        help="favour newer articles: the score halves for every DAYS an "
        "article is older than the newest match",
    )
    sub.add_argument(
        "--typos",
        choices=("auto", "off"),
        default=DEFAULT_TYPOS,
        help="auto: a word that matches nothing (or almost nothing) also "
        f"matches close words, ranked below exact matches (default: {DEFAULT_TYPOS})",
    )
    sub.add_argument(
        "--collapse",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="show one result per group of near-copies (syndicated stories), "
        "listing the others; the count is of groups (default: on)",
    )


def _add_related_command(commands: _Commands, common: argparse.ArgumentParser) -> None:
    summary = "articles about the same story as article ID (not its near-copies)"
    sub = _subparser(commands, "related", summary, common)
    sub.add_argument("id", metavar="ID", help="the id of an indexed article")
    most = "most articles (default: 10)"
    sub.add_argument("--limit", type=_positive, default=10, metavar="N", help=most)
    for bound, when in (("--since", "on or after"), ("--until", "on or before")):
        help_text = f"only articles published {when} DATE (yyyy-mm-dd)"
        sub.add_argument(bound, metavar="DATE", help=help_text)
    _add_json_option(sub)


def _add_suggest_command(commands: _Commands, common: argparse.ArgumentParser) -> None:
    sub = _subparser(
        commands,
        "suggest",
        "complete the last word of PREFIX with the index's words, most used first",
        common,
    )
    sub.add_argument(
        "prefix",
        metavar="PREFIX",
        help="what was typed so far; the words before the last are kept",
    )
    sub.add_argument(
        "--limit",
        type=_positive,
        default=10,
        metavar="N",
        help="most completions (default: 10)",
    )
    _add_json_option(sub)


def _facet_list(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    for name in names:
        if name not in ("source", "category", "month"):
            raise argparse.ArgumentTypeError(
                f"facets are source, category and month, not {name!r}"
            )
    return names


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def _add_filter_options(sub: argparse.ArgumentParser) -> None:
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


def _add_stats_command(commands: _Commands, common: argparse.ArgumentParser) -> None:
    sub = _subparser(
        commands, "stats", "show articles, terms, size, dates and sources", common
    )
    _add_json_option(sub)


def _add_eval_command(commands: _Commands, common: argparse.ArgumentParser) -> None:
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
    _add_json_option(sub)


def _add_check_command(commands: _Commands, common: argparse.ArgumentParser) -> None:
    sub = _subparser(
        commands,
        "check",
        "verify an index: open every segment, read every article and posting "
        "list; exit status 1 if anything is damaged",
        common,
    )
    _add_json_option(sub)


def _add_swap_command(commands: _Commands, common: argparse.ArgumentParser) -> None:
    sub = _subparser(
        commands, "swap", "check the index in NEW, then point the symbolic link "
        "--index at it atomically (searchers follow on their next search)", common,
    )  # fmt: skip
    sub.add_argument("new", type=Path, metavar="NEW", help="the replacement index")


def _add_copy_command(commands: _Commands, common: argparse.ArgumentParser) -> None:
    sub = _subparser(
        commands, "copy", "copy every article of the index SOURCE into the index "
        "DEST (made if missing, with SOURCE's analyzer), e.g. onto Xapian shards",
        common,
    )  # fmt: skip
    sub.add_argument("source", type=_location, metavar="SOURCE", help="index to read")
    sub.add_argument("dest", type=_location, metavar="DEST", help="index to write")
    _add_timeout(sub, "another writer of DEST")


def _add_serve_command(commands: _Commands, common: argparse.ArgumentParser) -> None:
    sub = _subparser(
        commands,
        "serve",
        "serve a search page and a JSON API over HTTP (needs the web extra: "
        "pip install 'newsindex[web]')",
        common,
    )
    sub.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only)",
    )
    sub.add_argument(
        "--port", type=_port, default=8000, help="port to listen on (default: 8000)"
    )
    sub.add_argument(
        "--workers",
        type=_positive,
        default=1,
        metavar="N",
        help="server processes, each opening the index itself (default: 1)",
    )
    sub.add_argument(
        "--write-token",
        metavar="T",
        help="allow POST and DELETE under /api with 'Authorization: Bearer T' "
        "(default: $NEWSINDEX_WRITE_TOKEN, which other users cannot read in the "
        "process list; without either the server is read-only)",
    )


#: Each command's name and what adds its parser, in the order --help lists them.
_COMMANDS: Final[Mapping[str, Callable[[_Commands, argparse.ArgumentParser], None]]] = {
    "index": _add_index_command, "search": _add_search_command,
    "related": _add_related_command, "suggest": _add_suggest_command,
    "stats": _add_stats_command, "eval": _add_eval_command,
    "check": _add_check_command, "swap": _add_swap_command,
    "copy": _add_copy_command, "serve": _add_serve_command,
}  # fmt: skip
