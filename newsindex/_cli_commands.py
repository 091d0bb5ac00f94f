"""What each ``newsindex`` command does, through the public API.

A command takes the parsed arguments, calls :mod:`newsindex`, hands what it
gets to :mod:`newsindex._cli_output` to print, and returns an exit status.
Errors are left to propagate: :func:`newsindex.cli.main` turns them into one
line on standard error and an exit status.
"""

from __future__ import annotations

import argparse
import errno
import itertools
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

import newsindex  # each name is imported on first use: a command loads what it needs
from newsindex._cli_output import (
    print_check,
    print_copy,
    print_evaluation,
    print_json,
    print_report,
    print_results,
    print_serving,
    print_stats,
    print_suggestions,
    print_swap,
    print_waiting,
    progress_on,
)
from newsindex._cli_parser import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_SKIPPED,
    default_index_path,
    default_jobs,
)
from newsindex.errors import (
    ConfigurationError,
    CorruptIndexError,
    IndexNotFoundError,
)


def _index_path(args: argparse.Namespace) -> Path | str:
    """The index location: a directory, or a Xapian location (a string)."""
    given: Path | str | None = args.index
    return given if given is not None else default_index_path()


def _run_index(args: argparse.Namespace) -> int:
    for path in args.paths:
        if not os.path.exists(path):
            raise FileNotFoundError(errno.ENOENT, "no such file or directory", path)
        if not os.access(path, os.R_OK):
            raise PermissionError(errno.EACCES, "permission denied", path)
    analyzer = (
        None if args.stemmer is None else newsindex.Analyzer(stemmer=args.stemmer)
    )
    # Private on purpose: the size ingest() will read, which the command needs
    # for its --jobs default and progress, is no API of the library's.
    from newsindex._inputs import input_size

    size = input_size(args.paths)
    jobs = default_jobs(size) if args.jobs is None else args.jobs
    progress = None if args.quiet else progress_on(sys.stderr, size)
    with newsindex.NewsIndex.open_or_create(
        _index_path(args), analyzer=analyzer
    ) as index:
        try:
            report = newsindex.ingest(
                index,
                args.paths,
                strict=args.strict,
                jobs=jobs,
                encoding=args.encoding,
                progress=progress,
                progress_bytes=None if progress is None else progress.read,
                timeout=args.timeout,
                waiting=lambda locked: print_waiting(locked.holder, args.timeout),
            )
        finally:
            if progress is not None:
                progress.finish()
        total = index.count()
    print_report(report, index.location, total)
    return EXIT_SKIPPED if report.skipped else EXIT_OK


def _run_search(args: argparse.Namespace) -> int:
    with newsindex.NewsIndex.open(_index_path(args)) as index:
        results = index.search(
            args.query,
            limit=args.limit,
            page=args.page,
            since=args.since,
            until=args.until,
            sources=args.source,
            categories=args.category,
            sort=args.sort,
            facets=args.facets,
            recency=args.recent,
            typos=args.typos,
            collapse=args.collapse,
        )
    if args.json:
        print_json(results.to_dict())
    else:
        print_results(results)
    return EXIT_OK


def _run_related(args: argparse.Namespace) -> int:
    with newsindex.NewsIndex.open(_index_path(args)) as index:
        results = index.related(
            args.id, limit=args.limit, since=args.since, until=args.until
        )
    if args.json:
        print_json(results.to_dict())
    else:
        print_results(results)
    return EXIT_OK


def _run_suggest(args: argparse.Namespace) -> int:
    with newsindex.NewsIndex.open(_index_path(args)) as index:
        completions = index.suggest(args.prefix, limit=args.limit)
    if args.json:
        print_json({"prefix": args.prefix, "suggestions": list(completions)})
    else:
        print_suggestions(completions)
    return EXIT_OK


def _run_stats(args: argparse.Namespace) -> int:
    with newsindex.NewsIndex.open(_index_path(args)) as index:
        stats = index.stats()
    if args.json:
        print_json(stats.to_dict())
    else:
        print_stats(stats)
    return EXIT_OK


def _run_eval(args: argparse.Namespace) -> int:
    with newsindex.NewsIndex.open(_index_path(args)) as index:
        judged = list(newsindex.read_queries(args.queries, split=args.split))
        result = newsindex.evaluate(index, judged)
    if args.json:
        print_json(result.to_dict(ranks=args.ranks))
    else:
        print_evaluation(result, ranks=args.ranks)
    return EXIT_OK


def _run_check(args: argparse.Namespace) -> int:
    path = _index_path(args)
    if isinstance(path, str):  # a Xapian location
        with newsindex.NewsIndex.open(path) as index:
            report = index.check()
    elif not path.is_dir():
        raise IndexNotFoundError(f"no newsindex index at {path}")
    else:
        report = newsindex.check_index(path)
    if args.json:
        print_json(report.to_dict())
    else:
        print_check(report)
    return EXIT_OK if report.ok else EXIT_ERROR


def _run_swap(args: argparse.Namespace) -> int:
    link = _index_path(args)
    if isinstance(link, str) or isinstance(args.new, str):
        raise ConfigurationError(
            "swap points a symbolic link at an index directory; for Xapian, "
            "see the README, 'Beyond one machine'"
        )
    report = newsindex.check_index(args.new)
    if not report.ok:
        more = len(report.problems) - 1
        raise CorruptIndexError(
            f"not swapping in {args.new}: {report.problems[0]}"
            + (f" (and {more} more)" if more > 0 else "")
        )
    newsindex.swap_index(link, args.new)
    print_swap(link, args.new, report.articles)
    return EXIT_OK


#: Articles per commit of ``copy``: a Xapian shard holds a batch in memory
#: until it commits, and an interrupted copy keeps what it committed (run it
#: again: articles are replaced, not duplicated).
COPY_BATCH: Final = 10_000


def _run_copy(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    copied = added = 0
    with newsindex.NewsIndex.open(args.source) as source:
        dest = newsindex.NewsIndex.open_or_create(args.dest, analyzer=source.analyzer)
        with dest:
            articles = iter(source)
            while batch := list(itertools.islice(articles, COPY_BATCH)):
                added += dest.add_many(batch, timeout=args.timeout).added
                copied += len(batch)
            total = dest.count()
    seconds = time.perf_counter() - started
    print_copy(args.source, args.dest, copied, added, total, seconds)
    return EXIT_OK


def _run_serve(args: argparse.Namespace) -> int:
    try:
        # Only serving needs the web extra (Starlette, Jinja2, uvicorn).
        from newsindex._web_serve import serve
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] == "newsindex":
            raise
        raise ConfigurationError(
            f"'newsindex serve' needs the web extra ({exc.name} is missing): "
            "pip install 'newsindex[web]'"
        ) from exc
    token = args.write_token or os.environ.get("NEWSINDEX_WRITE_TOKEN") or None
    path = _index_path(args)
    # Fail here, in one line, rather than in each server process.
    with newsindex.NewsIndex.open(path) as index:
        articles = index.count()
    print_serving(path, args.host, args.port, articles, writable=token is not None)
    serve(path, host=args.host, port=args.port, workers=args.workers, write_token=token)
    return EXIT_OK


#: Each command's name, as the parser stores it in ``args.command``, and its
#: function: it takes the parsed arguments and returns an exit status.
COMMANDS: Final[Mapping[str, Callable[[argparse.Namespace], int]]] = {
    "index": _run_index,
    "search": _run_search,
    "related": _run_related,
    "suggest": _run_suggest,
    "stats": _run_stats,
    "eval": _run_eval,
    "check": _run_check,
    "swap": _run_swap,
    "copy": _run_copy,
    "serve": _run_serve,
}
