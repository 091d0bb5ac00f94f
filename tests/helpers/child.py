"""Child processes for the reliability tests: ``python child.py ROLE ARGS...``.

Roles:

``fork-server``
    Imports newsindex once, then serves commands on standard input, so that
    each kill trial starts a writer in milliseconds instead of the half
    second an interpreter takes to import numpy and Whoosh.
    ``run INDEX OUT`` forks a writer that commits the batches of
    :func:`corpus.crash_batch` into INDEX, logging to the file OUT
    (``ready``, ``committing K``, ``committed K N`` with N the articles
    expected after commit K, ``done``); the server answers with its pid.
    ``fault INDEX LIMIT FLUSH OUT`` forks a writer whose files may not grow
    beyond LIMIT bytes (``RLIMIT_FSIZE``; SIGXFSZ ignored, so a write fails
    with an error, as on a full disk) and which flushes a segment every FLUSH
    tokens. It writes :func:`corpus.fault_batch` as a caller would: at the
    first error the limit is lifted (space was freed), and the article is
    tried once more, then the batch goes on and commits. What happened goes
    to OUT as JSON (``committed``, ``errors``).
    ``wait PID`` reaps it and answers with its wait status.
``commit-loop INDEX COMMITS INTERVAL``
    Waits for a line on standard input, then commits COMMITS times (see
    :func:`corpus.hot_article` and :func:`corpus.fresh_articles`), printing
    ``committed K T`` after each, with T the ``time.monotonic()`` just after
    the commit returned.
``read INDEX COMMITS STOP``
    Searches in a loop until the file STOP exists, then prints one JSON
    object: errors, inconsistent results, and ``(start time, articles seen)``
    observations.
``hold-lock INDEX``
    Takes the writer lock, prints ``locked``, waits for a line on standard
    input, adds the article ``dari-anak``, commits and prints ``committed``.
``churn INDEX ROUNDS``
    Commits ROUNDS small batches (new articles, replacements, a deletion),
    with ``merge()`` and ``optimize()`` between some of them, printing
    ``committed R N`` with N the articles after round R.
``inspect INDEX STOP``
    Calls every reading method (``search``, ``get``, ``count``, ``stats``,
    ``check``, iteration) in a loop until the file STOP exists, then prints
    one JSON object: errors, and the article counts each method saw.
``upsert INDEX PROC ROUNDS IDS``
    Rewrites the articles ``u0``..``u{IDS-1}`` ROUNDS times, one commit per
    round (each id twice per batch), waiting for the lock as long as needed,
    and prints ``committed PROC ROUND`` after each.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import time
from pathlib import Path

import corpus

from newsindex import Article, NewsIndex, NewsIndexError


def main(argv: list[str]) -> None:
    role, *args = argv
    roles = {
        "fork-server": fork_server,
        "commit-loop": commit_loop,
        "read": read,
        "hold-lock": hold_lock,
        "upsert": upsert,
        "churn": churn,
        "inspect": inspect,
    }
    roles[role](*args)


# -- the kill test -------------------------------------------------------------


def fork_server() -> None:
    expected = [len(corpus.crash_state(k)) for k in range(corpus.CRASH_BATCHES)]
    for line in sys.stdin:
        command, *args = line.split()
        if command == "run":
            pid = os.fork()
            if pid == 0:
                _crash_writer(args[0], args[1], expected)
            print(pid, flush=True)
        elif command == "fault":
            pid = os.fork()
            if pid == 0:
                _faulty_writer(args[0], int(args[1]), int(args[2]), args[3])
            print(pid, flush=True)
        elif command == "wait":
            _, status = os.waitpid(int(args[0]), 0)
            print(status, flush=True)


def _crash_writer(index_path: str, out: str, expected: list[int]) -> None:
    """Commit every batch, logging progress; never returns."""
    code = 1
    try:
        # Unbuffered appends: every line written survives a SIGKILL.
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

        def say(text: str) -> None:
            os.write(fd, f"{text}\n".encode())

        try:
            index = NewsIndex.open(index_path)
            say("ready")
            for k in range(corpus.CRASH_BATCHES):
                writer = index.writer(timeout=5.0)
                corpus.apply_crash_batch(writer, k)
                say(f"committing {k}")
                writer.commit()
                say(f"committed {k} {expected[k]}")
            say("done")
            code = 0
        except BaseException as exc:
            say(f"error {exc!r}")
    finally:
        os._exit(code)


def _faulty_writer(index_path: str, limit: int, flush: int, out: str) -> None:
    """Write the fault batch under a file size limit; never returns."""
    report: dict[str, object] = {"committed": False, "errors": []}
    errors: list[str] = []
    code = 1
    try:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        index = NewsIndex.open(index_path)
        writer = index.writer(timeout=5.0)
        writer._flush_words = flush
        _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
        added, deleted = corpus.fault_batch()
        for article in added:
            for _attempt in range(2):  # as a caller would: once more, then skip
                try:
                    writer.add(article)
                    break
                except (OSError, NewsIndexError) as exc:
                    errors.append(f"add: {exc!r}")
                    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
        for article_id in deleted:
            try:
                writer.delete(article_id)
            except (OSError, NewsIndexError) as exc:
                errors.append(f"delete: {exc!r}")
        try:
            writer.commit()
            report["committed"] = True
        except (OSError, NewsIndexError) as exc:
            errors.append(f"commit: {exc!r}")
        code = 0
    except BaseException as exc:
        errors.append(f"unexpected: {exc!r}")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
        report["errors"] = errors
        Path(out).write_text(json.dumps(report))
        os._exit(code)


# -- the concurrency tests -----------------------------------------------------


def commit_loop(index_path: str, commits: str, interval: str) -> None:
    index = NewsIndex.open(index_path)
    sys.stdin.readline()
    for commit in range(1, int(commits) + 1):
        with index.writer(timeout=10.0) as writer:
            for j in range(corpus.HOT):
                writer.add(corpus.hot_article(j, commit))
            writer.add_many(corpus.fresh_articles(commit))
        print(f"committed {commit} {time.monotonic()!r}", flush=True)
        time.sleep(float(interval))
    index.close()


def read(index_path: str, commits: str, stop: str) -> None:
    index = NewsIndex.open(index_path)
    errors: list[str] = []
    problems: list[str] = []
    seen: list[tuple[float, int]] = []
    deadline = time.monotonic() + 60
    stop_file = Path(stop)
    searches = 0
    while not stop_file.exists() and time.monotonic() < deadline:
        started = time.monotonic()
        try:
            hot = index.search("panas", limit=50, snippets=searches % 2 == 0)
            everything = index.search("berita", limit=1000, snippets=False)
            problems += corpus.inconsistencies(hot, everything, int(commits))
            problems += corpus.lookup_problems(index, int(commits), searches)
            seen.append((started, everything.total))
        except Exception as exc:  # reported to the test, which fails
            errors.append(repr(exc))
        if searches == 0:
            print("ready", flush=True)
        searches += 1
    print(json.dumps({"errors": errors, "problems": problems, "seen": seen}))


def hold_lock(index_path: str) -> None:
    index = NewsIndex.open(index_path)
    writer = index.writer(timeout=5.0)
    print("locked", flush=True)
    sys.stdin.readline()
    writer.add(Article(id="dari-anak", title="Dari anak", body="berita anak"))
    writer.commit()
    print("committed", flush=True)
    index.close()


def churn(index_path: str, rounds: str) -> None:
    index = NewsIndex.open(index_path)
    for r in range(int(rounds)):
        with index.writer(timeout=60.0) as writer:
            for j in range(12):
                writer.add(
                    Article(id=f"c{r}-{j}", title=f"Judul {r}", body=f"berita {r}")
                )
            writer.add(Article(id=f"c{r // 2}-0", title="Diganti", body="berita ganti"))
            if r:
                writer.delete(f"c{r - 1}-1")
        if r % 5 == 4:
            index.merge()
        if r % 9 == 8:
            index.optimize()
        print(f"committed {r} {index.count()}", flush=True)
    index.close()


def inspect(index_path: str, stop: str) -> None:
    index = NewsIndex.open(index_path)
    errors: list[str] = []
    seen: dict[str, list[int]] = {"search": [], "count": [], "stats": [], "iter": []}
    checks = 0
    stop_file = Path(stop)
    deadline = time.monotonic() + 60
    while not stop_file.exists() and time.monotonic() < deadline:
        try:
            seen["search"].append(index.search("berita", limit=1).total)
            seen["count"].append(index.count())
            seen["stats"].append(index.stats().articles)
            seen["iter"].append(sum(1 for _ in index))
            assert index.get("c0-2") is not None, "an article vanished"
            if checks < 5:
                report = index.check()
                assert report.ok, report.problems
                checks += 1
        except Exception as exc:  # reported to the test, which fails
            errors.append(repr(exc))
        if len(seen["count"]) == 1:
            print("ready", flush=True)
    print(json.dumps({"errors": errors, "seen": seen, "checks": checks}))


def upsert(index_path: str, proc: str, rounds: str, ids: str) -> None:
    index = NewsIndex.open(index_path)
    for r in range(int(rounds)):
        with index.writer(timeout=60.0) as writer:
            for i in range(int(ids)):
                writer.add(Article(id=f"u{i}", body="berita draf"))
            for i in range(int(ids)):
                tag = f"tanda{proc}x{r}"
                writer.add(Article(id=f"u{i}", title=tag, body=f"berita {tag}"))
        print(f"committed {proc} {r}", flush=True)
        time.sleep(0.01)  # let the other process take the lock
    index.close()


if __name__ == "__main__":
    main(sys.argv[1:])
