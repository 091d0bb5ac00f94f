"""Cost against corpus size: CLICK-ID replicated to 1x, 3x and 10x.

A separate, longer command: ``python -m bench.growth``. For each scale
``k`` it writes a JSON Lines file of ``k`` copies of the CLICK-ID corpus
(21,957 articles a copy; 219,570 at 10x), then, each in a fresh subprocess:

* builds it with newsindex the way a bulk load does it, ``newsindex index
  --jobs N`` (:func:`newsindex.ingest` reading the file, one worker process
  per core), and reports seconds, articles/s, MB of text/s, index size,
  distinct terms and peak resident memory (the process tree's sampled peak,
  and ``ru_maxrss`` of the parent and of its largest worker);
* measures query latency on it exactly as :mod:`bench.latency` does (1,000
  development headlines and 1,000 short queries, top 10, with and without
  snippets);
* does the same with tantivy (default tokenizer), the reference for what a
  compiled engine does at the same size.

Copy 0 is the corpus as it is, so every query still has its article. The
other copies must not repeat it exactly, or every posting list would just
repeat too; copy ``c`` is varied deterministically:

* ids (and URLs) get the suffix ``~c``;
* each body's sentences are rotated by ``c`` places (positions change);
* word pairs of similar frequency swap places (ranks 200 and below, in
  pairs of neighbouring ranks, each pair swapped in about half the copies),
  so the posting lists of common words differ while their statistics stay
  those of the language;
* about half of the rare words (at most 2 occurrences in the corpus) become
  new words, a syllable being inserted after their third letter, so the
  vocabulary grows with the corpus as news vocabulary does (Heaps' law: 10x
  the text brings roughly 3x the distinct words) and the stemmer meets new
  words in every copy.

Usage: ``python -m bench.growth [--scales 1,3,10] [--engines newsindex,tantivy]
[--repeat 1]``; ``--quick`` runs scales 1 and 2 with 200 queries. Writes
``bench/results/<date>-growth.json`` and renders ``docs/benchmarks.md``
again with the newest main results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import (
    RESULTS,
    data_dir,
    dir_bytes,
    dump_json,
    machine,
    median,
    peak_rss_mb,
    ratio,
    records,
    run_measured,
    versions,
)

SCALES = (1, 3, 10)
ENGINES = ("newsindex", "tantivy")
_WORD = re.compile(r"[^\W\d_]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SYLLABLES = ("ra", "ko", "lu", "mi", "se", "ta", "no", "pi", "du", "ge", "wa")
#: Words more frequent than this rank are never swapped (function words).
SWAP_FROM_RANK = 200
RARE = 2


class Variation:
    """The deterministic changes that make copy ``c`` of the corpus its own."""

    def __init__(self, base: list[dict[str, Any]]) -> None:
        counts: Counter[str] = Counter()
        for record in base:
            for text in (record.get("title") or "", record.get("body") or ""):
                counts.update(w.lower() for w in _WORD.findall(text))
        ranked = [w for w, n in counts.most_common() if n > RARE]
        self.pairs = [
            (ranked[i], ranked[i + 1])
            for i in range(SWAP_FROM_RANK, len(ranked) - 1, 2)
        ]
        self.rare = [w for w, n in counts.items() if n <= RARE]

    def mapping(self, copy: int) -> dict[str, str]:
        """Lower-case word -> its replacement in copy ``copy``."""
        table: dict[str, str] = {}
        if copy == 0:
            return table
        for a, b in self.pairs:
            if _coin(f"{a}/{b}", copy):
                table[a], table[b] = b, a
        syllable = _SYLLABLES[(copy - 1) % len(_SYLLABLES)]
        for word in self.rare:
            if _coin(word, copy):
                table[word] = word[:3] + syllable + word[3:]
        return table


def _coin(key: str, copy: int) -> bool:
    return zlib.crc32(f"{key}/{copy}".encode()) % 2 == 0


def _vary(text: str, table: dict[str, str], copy: int, rotate: bool) -> str:
    if not text:
        return text
    if rotate:
        sentences = _SENTENCE_END.split(text)
        shift = copy % len(sentences)
        text = " ".join(sentences[shift:] + sentences[:shift])

    def swap(match: re.Match[str]) -> str:
        word = match.group()
        new = table.get(word.lower())
        if new is None:
            return word
        if word.isupper() and len(word) > 1:
            return new.upper()
        return new.capitalize() if word[0].isupper() else new

    return _WORD.sub(swap, text)


def replicate(copies: int, base: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """``copies`` copies of ``base``, each but the first varied."""
    variation = Variation(base)
    for copy in range(copies):
        table = variation.mapping(copy)
        for record in base:
            if copy == 0:
                yield record
                continue
            out = dict(record)
            out["id"] = f"{record['id']}~{copy}"
            if record.get("url"):
                out["url"] = f"{record['url']}~{copy}"
            out["title"] = _vary(record.get("title") or "", table, copy, False)
            out["body"] = _vary(record.get("body") or "", table, copy, True)
            yield out


def write_corpus(copies: int, path: Path) -> dict[str, Any]:
    """Write the replicated corpus; return its size and vocabulary."""
    base = list(records("clickid"))
    words: set[str] = set()
    count = nbytes = 0
    with open(path, "w", encoding="utf-8") as out:
        for record in replicate(copies, base):
            for text in (record["title"] or "", record["body"] or ""):
                nbytes += len(text.encode())
                words.update(w.lower() for w in _WORD.findall(text))
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return {"articles": count, "text_mb": round(nbytes / 1e6, 2), "words": len(words)}


# -- one build (in a subprocess) ---------------------------------------------------


def _read(path: Path) -> Iterator[Any]:
    from newsindex import Article

    with open(path, encoding="utf-8") as lines:
        for line in lines:
            yield Article.from_dict(json.loads(line))


def build_once(engine: str, source: Path, target: Path, jobs: int) -> None:
    """Build ``source`` into ``target``; print the figures as JSON."""
    started = time.perf_counter()
    extra: dict[str, Any] = {}
    if engine == "newsindex":
        from newsindex import NewsIndex, ingest

        index = NewsIndex.create(target)
        done = ingest(index, [source], jobs=jobs)
        seconds = time.perf_counter() - started
        stats = index.stats()
        index.close()
        extra = {"terms": stats.terms, "segments": stats.segments}
        articles = done.added
    else:
        from bench.baselines import get_engine

        docs = list(_read(source)) if engine == "bm25s-stemmed" else _read(source)
        get_engine(engine, jobs).build(docs, target)  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
        with open(source, encoding="utf-8") as lines:
            articles = sum(1 for _ in lines)
    rss = peak_rss_mb()
    print(
        json.dumps(
            {
                "engine": engine,
                "articles": articles,
                "seconds": seconds,
                "articles_per_s": articles / seconds,
                "index_mb": dir_bytes(target) / 1e6,
                "peak_rss_mb": rss["self_mb"],
                "children_peak_rss_mb": rss["children_mb"],
                **extra,
            }
        )
    )


# -- the whole curve ---------------------------------------------------------------


def measure_scale(
    copies: int,
    engines: tuple[str, ...],
    work: Path,
    query_file: Path,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Build and search every engine at one scale."""
    source = work / f"clickid-x{copies}.jsonl"
    started = time.perf_counter()
    corpus = write_corpus(copies, source)
    corpus["generate_seconds"] = round(time.perf_counter() - started, 1)
    print(f"growth x{copies}: {corpus}", file=sys.stderr, flush=True)
    out: dict[str, Any] = {"copies": copies, "corpus": corpus, "engines": {}}
    for engine in engines:
        runs = []
        for n in range(args.repeat):
            target = work / f"{engine}-x{copies}"
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()
            build_args = ["bench.growth", "--one", engine, "--source", str(source)]
            build_args += ["--target", str(target), "--jobs", str(args.jobs)]
            report, tree = run_measured(build_args)
            report["tree_peak_rss_mb"] = tree
            report["text_mb_per_s"] = corpus["text_mb"] / report["seconds"]
            runs.append(report)
            print(
                f"growth x{copies} {engine} build {n + 1}: "
                f"{report['seconds']:.1f} s, {tree:.0f} MB",
                file=sys.stderr,
                flush=True,
            )
        figures = ("seconds", "articles_per_s", "text_mb_per_s", "index_mb")
        figures += ("peak_rss_mb", "tree_peak_rss_mb")
        build = {
            "runs": runs,
            "median": {f: round(median([r[f] for r in runs]), 3) for f in figures},
        }
        for key in ("terms", "segments"):
            if key in runs[-1]:
                build[key] = runs[-1][key]
        lat_args = ["bench.latency", "--one", engine, "--index", str(target)]
        lat_args += ["--queries", str(query_file), "--passes", str(args.passes)]
        lat, _ = run_measured(lat_args)
        print(
            f"growth x{copies} {engine} latency: short p50 "
            f"{lat['short']['without_snippets']['median']['p50_ms']:.2f} ms",
            file=sys.stderr,
            flush=True,
        )
        out["engines"][engine] = {"build": build, "latency": lat}
        shutil.rmtree(target, ignore_errors=True)
    source.unlink()
    return out


def _ratios(scales: dict[str, Any]) -> dict[str, Any]:
    """Each scale's figures over the 1x figures, per engine."""
    first = scales[min(scales, key=int)]
    out: dict[str, Any] = {}
    for key, scale in scales.items():
        out[key] = {}
        for engine, found in scale["engines"].items():
            base = first["engines"].get(engine)
            if base is None:
                continue
            b, m = base["build"]["median"], found["build"]["median"]
            row = {
                "articles_per_s": ratio(m["articles_per_s"], b["articles_per_s"]),
                "index_mb": ratio(m["index_mb"], b["index_mb"]),
                "tree_peak_rss_mb": ratio(m["tree_peak_rss_mb"], b["tree_peak_rss_mb"]),
            }
            for qset in ("short", "headline"):
                for mode in ("with_snippets", "without_snippets"):
                    if mode in found["latency"][qset]:
                        row[f"{qset}_{mode}_p50"] = ratio(
                            found["latency"][qset][mode]["median"]["p50_ms"],
                            base["latency"][qset][mode]["median"]["p50_ms"],
                        )
            out[key][engine] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default=",".join(map(str, SCALES)))
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--repeat", type=int, default=1, help="builds per scale")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--count", type=int, default=1000, help="latency queries")
    parser.add_argument("--passes", type=int, default=3, help="latency passes")
    parser.add_argument("--quick", action="store_true", help="scales 1,2; 200 queries")
    parser.add_argument("--out", type=Path, help="results file (default: by date)")
    parser.add_argument("--no-report", action="store_true", help="skip docs/")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--target", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    data_dir()
    if args.one:
        build_once(args.one, args.source, args.target, args.jobs)
        return
    if args.quick:
        args.scales, args.count, args.passes = "1,2", 200, 1
    from bench.latency import query_sets

    started = time.perf_counter()
    report: dict[str, Any] = {
        "suite": "newsindex growth benchmark (python -m bench.growth)",
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": machine(),
        "versions": versions(),
        "jobs": args.jobs,
        "repeat": args.repeat,
        "passes": args.passes,
        "scales": {},
    }
    engines = tuple(args.engines.split(","))
    with tempfile.TemporaryDirectory(prefix="nxgrowth-") as tmp:
        work = Path(tmp)
        sets = query_sets(args.count)
        texts = {name: [q["query"] for q in qs] for name, qs in sets.items()}
        query_file = work / "queries.json"
        query_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        report["queries"] = {name: len(qs) for name, qs in texts.items()}
        for copies in map(int, args.scales.split(",")):
            report["scales"][str(copies)] = measure_scale(
                copies, engines, work, query_file, args
            )
            report["ratio_to_first_scale"] = _ratios(report["scales"])
            report["seconds"] = round(time.perf_counter() - started, 1)
            _save(report, args)  # what was measured so far survives an interruption
    print(f"growth: {report['seconds']:.0f} s", file=sys.stderr)
    if not (args.quick or args.no_report):
        from bench import report as render

        written = render.render(None, _path(args))
        print(f"report: {', '.join(map(str, written))}", file=sys.stderr)


def _path(args: argparse.Namespace) -> Path:
    today = dt.date.today().isoformat()
    if args.out:
        return Path(args.out)
    if args.quick:
        return RESULTS / "tmp" / f"{today}-growth-quick.json"
    return RESULTS / f"{today}-growth.json"


def _save(report: dict[str, Any], args: argparse.Namespace) -> None:
    dump_json(report, _path(args))


if __name__ == "__main__":
    main()
