"""Tests of the ``newsindex`` command (newsindex.cli)."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsindex import IndexWriter, NewsIndex, __version__
from newsindex.cli import (
    EXIT_ERROR,
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
    with NewsIndex.open(index) as opened:
        assert opened.count() == 0


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
    assert_one_error_line(err)
    assert "lock" in err


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
    assert "\r1 article (" in shown
    assert "/s)" in shown
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
    assert set(summaries) == {"index", "search", "stats", "eval", "check", "swap"}
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for name in summaries:
        assert f"newsindex {name}" in readme, f"README documents {name}"
    for name, sub in commands.choices.items():
        assert summaries[name]
        for action in sub._actions:
            assert action.help, f"{name} {action.option_strings or action.dest}"
    for action in parser._actions:
        assert action.help


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
    with source.open("w", encoding="utf-8") as out:
        for i in range(3_000):
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
    with NewsIndex.open(index) as opened:
        assert opened.count() == 0  # nothing committed
