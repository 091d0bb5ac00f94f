"""Concurrency: readers during commits, the writer lock, upserts at scale.

Real processes (``helpers/child.py``) write and read while threads of this
process read too. Readers must never get an error or a result mixing two
commits, and must see each commit on their next search (the README's
promise). A second writer waits for the lock up to its timeout, then raises
``IndexLockedError``. However articles are rewritten (within one batch,
across batches, across processes), ``count()`` equals the number of
distinct ids.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import corpus

from newsindex import (
    Analyzer,
    Article,
    IndexLockedError,
    IndexWriter,
    NewsIndex,
)

CHILD = Path(__file__).resolve().parent / "helpers" / "child.py"
SEED = 20261128
#: Commits the writer process makes while the readers search: each rewrites
#: the segment before it (whose hot articles it replaces); a seventh would
#: also merge the eight small segments, a second's work under this load.
COMMITS = 6
READER_THREADS = 6
READER_PROCESSES = 2


def start(*args: str, stdin: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), *args],
        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )


def read_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, f"child exited early with status {process.wait()}"
    return line.strip()


def send_line(process: subprocess.Popen[str], text: str) -> None:
    assert process.stdin is not None
    process.stdin.write(text + "\n")
    process.stdin.flush()


def late_observations(
    seen: list[tuple[float, int]], commits: list[tuple[int, float]]
) -> list[str]:
    """Searches that began after a commit returned but did not show it."""
    late = []
    for commit, committed_at in commits:
        expected = corpus.articles_after(commit)
        for started, total in seen:
            if started > committed_at and total < expected:
                late.append(
                    f"a search {started - committed_at:.3f} s after commit "
                    f"{commit} saw {total} articles, not {expected}"
                )
                break
    return late


# -- readers during commits ----------------------------------------------------------


def test_readers_see_each_commit_whole_and_at_once(tmp_path: Path) -> None:
    path = tmp_path / "index"
    with NewsIndex.create(path, analyzer=Analyzer(stemmer="none")) as index:
        index.add_many(
            [corpus.hot_article(j, 0) for j in range(corpus.HOT)]
            + corpus.fresh_articles(0)
        )
    stop = tmp_path / "stop"
    # Commits 0.1 s apart: each reader (six threads sharing one interpreter,
    # on a busy machine too) has time to see the totals between them.
    writer = start("commit-loop", str(path), str(COMMITS), "0.1", stdin=True)
    readers = [
        start("read", str(path), str(COMMITS), str(stop))
        for _ in range(READER_PROCESSES)
    ]
    index = NewsIndex.open(path)
    errors: list[str] = []  # as text: a kept exception would keep its frames
    problems: list[str] = []
    seen: list[list[tuple[float, int]]] = [[] for _ in range(READER_THREADS)]
    done = threading.Event()

    def search(worker: int) -> None:
        previous = 0
        while not done.is_set():
            started = time.monotonic()
            try:
                hot = index.search("panas", limit=50, snippets=worker % 2 == 0)
                everything = index.search("berita", limit=1000, snippets=False)
                problems.extend(corpus.lookup_problems(index, COMMITS, worker))
            except Exception as exc:
                errors.append(repr(exc))
                continue
            problems.extend(corpus.inconsistencies(hot, everything, COMMITS))
            if everything.total < previous:
                problems.append(f"went back from {previous} to {everything.total}")
            previous = everything.total
            seen[worker].append((started, everything.total))

    threads = [
        threading.Thread(target=search, args=(w,)) for w in range(READER_THREADS)
    ]
    commits: list[tuple[int, float]] = []
    stale: list[str] = []
    reports = []
    try:
        for reader in readers:
            assert read_line(reader) == "ready"
        for thread in threads:
            thread.start()
        send_line(writer, "go")
        for _ in range(COMMITS):
            _, commit, committed_at = read_line(writer).split()
            commits.append((int(commit), float(committed_at)))
            # The next search of any reader shows the commit.
            total = index.search("berita", limit=1, snippets=False).total
            if total < corpus.articles_after(int(commit)):
                stale.append(f"commit {commit}: the next search saw {total}")
        assert writer.wait(timeout=30) == 0
    finally:
        done.set()
        for thread in threads:
            if thread.is_alive():
                thread.join()
        stop.touch()
        for reader in readers:
            out, _ = reader.communicate(timeout=60)
            reports.append(json.loads(out.splitlines()[-1]) if out else None)
        if writer.poll() is None:
            writer.kill()
        writer.communicate(timeout=30)

    assert not errors, errors[:5]
    assert not problems, problems[:5]
    assert not stale, stale
    for report in reports:
        assert report is not None
        assert not report["errors"], report["errors"][:5]
        assert not report["problems"], report["problems"][:5]
    for observations in [*seen, *(r["seen"] for r in reports)]:
        assert not late_observations(observations, commits)
        # The readers really overlapped the commits.
        assert len({total for _, total in observations}) >= 3
    assert index.count() == corpus.articles_after(COMMITS)
    assert index.check().ok
    index.close()


# -- the writer lock -----------------------------------------------------------------


def test_second_writer_times_out_then_waits_for_the_first(tmp_path: Path) -> None:
    path = tmp_path / "index"
    with NewsIndex.create(path, analyzer=Analyzer(stemmer="none")) as index:
        index.add(Article(id="awal", body="berita awal"))
    holder = start("hold-lock", str(path), stdin=True)
    try:
        assert read_line(holder) == "locked"
        with NewsIndex.open(path) as index:
            started = time.monotonic()
            with pytest.raises(IndexLockedError, match="lock") as caught:
                index.writer(timeout=0.5)
            waited = time.monotonic() - started
            assert 0.5 <= waited < 2.0
            assert isinstance(caught.value, TimeoutError)
            assert os.path.realpath(path) in str(caught.value)
            # The failed writer left the index as it was.
            assert index.count() == 1
            assert index.check().ok

            # A patient writer waits for the first to commit.
            timer = threading.Timer(0.4, send_line, (holder, "go"))
            started = time.monotonic()
            timer.start()
            with index.writer(timeout=20.0) as writer:
                waited = time.monotonic() - started
                writer.add(Article(id="dari-induk", body="berita induk"))
            timer.join()
            assert waited >= 0.35
            assert read_line(holder) == "committed"
            assert index.count() == 3
            assert sorted(h.id for h in index.search("berita")) == [
                "awal",
                "dari-anak",
                "dari-induk",
            ]
            assert index.check().ok
        assert holder.wait(timeout=10) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        assert holder.stdin is not None
        assert holder.stdout is not None
        holder.stdin.close()
        holder.stdout.close()


# -- every reading method during commits and merges ------------------------------


def test_readers_never_fail_while_another_process_commits_and_merges(
    tmp_path: Path,
) -> None:
    """search, get, count, stats, check and iteration, in two processes, while
    a third commits, merges and optimizes: no error, and only counts that
    some commit produced."""
    path = tmp_path / "index"
    with NewsIndex.create(path, analyzer=Analyzer(stemmer="none")) as index:
        index.add(Article(id="c0-2", title="Awal", body="berita awal"))
    stop = tmp_path / "stop"
    readers = [start("inspect", str(path), str(stop)) for _ in range(2)]
    try:
        for reader in readers:
            assert read_line(reader) == "ready"
        writer = start("churn", str(path), "50")
        out, _ = writer.communicate(timeout=120)
        assert writer.returncode == 0
    finally:
        stop.touch()
    counts = {1} | {int(line.split()[2]) for line in out.splitlines()}
    for reader in readers:
        report = json.loads(reader.communicate(timeout=60)[0].splitlines()[-1])
        assert not report["errors"], report["errors"][:5]
        assert report["checks"] > 0
        for method, seen in report["seen"].items():
            assert set(seen) <= counts, (method, sorted(set(seen) - counts))
            assert len(set(seen)) >= 3, (method, seen[:10])  # they overlapped


# -- upserts at scale ----------------------------------------------------------------


def test_rewriting_the_same_ids_never_duplicates(tmp_path: Path) -> None:
    """Random adds and deletes of 40 ids: within batches, across batches and
    flushed segments, with and without worker processes."""
    rng = random.Random(SEED)
    index = NewsIndex.create(tmp_path / "index", analyzer=Analyzer(stemmer="none"))
    model: dict[str, Article] = {}
    superseded: list[int] = []
    version = 0
    for round_ in range(6):
        jobs = 2 if round_ == 3 else 1
        # Tiny flushes: the copies of one id spread over several new segments.
        writer = IndexWriter(
            index._engine._directory, index.analyzer, jobs=jobs, flush_words=300
        )
        for _ in range(700 if jobs > 1 else 250):
            article_id = f"u{rng.randrange(40)}"
            old = model.get(article_id)
            if old is not None:
                superseded.append(int(old.body.split()[1][1:]))
            if rng.random() < 0.15:
                writer.delete(article_id)
                model.pop(article_id, None)
                continue
            version += 1
            model[article_id] = Article(
                id=article_id, title=article_id, body=f"berita v{version}"
            )
            writer.add(model[article_id])
        writer.commit()

        assert index.count() == len(model)
        results = index.search("berita", limit=100, snippets=False)
        assert results.total == len(results.hits) == len(model)
        assert {hit.id: hit.article for hit in results} == model
        for article in rng.sample(sorted(model.values(), key=str), 5):
            found = index.search(article.body.split()[1])
            assert [hit.id for hit in found] == [article.id]
        for old in rng.sample(superseded, 5):
            assert index.search(f"v{old}").total == 0
        assert index.check().ok
    index.close()


def test_two_processes_taking_turns_never_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "index"
    NewsIndex.create(path, analyzer=Analyzer(stemmer="none")).close()
    ids, rounds = 60, 4
    writers = [
        start("upsert", str(path), str(p), str(rounds), str(ids)) for p in (1, 2)
    ]
    counts = set()
    with NewsIndex.open(path) as index:
        while any(writer.poll() is None for writer in writers):
            counts.add(index.count())
            assert index.search("draf").total == 0
        outputs = [writer.communicate(timeout=30)[0] for writer in writers]
        assert [writer.returncode for writer in writers] == [0, 0]
        assert all(out.count("committed") == rounds for out in outputs)
        assert counts <= {0, ids}
        results = index.search("berita", limit=100, snippets=False)
        assert index.count() == results.total == len(results.hits) == ids
        assert len({hit.id for hit in results}) == ids
        # Each commit rewrote every id, so all come from the last one.
        tags = {hit.title for hit in results}
        assert len(tags) == 1
        assert tags <= {f"tanda1x{rounds - 1}", f"tanda2x{rounds - 1}"}
        assert index.check().ok


def test_a_reader_of_a_settled_index_sees_the_next_commit(tmp_path: Path) -> None:
    # A search reuses its listing of the directory while the directory's
    # modification time stays put; a commit from another handle (as from
    # another process) moves it, and the next search must see the article.
    folder = tmp_path / "index"
    with NewsIndex.create(folder) as writer_side:
        writer_side.add(Article(id="lama", body="banjir di kota lama"))
        long_ago = time.time() - 3600
        os.utime(folder, (long_ago, long_ago))
        with NewsIndex.open(folder) as reader:
            assert reader.count() == 1
            assert reader.count() == 1  # from the kept listing
            writer_side.add(Article(id="baru", body="banjir di kota baru"))
            assert reader.count() == 2
            assert {h.id for h in reader.search("banjir")} == {"lama", "baru"}
