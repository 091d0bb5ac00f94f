"""Interrupted writes: SIGKILL a real writer at random moments, and write
errors (a full disk) at every point of a batch.

The writer (``helpers/child.py``, forked by a server process that has
already imported newsindex, so a trial costs milliseconds rather than an
interpreter start) commits the batches of ``helpers/corpus.py`` and logs
each commit to a file. After each kill the index must open, search, and
hold exactly the articles of the last completed commit (or of the next one:
the kill may land after the table of contents was renamed but before the
log line was written); the lock must be free at once; re-running the same
batches must leave no duplicates; and the next commit must leave no file of
the killed writer behind.

The kill points are random but seeded: the seed is printed, and
``NEWSINDEX_CRASH_SEED=<seed>`` replays a run.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import corpus
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from newsindex import Analyzer, Article, NewsIndex
from newsindex._directory import INDEX_NAME, MANIFEST_NAME, MERGE_LOCK_NAME
from newsindex._segment_files import segment_exts
from newsindex.cli import main
from newsindex.schema import build_schema

HELPERS = Path(__file__).resolve().parent / "helpers"
CHILD = HELPERS / "child.py"
SEED = int(os.environ.get("NEWSINDEX_CRASH_SEED", "20261128"))
TRIALS = 10
#: The files of one segment (Whoosh's term table, newsindex's postings,
#: stored articles and per-document numbers, and the segment features').
SEGMENT_FILES = segment_exts()
#: Commit whose batch brings the eighth small segment, so it merges them
#: all: the longest commit of the run.
MERGING_COMMIT = 7


def child_environment() -> dict[str, str]:
    # One BLAS thread: the fork server must not fork a threaded process.
    return {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


class ForkServer:
    """The ``fork-server`` role of helpers/child.py, driven line by line."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(CHILD), "fork-server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=child_environment(),
        )

    def _ask(self, line: str) -> str:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, "the fork server died"
        return answer.strip()

    def start_writer(self, index: Path, log: Path) -> int:
        return int(self._ask(f"run {index} {log}"))

    def start_faulty_writer(
        self, index: Path, limit: int, flush: int, out: Path
    ) -> int:
        return int(self._ask(f"fault {index} {limit} {flush} {out}"))

    def wait(self, pid: int) -> int:
        return int(self._ask(f"wait {pid}"))

    def close(self) -> None:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)
        self.process.stdout.close()


@pytest.fixture(scope="module")
def fork_server() -> Iterator[ForkServer]:
    server = ForkServer()
    yield server
    server.close()


def log_lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def wait_for_line(log: Path, wanted: str, timeout: float = 20.0) -> None:
    """Wait until the writer logs ``wanted`` (or finishes, or fails)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = log_lines(log)
        if wanted in lines or any(
            line == "done" or line.startswith("error") for line in lines
        ):
            return
        time.sleep(0.001)
    raise AssertionError(f"the writer never logged {wanted!r}: {log_lines(log)}")


def all_articles(index: NewsIndex) -> list[Article]:
    """Every article a broad search finds (each article's body has ``berita``)."""
    found: list[Article] = []
    page = 1
    while True:
        results = index.search("berita", limit=1000, page=page, snippets=False)
        found += [hit.article for hit in results]
        if len(found) >= results.total or not results.hits:
            assert len(found) == results.total
            return found
        page += 1


def assert_articles(
    index: NewsIndex, state: dict[str, Article], lookups: tuple[str, ...] = ()
) -> None:
    """The index holds these articles, each once, and nothing else; ``get``
    finds ``lookups`` and a sample of the rest (all of them would double a
    test's time)."""
    assert index.count() == len(state)
    found = all_articles(index)
    ids = [article.id for article in found]
    assert len(ids) == len(set(ids)), "an id is live twice"
    assert set(ids) == set(state)
    assert all(article == state[article.id] for article in found)
    sample = random.Random(len(state)).sample(sorted(state), min(len(state), 40))
    for article_id in {*sample, *lookups}:
        assert index.get(article_id) == state.get(article_id)


def assert_holds_exactly(index: NewsIndex, state: dict[str, Article]) -> None:
    """The index holds the articles of a crash-test state, and only those."""
    # The hot articles are rewritten by every batch.
    assert_articles(index, state, tuple(f"hot-{j}" for j in range(corpus.CRASH_HOT)))
    for article_id in ("n0-0", f"n{corpus.CRASH_BATCHES - 1}-1"):
        if article_id not in state:  # deleted, or not yet written
            assert index.get(article_id) is None
    hot = corpus.CRASH_HOT if state else 0  # none before the first commit
    assert index.search("panas", limit=50).total == hot
    for k in range(corpus.CRASH_BATCHES):
        # The draft of hot-0 is replaced within its own batch.
        assert index.search(f"draf{k}").total == 0


def unexpected_files(path: Path) -> tuple[list[str], list[str]]:
    """(files that no committed segment owns, files the commit lacks)."""
    toc = TOC.read(FileStorage(str(path)), INDEX_NAME)
    expected = {"WRITELOCK", MANIFEST_NAME, f"_{INDEX_NAME}_{toc.generation}.toc"}
    expected |= {
        segment.segment_id() + ext for segment in toc.segments for ext in SEGMENT_FILES
    }
    # The merge lock exists once the index was merged in the background.
    present = set(os.listdir(path)) - {MERGE_LOCK_NAME}
    return sorted(present - expected), sorted(expected - present)


def kill_plan(rng: random.Random, trial: int) -> tuple[str, float]:
    """(log line to wait for, seconds to wait after it) for one trial.

    A third of the kills land anywhere in the run, a third shortly after a
    random commit began, and a third inside the long, merging commit.
    """
    kind = trial % 3
    if kind == 0:
        return "ready", rng.uniform(0.0, 1.0)
    if kind == 1:
        return f"committing {rng.randrange(corpus.CRASH_BATCHES)}", rng.uniform(
            0.0, 0.03
        )
    return f"committing {MERGING_COMMIT}", rng.uniform(0.0, 0.3)


def verify_after_kill(path: Path, lines: list[str]) -> int:
    """Check the killed writer's index; re-run its batches; return the commit seen."""
    assert not [line for line in lines if line.startswith("error")], lines
    committed = [int(line.split()[1]) for line in lines if line.startswith("committed")]
    last = committed[-1] if committed else -1
    index = NewsIndex.open(path)
    try:
        count = index.count()
        candidates = [k for k in (last, last + 1) if k < corpus.CRASH_BATCHES]
        matching = [k for k in candidates if len(corpus.crash_state(k)) == count]
        assert matching, (
            f"{count} articles: neither commit {last} (the last logged) "
            "nor the next one"
        )
        seen = matching[0]
        assert_holds_exactly(index, corpus.crash_state(seen))
        report = index.check()
        assert report.ok, report.problems

        # The lock died with the writer: a new one gets it at once.
        started = time.monotonic()
        writer = index.writer(timeout=2.0)
        assert time.monotonic() - started < 0.5
        # Re-running the interrupted job re-applies every batch up to the
        # one that was being written.
        redo = min(last + 1, corpus.CRASH_BATCHES - 1)
        for k in range(redo + 1):
            corpus.apply_crash_batch(writer, k)
        writer.commit()
    finally:
        index.close()
    with NewsIndex.open(path) as reopened:
        ids = [article.id for article in all_articles(reopened)]
        assert len(ids) == len(set(ids)) == reopened.count()
        assert set(ids) == set(corpus.crash_state(redo))
    assert unexpected_files(path) == ([], [])
    return seen


def test_sigkill_at_random_moments_loses_nothing_committed(
    tmp_path: Path, fork_server: ForkServer
) -> None:
    print(f"kill test seed {SEED} (replay with NEWSINDEX_CRASH_SEED={SEED})")
    rng = random.Random(SEED)
    analyzer = Analyzer(stemmer="none")
    outcomes = []
    for trial in range(TRIALS):
        path = tmp_path / f"index-{trial}"
        log = tmp_path / f"writer-{trial}.log"
        NewsIndex.create(path, analyzer=analyzer).close()
        after, delay = kill_plan(rng, trial)
        pid = fork_server.start_writer(path, log)
        try:
            wait_for_line(log, after)
            time.sleep(delay)
        finally:
            os.kill(pid, signal.SIGKILL)
            status = fork_server.wait(pid)
        lines = log_lines(log)
        plan = f"trial {trial}: {delay:.3f} s after {after!r}"
        print(f"{plan}: {lines[-1] if lines else 'no output'}")
        if not os.WIFSIGNALED(status):  # it finished before the kill
            assert lines[-1] == "done", lines
        seen = verify_after_kill(path, lines)
        outcomes.append(seen)
    print(f"commits found after each kill: {outcomes}")
    # The plan must actually interrupt writers mid-run, not only at the ends.
    assert len(set(outcomes)) >= 3, outcomes


def test_leftovers_of_a_killed_writer_are_removed(tmp_path: Path) -> None:
    """What a writer killed before its commit point leaves is cleared later.

    Planted by hand, so that every kind of leftover is there every time: a
    half-written table of contents (Whoosh writes it under a temporary name,
    then renames it) and the files of a segment no commit names.
    """
    path = tmp_path / "index"
    with NewsIndex.create(path, analyzer=Analyzer(stemmer="none")) as index:
        with index.writer() as writer:
            corpus.apply_crash_batch(writer, 0)
        generation = TOC.read(FileStorage(str(path)), INDEX_NAME).generation
        toc = path / f"_{INDEX_NAME}_{generation}.toc"
        shutil.copy(toc, path / f"{toc.name}.1764294000.123")
        half = path / f"_{INDEX_NAME}_{generation + 1}.toc.1764294001.5"
        half.write_bytes(toc.read_bytes()[:40])
        for ext in SEGMENT_FILES:
            (path / f"{INDEX_NAME}_0123456789abcdef{ext}").write_bytes(b"\0" * 64)
        # Readers are not confused by them.
        assert index.count() == len(corpus.crash_state(0))
        assert index.check().ok
        index.writer().cancel()  # even a cancelled writer clears them
    assert unexpected_files(path) == ([], [])


def test_index_command_recovers_from_a_kill_during_creation(tmp_path: Path) -> None:
    # NewsIndex.create writes Whoosh's table of contents, then the manifest;
    # this is the directory a kill between the two leaves.
    path = tmp_path / "index"
    path.mkdir()
    TOC.create(FileStorage(str(path)), build_schema(), INDEX_NAME)
    source = tmp_path / "berita.jsonl"
    source.write_text(json.dumps({"id": "a", "body": "berita"}) + "\n")
    status = main(["index", "--index", str(path), "--stemmer", "none", str(source)])
    assert status == 0
    with NewsIndex.open(path) as index:
        assert index.count() == 1


# -- the command, killed and run again ---------------------------------------------


def children(pid: int) -> list[int]:
    """The child processes of ``pid``, from /proc."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def alive(pids: list[int]) -> list[int]:
    """Those of ``pids`` still running (not gone, not zombies), from /proc."""
    running = []
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[0] != "Z":
            running.append(pid)
    return running


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_killed_index_command_reruns_without_duplicates(tmp_path: Path) -> None:
    """SIGKILL ``newsindex index --jobs 2`` at a random moment, then re-run it.

    The killed run updates articles an earlier run indexed, and repeats ids
    itself (later copies win). It commits entirely or not at all; its worker
    processes exit on their own; re-running it duplicates nothing.
    """
    rng = random.Random(SEED)

    def records(name: str, ids: list[int]) -> Path:
        lines = [
            json.dumps({"id": f"bulk-{i}", "title": f"Judul {name} {n}",
                        "body": f"berita {name}{n} "
                        + " ".join(rng.choices(corpus.WORDS, k=25))})
            for n, i in enumerate(ids)
        ]  # fmt: skip
        path = tmp_path / f"{name}.jsonl"
        path.write_text("\n".join(lines) + "\n")
        return path

    first = records("satu", list(range(400)))
    second = records("dua", [i % 500 for i in range(600)])
    path = tmp_path / "index"
    options = ["index", "--index", str(path), "--stemmer", "none"]
    assert main([*options, "--jobs", "1", str(first)]) == 0
    command = [sys.executable, "-m", "newsindex.cli", *options, "--jobs", "2"]
    command += [str(first), str(second)]
    killed = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=child_environment(),
    )
    # Kill at a random moment once the workers run: while articles are
    # read, analysed, written as segments, or committed.
    deadline = time.monotonic() + 20
    while len(children(killed.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    workers = children(killed.pid)
    delay = rng.uniform(0.0, 0.8)
    print(f"seed {SEED}: killing the command {delay:.2f} s after its workers start")
    time.sleep(delay)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    deadline = time.monotonic() + 10
    while alive(workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    orphans = alive(workers)
    for orphan in orphans:
        os.kill(orphan, signal.SIGKILL)
    assert len(workers) == 2
    assert not orphans, "worker processes outlived the killed command"

    latest: dict[str, str] = {}
    for source in (first, second):
        for line in source.read_text().splitlines():
            record = json.loads(line)
            latest[record["id"]] = record["body"]
    with NewsIndex.open(path) as index:
        assert index.count() in (400, len(latest))  # before or after the run
        assert index.check().ok
    # The re-run, in this process (the command is a thin layer over main()).
    assert main([*options, "--jobs", "1", str(first), str(second)]) == 0
    with NewsIndex.open(path) as index:
        found = all_articles(index)
        ids = [article.id for article in found]
        assert index.count() == len(ids) == len(set(ids)) == len(latest)
        assert all(article.body == latest[article.id] for article in found)
        assert index.check().ok
    assert unexpected_files(path) == ([], [])


#: File size limits of the faulty writer: from its first stored article to
#: none, so the error hits storing an article, flushing a segment, merging,
#: and writing the table of contents.
FAULT_LIMITS = (2_000, 9_000, 20_000, 40_000, 70_000, 120_000, 1 << 40)
#: Tokens between flushes: several segments during the batch, or one at commit.
FAULT_FLUSHES = (1_500, 10**9)


def test_write_errors_inside_a_batch_leave_it_whole_or_absent(
    tmp_path: Path, fork_server: ForkServer
) -> None:
    """A caller that catches write errors and goes on never commits half a
    batch, and a failed batch leaves no file and no lock behind."""
    outcomes = []
    for flush in FAULT_FLUSHES:
        for limit in FAULT_LIMITS:
            path = tmp_path / f"index-{flush}-{limit}"
            with NewsIndex.create(path, analyzer=Analyzer(stemmer="none")) as index:
                index.add_many(corpus.fault_before())
            out = tmp_path / f"fault-{flush}-{limit}.json"
            pid = fork_server.start_faulty_writer(path, limit, flush, out)
            assert fork_server.wait(pid) == 0, out.read_text()
            report = json.loads(out.read_text())
            assert not [e for e in report["errors"] if e.startswith("unexpected")]
            with NewsIndex.open(path) as index:
                assert index.check().ok
                assert_articles(index, corpus.fault_state(report["committed"]))
                index.writer(timeout=0).cancel()  # the lock is free
            assert unexpected_files(path) == ([], [])
            outcomes.append((report["committed"], len(report["errors"])))
    print(f"(committed, errors) per trial: {outcomes}")
    # The limits must put the errors at different points, and allow a commit.
    assert (True, 0) in outcomes
    assert len({errors for _, errors in outcomes}) >= 3, outcomes
