"""Shared helpers for the benchmarks: data locations, corpora, query sets.

The data lives beside the repository in ``../shared/data`` (override with
``NEWSINDEX_DATA``); it is never copied into the repository. When it is
missing, :func:`data_dir` exits with a clear message.
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from newsindex import Analyzer, Article

REPO = Path(__file__).resolve().parents[1]

#: corpus name -> (articles file, queries file, query filter)
CORPORA = {
    "clickid": ("clickid/articles.jsonl", "clickid/queries.jsonl", "headline"),
    "indosum": (
        "indosum/articles.jsonl",
        "indosum/queries.jsonl",
        "title_slug_truncated",
    ),
    "facqa": ("facqa/passages.jsonl", "facqa/queries.jsonl", None),
}
#: The split each corpus is tuned on.
DEV_SPLIT = {"clickid": "dev", "indosum": "dev", "facqa": "valid"}


def data_dir() -> Path:
    """The shared data folder, or exit with a message saying it is missing."""
    path = Path(os.environ.get("NEWSINDEX_DATA", REPO.parent / "shared" / "data"))
    if not (path / "clickid" / "articles.jsonl").exists():
        sys.exit(
            f"benchmark data not found at {path}: these benchmarks read the "
            "shared corpora (set NEWSINDEX_DATA to their folder)"
        )
    return path


def records(corpus: str) -> Iterator[dict[str, Any]]:
    """The raw JSON records of a corpus's articles."""
    with open(data_dir() / CORPORA[corpus][0], encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def articles(corpus: str, *, titles: bool = True) -> list[Article]:
    """A corpus as Articles; ``titles=False`` drops titles (the body-only task)."""
    out = []
    for record in records(corpus):
        if not titles:
            record["title"] = None
        out.append(Article.from_dict(record))
    return out


def queries(corpus: str, split: str, limit: int | None = None) -> list[dict[str, Any]]:
    """Judged queries of one split, in file order."""
    kind = CORPORA[corpus][2]
    out = []
    with open(data_dir() / CORPORA[corpus][1], encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["split"] != split:
                continue
            if kind and record.get("query_type", kind) != kind:
                continue
            out.append(record)
            if limit and len(out) >= limit:
                break
    return out


_WORD = re.compile(r"[^\W\d_]+")


def short_queries(
    corpus: str, split: str, count: int, analyzer: Analyzer, seed: int = 7
) -> list[dict[str, Any]]:
    """Short keyword queries (2-4 words) whose words the article writes differently.

    From each headline of the split (in a seeded random order), keep the
    words whose stem occurs in the article's body; take at least one word
    whose exact form does *not* occur in the body (so that only matching by
    stem finds it: ``naik`` for ``kenaikan``), fill up to 2-4 words with the
    others, and keep the headline's word order. The relevant article is the
    headline's. (IndoSum slugs lose their last word, which the slug may cut.)
    """
    rng = random.Random(seed)
    bodies = {r["id"]: r["body"] for r in records(corpus)}
    source = queries(corpus, split)
    rng.shuffle(source)
    out = []
    for record in source:
        body = bodies[record["relevant"][0]]
        forms = {w.lower() for w in _WORD.findall(body)}
        stems = set(analyzer.terms(body))
        words = [w.lower() for w in _WORD.findall(record["query"])]
        if corpus == "indosum":
            words = words[:-1]
        different, same = [], []
        for word in dict.fromkeys(words):
            term = analyzer.term(word)
            if term and term in stems and len(word) >= 3:
                (same if word in forms else different).append(word)
        if not different:
            continue
        size = rng.choice((2, 3, 4))
        picked = different[: rng.choice((1, 2, size))]
        picked += rng.sample(same, min(len(same), max(0, size - len(picked))))
        if len(picked) < 2:
            continue
        picked.sort(key=words.index)
        out.append(
            {
                "qid": f"{record['qid']}-short",
                "query": " ".join(picked),
                "relevant": record["relevant"],
                "split": split,
            }
        )
        if len(out) >= count:
            break
    return out


def percentiles(seconds: list[float]) -> dict[str, float]:
    """p50/p95/p99 and mean, in milliseconds."""
    ordered = sorted(seconds)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {
        "p50_ms": round(at(0.50), 2),
        "p95_ms": round(at(0.95), 2),
        "p99_ms": round(at(0.99), 2),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
    }


# -- the build corpus ------------------------------------------------------------

#: The corpora of the build and latency benchmarks (25,420 articles).
BUILD_CORPORA = ("clickid", "indosum")


def build_articles(limit: int | None = None) -> list[Article]:
    """CLICK-ID then IndoSum articles, titles included (as a news site has them).

    ``limit`` keeps an evenly spaced sample (every n-th article), so that a
    subset has the same mix of publishers and lengths as the whole.
    """
    docs = [a for corpus in BUILD_CORPORA for a in articles(corpus)]
    if limit is not None and limit < len(docs):
        step = len(docs) / limit
        docs = [docs[int(i * step)] for i in range(limit)]
    return docs


def text_bytes(docs: list[Article]) -> int:
    """UTF-8 bytes of the titles and bodies."""
    return sum(len(a.title.encode()) + len(a.body.encode()) for a in docs)


# -- measuring -------------------------------------------------------------------


def dir_bytes(path: Path) -> int:
    """Total size of the files under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def peak_rss_mb() -> dict[str, float]:
    """Peak resident memory of this process and of its largest waited child."""
    import resource

    return {
        "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def run_measured(
    args: list[str], *, interval: float = 0.1
) -> tuple[dict[str, Any], float]:
    """Run ``python -m <args>`` in a subprocess; return its JSON and tree peak RSS.

    The subprocess prints one JSON object as its last line of output. While
    it runs, this process samples the resident memory of the whole process
    tree (the child and any workers it starts) every ``interval`` seconds:
    ``ru_maxrss`` gives each process's own peak, but only the sum says what
    a multi-process build needs at once.

    The JSON gains ``load``: the share of the machine's CPU time that other
    processes used meanwhile (``foreign_cpu_share``, from the system's busy
    time less this process's and the child tree's) and the hypervisor took
    (``steal_share``), so that a run on a busy machine can be recognised.
    Raises ``RuntimeError`` with the child's error output when it fails.
    """
    import resource
    import subprocess

    import psutil

    cpus = os.cpu_count() or 1
    me = psutil.Process()
    before = (
        psutil.cpu_times(),
        resource.getrusage(resource.RUSAGE_CHILDREN),
        me.cpu_times(),
        time.perf_counter(),
    )
    with (
        tempfile.TemporaryFile("w+", encoding="utf-8") as out,
        tempfile.TemporaryFile("w+", encoding="utf-8") as err,
    ):
        child = subprocess.Popen(
            [sys.executable, "-m", *args], cwd=REPO, stdout=out, stderr=err, text=True
        )
        peak = 0
        watched = psutil.Process(child.pid)
        while child.poll() is None:
            total = 0
            try:
                for proc in (watched, *watched.children(recursive=True)):
                    total += proc.memory_info().rss
            except psutil.Error:
                pass  # a process ended between listing and reading it
            peak = max(peak, total)
            time.sleep(interval)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise RuntimeError(
                f"`python -m {' '.join(args)}` failed ({child.returncode}):\n"
                + err.read()[-4000:]
            )
        lines = out.read().strip().splitlines()
    system, children, own, wall = (
        psutil.cpu_times(),
        resource.getrusage(resource.RUSAGE_CHILDREN),
        me.cpu_times(),
        time.perf_counter(),
    )
    wall = (wall - before[3]) * cpus

    def busy(t: Any) -> float:
        idle = t.idle + getattr(t, "iowait", 0) + getattr(t, "steal", 0)
        guest = getattr(t, "guest", 0) + getattr(t, "guest_nice", 0)
        return float(sum(t) - idle - guest)

    ours = (
        children.ru_utime
        + children.ru_stime
        - before[1].ru_utime
        - before[1].ru_stime
        + own.user
        + own.system
        - before[2].user
        - before[2].system
    )
    foreign = busy(system) - busy(before[0]) - ours
    steal = getattr(system, "steal", 0) - getattr(before[0], "steal", 0)
    report = json.loads(lines[-1])
    report["load"] = {
        "foreign_cpu_share": round(max(0.0, foreign) / wall, 3),
        "steal_share": round(steal / wall, 3),
    }
    return report, peak / 2**20


def median(values: list[float]) -> float:
    """The median (of an odd or even number of runs)."""
    return statistics.median(values)


def ratio(value: float, base: float) -> float | None:
    """``value / base``, rounded, or ``None`` when there is no base."""
    return round(value / base, 3) if base else None


# -- provenance ------------------------------------------------------------------


def versions() -> dict[str, str]:
    """Every installed distribution and its version (the environment of the run)."""
    from importlib import metadata

    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[name.lower()] = dist.version
    return dict(sorted(found.items()))


def machine() -> dict[str, Any]:
    """What the run ran on: CPU, memory, Python, and the repository's commit."""
    import platform
    import subprocess

    import psutil

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "newsindex"],
        cwd=REPO,
        capture_output=True,
        text=True,
    ).stdout.strip()
    import hashlib

    # The library may differ from the commit (work in progress): a digest of
    # its sources says which code was measured.
    digest = hashlib.sha256()
    for path in sorted((REPO / "newsindex").rglob("*.py")):
        digest.update(path.relative_to(REPO).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return {
        "library_sha256": digest.hexdigest()[:16],
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "commit": commit,
        "library_modified": bool(dirty),
    }


# -- results ---------------------------------------------------------------------

RESULTS = REPO / "bench" / "results"
_NUMBER_LIST = re.compile(r"\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]")


def dump_json(report: Any, path: Path) -> None:
    """Write ``report`` indented, but lists of numbers on one line each."""
    text = json.dumps(report, indent=1, ensure_ascii=False)
    text = _NUMBER_LIST.sub(
        lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]",
        text,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
