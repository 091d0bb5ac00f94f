"""Tests of the ``newsindex`` command (newsindex.cli)."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from newsindex import IndexWriter, NewsIndex, __version__, _embedded
from newsindex._cli_output import Progress
from newsindex._cli_parser import PARALLEL_FROM_BYTES, default_jobs
from newsindex.cli import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SKIPPED,
    EXIT_USAGE,
    build_parser,
    default_index_path,
    main,
)

ARTICLES = [
    {
        "id": "kompas-1",
        "title": "Harga beras naik menjelang Lebaran",
        "body": "Kenaikan harga beras di Pasar Induk Cipinang membuat pedagang resah.",
        "published": "2024-03-28",
        "source": "kompas.com",
        "category": "Ekonomi",
        "url": "https://kompas.com/beras",
    },
    {
        "id": "detik-7",
        "title": "Banjir melanda Bekasi",
        "body": "Hujan deras membuat banjir setinggi satu meter. Harga sayur naik.",
        "published": "2024-01-05",
        "source": "detik.com",
        "category": "Nasional",
        "url": "https://detik.com/banjir",
    },
    {
        "id": "tempo-3",
        "title": "Gempa di Cianjur",
        "body": "Gempa 5,6 mengguncang Cianjur. Harga bahan bangunan naik.",
        "published": "2024-02-10",
        "source": "tempo.co",
        "category": "Nasional",
    },
]


class Terminal(io.StringIO):
    """A captured stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No colour preferences or index location leak in from the outside."""
    for name in ("NO_COLOR", "NEWSINDEX_INDEX", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "berita.jsonl"
    path.write_text(
        "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in ARTICLES),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def built(tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """An index of ARTICLES (analyzed without stemming, to keep tests fast)."""
    index = tmp_path / "ix"
    assert main(["index", "--index", str(index), "--stemmer", "none", str(corpus)]) == 0
    capsys.readouterr()
    return index


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_error_line(err: str) -> None:
    assert "Traceback" not in err
    assert err.startswith("newsindex: error: ")
    assert err.count("\n") == 1


# -- index ---------------------------------------------------------------------


def test_index_creates_and_summarises(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "baru" / "ix"
    status, out, err = run(capsys, "index", "--index", str(index), str(corpus))
    assert status == EXIT_OK
    assert "3 added, 0 updated, 0 skipped" in out
    assert err == ""  # no progress counter when stderr is not a terminal
    with NewsIndex.open(index) as opened:
        assert opened.count() == 3
        assert "sastrawi" in opened.analyzer.fingerprint()
    status, out, _ = run(capsys, "index", "--index", str(index), str(corpus))
    assert status == EXIT_OK
    assert "0 added, 3 updated" in out


def test_index_reports_skipped_records(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "rusak.jsonl"
    bad.write_text('{"title": "Tanpa isi"}\n{oops\n', encoding="utf-8")
    status, out, err = run(
        capsys, "index", "--index", str(tmp_path / "ix"), "--stemmer", "none",
        str(corpus), str(bad),
    )  # fmt: skip
    assert status == EXIT_SKIPPED
    assert "3 added, 0 updated, 2 skipped" in out
    assert f"{bad}:1: missing body" in err
    assert f"{bad}:2: invalid JSON" in err
    assert "Traceback" not in err


def test_index_lists_only_the_first_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "rusak.jsonl"
    bad.write_text("[]\n" * 25, encoding="utf-8")
    status, _, err = run(capsys, "index", "--index", str(tmp_path / "ix"), str(bad))
    assert status == EXIT_SKIPPED
    assert f"{bad}:20: not a JSON object" in err
    assert f"{bad}:21:" not in err
    assert "... and 5 more" in err


def test_index_strict_indexes_nothing(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "rusak.csv"
    bad.write_text("id,title,body\nx,Judul,Isi\ny,5\n", encoding="utf-8")
    index = tmp_path / "ix"
    argv = ["index", "--index", str(index), "--stemmer", "none", "--strict"]
    status, _, err = run(capsys, *argv, str(corpus), str(bad))
    assert status == EXIT_ERROR
    assert_one_error_line(err)
    assert f"{bad}:3: 2 fields, but the header has 3 columns" in err
    assert not index.exists()  # created by this run, which committed nothing


def test_index_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "tidak-ada.jsonl"
    status, _, err = run(capsys, "index", "--index", str(tmp_path / "ix"), str(missing))
    assert status == EXIT_ERROR
    assert_one_error_line(err)
    assert str(missing) in err
    assert not (tmp_path / "ix").exists()


def test_index_analyzer_mismatch(
    built: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(
        capsys, "index", "--index", str(built), "--stemmer", "tala", str(corpus)
    )
    assert status == EXIT_ERROR
    assert_one_error_line(err)
    assert "analyzer" in err


def test_index_locked(
    built: Path,
    corpus: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patient = NewsIndex.writer

    def impatient(
        self: NewsIndex, *, timeout: float = 10.0, jobs: int = 1
    ) -> IndexWriter:
        return patient(self, timeout=0.05, jobs=jobs)

    monkeypatch.setattr(NewsIndex, "writer", impatient)
    with NewsIndex.open(built) as index, index.writer():
        status, _, err = run(capsys, "index", "--index", str(built), str(corpus))
    assert status == EXIT_ERROR
    waiting, error = err.splitlines(keepends=True)
    assert waiting.startswith("newsindex: waiting for another writer")
    assert_one_error_line(error)
    assert "lock" in error


def test_index_shows_progress_on_a_terminal(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr = Terminal()
    monkeypatch.setattr("sys.stderr", stderr)
    monkeypatch.setenv("NO_COLOR", "1")  # colour preferences do not hide progress
    status = main(
        ["index", "--index", str(tmp_path / "ix"), "--stemmer", "none", str(corpus)]
    )
    assert status == EXIT_OK
    shown = stderr.getvalue()
    assert "\r1 article, 100% read\x1b[K" in shown  # at once; the file is small
    assert shown.endswith("\r\x1b[K")  # the counter is erased at the end


def test_bad_jobs_is_a_usage_error(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, "index", "--jobs", "0", str(corpus))
    assert status == EXIT_USAGE
    assert "must be 1 or more" in err


# -- search --------------------------------------------------------------------


def test_search_text(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "search", "--index", str(built), "beras")
    assert (status, err) == (EXIT_OK, "")
    assert "1. Harga beras naik menjelang Lebaran" in out
    assert "2024-03-28 · kompas.com · Ekonomi" in out
    assert "https://kompas.com/beras" in out
    assert "Kenaikan harga beras" in out
    assert "1 of 1 results (" in out
    assert "\x1b[" not in out  # not a terminal: no colour


def test_search_json(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "search", "--index", str(built), "harga naik", "--json"
    )
    assert status == EXIT_OK
    result = json.loads(out)
    assert {"query", "total", "took_ms", "hits"} <= set(result)
    assert result["query"] == "harga naik"
    assert result["total"] == 3
    for hit in result["hits"]:
        assert {
            "id",
            "score",
            "title",
            "snippet",
            "date",
            "source",
            "category",
            "url",
        } <= set(hit)
    assert any("<mark>naik</mark>" in hit["snippet"] for hit in result["hits"])


def test_search_filters_sort_and_pages(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def ids(*options: str) -> list[str]:
        status, out, _ = run(
            capsys, "search", "--index", str(built), "naik", "--json", *options
        )
        assert status == EXIT_OK
        return [hit["id"] for hit in json.loads(out)["hits"]]

    assert ids("--sort", "newest") == ["kompas-1", "tempo-3", "detik-7"]
    assert sorted(ids("--source", "detik.com", "--source", "TEMPO.CO")) == [
        "detik-7",
        "tempo-3",
    ]
    assert sorted(ids("--category", "nasional")) == ["detik-7", "tempo-3"]
    assert ids("--since", "2024-02-01", "--until", "2024-02-28") == ["tempo-3"]
    assert ids("--sort", "newest", "--limit", "2", "--page", "2") == ["detik-7"]


def test_search_colour_on_a_terminal(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stdout = Terminal()
    monkeypatch.setattr("sys.stdout", stdout)
    assert main(["search", "--index", str(built), "beras"]) == EXIT_OK
    assert "\x1b[1;33mberas\x1b[0;1m" in stdout.getvalue()  # highlighted in the title

    monkeypatch.setenv("NO_COLOR", "1")
    stdout.seek(0)
    stdout.truncate()
    assert main(["search", "--index", str(built), "beras"]) == EXIT_OK
    assert "\x1b[" not in stdout.getvalue()
    assert "Harga beras naik" in stdout.getvalue()


def test_search_notes(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "search", "--index", str(built), "kereta")
    assert status == EXIT_OK
    assert "0 of 0 results" in out
    assert "note: no article matches" in out


def test_search_missing_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "search", "--index", str(tmp_path / "nope"), "beras")
    assert status == EXIT_ERROR
    assert out == ""
    assert_one_error_line(err)
    assert "no newsindex index" in err


@pytest.mark.parametrize(
    "option", [["--since", "kemarin"], ["--until", "2024-13-01"], ["--limit", "0"]]
)
def test_search_bad_arguments(
    built: Path, capsys: pytest.CaptureFixture[str], option: list[str]
) -> None:
    status, _, err = run(capsys, "search", "--index", str(built), "beras", *option)
    assert status == EXIT_ERROR
    assert_one_error_line(err)


# -- stats ---------------------------------------------------------------------


def test_stats_text(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "stats", "--index", str(built))
    assert status == EXIT_OK
    assert "articles  3" in out
    assert "dates     2024-01-05 to 2024-03-28" in out
    assert "KiB" in out
    assert "kompas.com" in out


def test_stats_json(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "stats", "--index", str(built), "--json")
    assert status == EXIT_OK
    stats = json.loads(out)
    assert stats["articles"] == 3
    assert stats["sources"] == {"detik.com": 1, "kompas.com": 1, "tempo.co": 1}
    assert (stats["earliest"], stats["latest"]) == ("2024-01-05", "2024-03-28")


def test_stats_missing_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, "stats", "--index", str(tmp_path / "nope"))
    assert status == EXIT_ERROR
    assert_one_error_line(err)


# -- the index location --------------------------------------------------------


def test_default_index_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert default_index_path() == home / ".local/share/newsindex/index"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/is/ignored")
    assert default_index_path() == home / ".local/share/newsindex/index"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_index_path() == tmp_path / "data" / "newsindex" / "index"
    monkeypatch.setenv("NEWSINDEX_INDEX", str(tmp_path / "mine"))
    assert default_index_path() == tmp_path / "mine"
    assert default_index_path({"NEWSINDEX_INDEX": "~/x"}) == home / "x"


def test_commands_use_the_default_index(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    corpus: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NEWSINDEX_INDEX", str(tmp_path / "env-ix"))
    assert run(capsys, "index", "--stemmer", "none", str(corpus))[0] == EXIT_OK
    assert (tmp_path / "env-ix" / "newsindex.json").exists()
    status, out, _ = run(capsys, "search", "beras", "--json")
    assert status == EXIT_OK
    assert json.loads(out)["total"] == 1
    assert str(tmp_path / "env-ix") in run(capsys, "stats")[1]


# -- help and usage ------------------------------------------------------------


def test_every_command_and_option_has_help() -> None:
    parser = build_parser()
    (commands,) = [
        a for a in parser._actions if isinstance(a, argparse._SubParsersAction)
    ]
    summaries = {a.dest: a.help for a in commands._choices_actions}
    assert set(summaries) == {
        "index",
        "search",
        "related",
        "suggest",
        "stats",
        "eval",
        "check",
        "swap",
        "copy",
        "serve",
    }
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for name in summaries:
        assert f"newsindex {name}" in readme, f"README documents {name}"
    for name, sub in commands.choices.items():
        assert summaries[name]
        for action in sub._actions:
            assert action.help, f"{name} {action.option_strings or action.dest}"
    for action in parser._actions:
        assert action.help


def test_a_named_command_builds_only_its_parser_and_parses_the_same() -> None:
    argv = ["search", "--index", "ix", "--limit", "3", "--sort", "newest", "harga"]
    parser = build_parser(argv)
    assert _command_names(parser) == ["search"]
    assert parser.parse_args(argv) == build_parser().parse_args(argv)
    # No command first (help, a typo): every command, so the error lists them.
    assert len(_command_names(build_parser(["serch"]))) == 10


def test_the_search_command_imports_no_class_builder(sample_index: NewsIndex) -> None:
    """Importing attrs and building its classes took a fifth of the command's
    start (see _values.py): a search, from the command, imports none."""
    location = str(sample_index.location)
    script = (
        "import sys\n"
        "from newsindex.cli import main\n"
        f"status = main(['search', '--index', {location!r}, 'beras'])\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('attr', 'attrs')]\n"
        "print(status, loaded, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert "<mark>" in done.stdout or "beras" in done.stdout.lower()
    assert done.stderr.split("\n")[-2] == "0 []"


def _command_names(parser: argparse.ArgumentParser) -> list[str]:
    (commands,) = [
        a for a in parser._actions if isinstance(a, argparse._SubParsersAction)
    ]
    return list(commands.choices)


@pytest.mark.parametrize("command", [[], ["index"], ["search"], ["stats"], ["eval"]])
def test_help_output(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, *command, "--help")
    assert status == EXIT_OK
    assert "exit status:" in out
    assert "NEWSINDEX_INDEX" in out
    assert "3    indexing finished, but some records" in out


@pytest.mark.parametrize(
    "argv",
    [[], ["frobnicate"], ["search"], ["index"], ["search", "x", "--sort", "oldest"],
     ["search", "x", "--limit", "many"], ["index", "--stemmer", "porter", "a.jsonl"]],
)  # fmt: skip
def test_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, *argv)
    assert status == EXIT_USAGE
    assert "usage:" in err
    assert "Traceback" not in err


def test_python_dash_m_runs_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "newsindex", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (EXIT_OK, "")
    assert done.stdout == f"newsindex {__version__}\n"


def test_eval_reports_metrics_and_ranks(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with NewsIndex.open(built) as index:
        first = index.search("banjir", limit=1).hits[0].id
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        json.dumps(
            {"qid": "q1", "query": "banjir", "relevant": [first], "split": "dev"}
        )
        + "\n"
        + json.dumps(
            {"qid": "q2", "query": "zzzz", "relevant": ["none"], "split": "dev"}
        )
        + "\n"
        + json.dumps(
            {"qid": "q3", "query": "banjir", "relevant": [first], "split": "test"}
        )
        + "\n",
        encoding="utf-8",
    )
    status, out, _ = run(
        capsys,
        "eval",
        "--index",
        str(built),
        "--queries",
        str(queries),
        "--split",
        "dev",
        "--json",
        "--ranks",
    )
    assert status == EXIT_OK
    report = json.loads(out)
    assert report["queries"] == 2
    assert report["mrr@10"] == 0.5
    assert report["ranks"] == {"q1": 1, "q2": None}
    status, out, _ = run(
        capsys, "eval", "--index", str(built), "--queries", str(queries), "--ranks"
    )
    assert status == EXIT_OK
    assert "q2\t-" in out
    assert "3 queries  MRR@10 0.6667" in out


def test_eval_bad_queries_file_is_one_error_line(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"query": "banjir"}\n', encoding="utf-8")
    status, _, err = run(
        capsys, "eval", "--index", str(built), "--queries", str(queries)
    )
    assert status == EXIT_ERROR
    assert_one_error_line(err)
    assert "queries.jsonl:1" in err


def _workers(pid: int) -> list[int]:
    """The analysis workers of ``pid`` that are running Python (Linux: /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            with contextlib.suppress(OSError):
                if b"child_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                    found.append(int(child))
    return found


@pytest.mark.skipif(
    not Path("/proc/self/task").exists(), reason="reads child processes from /proc"
)
def test_ctrl_c_during_a_parallel_index_is_reported_once(tmp_path: Path) -> None:
    """Ctrl-C at a terminal signals the whole foreground process group; the
    analysis workers, even while they start, leave it to the command, which
    cancels, stops them and says so once."""
    source = tmp_path / "banyak.jsonl"
    # Enough for seconds of work: on a loaded machine this test may see the
    # workers late, and 3,000 articles were once indexed before the signal.
    with source.open("w", encoding="utf-8") as out:
        for i in range(30_000):
            record = {"id": f"a{i}", "title": f"Judul {i}", "body": "Isi berita"}
            out.write(json.dumps(record) + "\n")
    index = tmp_path / "index"
    command = ["index", "--index", str(index), "--jobs", "2", str(source)]
    process = subprocess.Popen(
        [sys.executable, "-m", "newsindex", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a process group of its own, as at a terminal
    )
    deadline = time.monotonic() + 30
    while len(_workers(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.002)
    assert _workers(process.pid), "no worker started"
    time.sleep(0.05)  # into their imports, past the interpreter's start
    os.killpg(process.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert err == "newsindex: error: interrupted\n"
    assert not index.exists()  # nothing committed, so nothing is left


# -- index: encodings, waiting, what a failed first run leaves, progress, jobs --


def test_index_reads_another_encoding_when_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    legacy = tmp_path / "lama.jsonl"
    legacy.write_bytes(
        "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in ARTICLES)
        .replace("Harga", "Hárga")
        .encode("cp1252")
    )
    index = tmp_path / "ix"
    argv = ["index", "--index", str(index), "--stemmer", "none", str(legacy)]
    status, out, err = run(capsys, *argv)
    assert status == EXIT_SKIPPED
    assert "0 added, 0 updated, 1 skipped" in out
    assert err.splitlines()[1:] == [
        f"  {legacy}: not UTF-8 (bytes such as 0xe1 at line 1 look like "
        "cp1252/Latin-1): 3 lines skipped; give --encoding cp1252 if that is "
        "what it is"
    ]
    status, out, err = run(capsys, *argv, "--encoding", "cp1252")
    assert (status, err) == (EXIT_OK, "")
    assert "3 added" in out
    with NewsIndex.open(index) as opened:
        found = opened.get("kompas-1")
        assert found is not None
        assert found.title.startswith("Hárga beras")


@pytest.mark.parametrize("name", ["klingon", "base64"])
def test_unknown_encoding_is_a_usage_error(
    corpus: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    status, _, err = run(capsys, "index", "--encoding", name, str(corpus))
    assert status == EXIT_USAGE
    assert f"unknown text encoding {name!r}" in err


def test_index_waits_for_another_writer_and_says_so(
    built: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["index", "--index", str(built), "--timeout", "0.2", str(corpus)]
    with NewsIndex.open(built) as index, index.writer():
        started = time.monotonic()
        status, out, err = run(capsys, *argv)
        waited = time.monotonic() - started
    assert (status, out) == (EXIT_ERROR, "")
    waiting, error = err.splitlines(keepends=True)
    assert waiting == (
        f"newsindex: waiting for another writer (pid {os.getpid()}) to finish, "
        "up to 0.2 s\n"
    )
    assert_one_error_line(error)
    assert f"another writer (pid {os.getpid()}) holds the lock" in error
    assert waited >= 0.2


def test_index_goes_on_when_the_other_writer_finishes(
    built: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with NewsIndex.open(built) as index:
        writer = index.writer()
        threading.Timer(0.3, writer.cancel).start()
        status, out, err = run(capsys, "index", "--index", str(built), str(corpus))
    assert status == EXIT_OK
    assert "0 added, 3 updated" in out
    assert err.startswith("newsindex: waiting for another writer (pid ")
    assert err.endswith(" to finish, up to 10 s\n")  # said once


def test_a_first_run_that_commits_nothing_leaves_no_directory(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "rusak.jsonl"
    bad.write_text("{oops\n", encoding="utf-8")
    index = tmp_path / "baru" / "dalam" / "ix"
    argv = ["index", "--index", str(index), "--strict", str(corpus), str(bad)]
    assert run(capsys, *argv)[0] == EXIT_ERROR
    assert not (tmp_path / "baru").exists()  # nor the folders made for it


def test_an_interrupted_first_run_leaves_no_directory(
    tmp_path: Path,
    corpus: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def interrupted(self: IndexWriter, article: object) -> bool:
        raise KeyboardInterrupt

    monkeypatch.setattr(IndexWriter, "add", interrupted)
    index = tmp_path / "ix"
    status, _, err = run(capsys, "index", "--index", str(index), str(corpus))
    assert (status, err) == (EXIT_INTERRUPTED, "newsindex: error: interrupted\n")
    assert not index.exists()


def test_a_failed_run_leaves_a_directory_that_was_there(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "rusak.jsonl"
    bad.write_text("{oops\n", encoding="utf-8")
    empty = tmp_path / "kosong"
    empty.mkdir()
    argv = ["index", "--index", str(empty), "--strict", str(corpus), str(bad)]
    assert run(capsys, *argv)[0] == EXIT_ERROR
    assert empty.is_dir()
    with NewsIndex.open(empty) as opened:  # the index it made, with nothing in
        assert opened.count() == 0


def test_a_new_index_that_another_writer_holds_is_left_alone(
    tmp_path: Path,
    corpus: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two first runs into one new folder: the one that fails for the lock
    does not remove the index the other one is writing."""
    index = tmp_path / "ix"
    real_open = _embedded.open_embedded
    held: list[IndexWriter] = []

    def create_and_lock(root: Path, settings: Any, *, create: bool | None) -> Any:
        made = real_open(root, settings, create=create)
        if not held:
            held.append(made.writer(timeout=0, jobs=1))  # the other run, writing
        return made

    monkeypatch.setattr(_embedded, "open_embedded", create_and_lock)
    argv = ["index", "--index", str(index), "--timeout", "0", str(corpus)]
    assert run(capsys, *argv)[0] == EXIT_ERROR
    held[0].cancel()
    assert (index / "newsindex.json").exists()


def test_quiet_shows_no_progress(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr = Terminal()
    monkeypatch.setattr("sys.stderr", stderr)
    argv = ["index", "--index", str(tmp_path / "ix"), "--quiet", str(corpus)]
    assert main(argv) == EXIT_OK
    assert stderr.getvalue() == ""


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def simulate(progress: Progress, clock: Clock, seconds: int, total: int) -> None:
    """An index run of ``seconds`` at 100 articles and ``total / seconds``
    bytes a second, reported after every article."""
    for done in range(1, seconds * 100 + 1):
        clock.now = 1000.0 + done / 100
        progress.read(total * done // (seconds * 100))
        progress(done)


STATUS = re.compile(
    r"(?P<articles>[\d,]+) articles?, (?P<share>\d+)% read"
    r"(, (?P<rate>[\d,]+)/s, (?P<left>.+) left)?"
)


def test_progress_on_a_terminal_rewrites_one_line() -> None:
    stream, clock = Terminal(), Clock()
    progress = Progress(stream, total_bytes=10_000_000, terminal=True, clock=clock)
    simulate(progress, clock, seconds=30, total=10_000_000)
    updates = stream.getvalue().split("\r")[1:]
    assert updates[0] == "1 article, 0% read\x1b[K"  # at once
    assert 250 <= len(updates) <= 310  # every 0.1 s
    assert all(u.endswith("\x1b[K") and STATUS.fullmatch(u[:-3]) for u in updates)
    halfway = next(STATUS.fullmatch(u[:-3]) for u in updates if u.startswith("1,5"))
    assert halfway is not None
    assert (halfway["share"], halfway["rate"], halfway["left"]) == ("50", "100", "15 s")
    progress.finish()
    assert stream.getvalue().endswith("\r\x1b[K")


@pytest.mark.parametrize("seconds", [5, 30, 600, 7200])
def test_progress_elsewhere_is_a_plain_line_now_and_then(seconds: int) -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, total_bytes=10_000_000, terminal=False, clock=clock)
    simulate(progress, clock, seconds=seconds, total=10_000_000)
    progress.finish()
    shown = stream.getvalue()
    assert "\r" not in shown
    assert "\x1b" not in shown
    lines = shown.splitlines()
    assert len(lines) <= 21
    if seconds < 10:
        assert lines == []
        return
    found = [STATUS.fullmatch(line.removeprefix("newsindex: ")) for line in lines]
    assert all(found)
    first = found[0]
    assert first is not None
    assert first["articles"] == "1,001"  # 10 s after the first
    assert first["rate"] == "100"
    assert first["left"] == _duration(round(10 * (seconds * 100 - 1001) / 1001))


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def test_progress_with_an_unknown_size_still_spaces_its_lines() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, terminal=False, clock=clock)
    simulate(progress, clock, seconds=3600, total=0)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "newsindex: 1,001 articles, 100/s"
    assert len(lines) <= 30


def test_jobs_default_by_input_size(
    tmp_path: Path,
    corpus: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert default_jobs(0) == default_jobs(PARALLEL_FROM_BYTES - 1) == 1
    assert default_jobs(PARALLEL_FROM_BYTES) == (os.cpu_count() or 1) or (
        default_jobs(PARALLEL_FROM_BYTES) == len(os.sched_getaffinity(0))
    )
    used: list[int] = []
    real_writer = NewsIndex.writer

    def writer(self: NewsIndex, *, timeout: float = 10.0, jobs: int = 1) -> IndexWriter:
        used.append(jobs)
        return real_writer(self, timeout=timeout, jobs=1)

    monkeypatch.setattr(NewsIndex, "writer", writer)
    index = ["index", "--index", str(tmp_path / "ix"), "--stemmer", "none"]
    assert run(capsys, *index, str(corpus))[0] == EXIT_OK
    assert run(capsys, *index, "--jobs", "3", str(corpus))[0] == EXIT_OK
    big = tmp_path / "besar.jsonl"
    with big.open("w", encoding="utf-8") as out:
        out.truncate(PARALLEL_FROM_BYTES)  # a hole: its size, and no records
    assert run(capsys, *index, str(big))[0] == EXIT_SKIPPED
    assert used == [1, 3, default_jobs(PARALLEL_FROM_BYTES)]


def test_copy_moves_every_article_in_batches_and_again_adds_nothing(
    tmp_path: Path,
    corpus: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source, dest = tmp_path / "sumber", tmp_path / "tujuan"
    run(capsys, "index", "--index", str(source), "--quiet", str(corpus))
    monkeypatch.setattr("newsindex._cli_commands.COPY_BATCH", 2)  # several commits
    status, out, _ = run(capsys, "copy", str(source), str(dest))
    assert status == EXIT_OK
    assert f"Copied {len(ARTICLES)} articles" in out
    with NewsIndex.open(source) as a, NewsIndex.open(dest) as b:
        assert sorted(a, key=lambda x: x.id) == sorted(b, key=lambda x: x.id)
        assert b.analyzer == a.analyzer
    status, out, _ = run(capsys, "copy", str(source), str(dest))
    assert "(0 new)" in out
    with NewsIndex.open(dest) as b:
        assert b.count() == len(ARTICLES)
