"""Tests of newsindex._inputs and _records: reading article files, bulk indexing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsindex import Analyzer, Article, ConfigurationError, InputError, NewsIndex
from newsindex import _records as records_module
from newsindex._inputs import IngestReport, Problem, ingest, iter_records
from newsindex._records import stable_id

BERAS = {
    "id": "kompas-1",
    "title": "Harga beras naik menjelang Lebaran",
    "body": "Kenaikan harga beras di Pasar Induk Cipinang membuat pedagang resah.",
    "published": "2024-03-28",
    "source": "kompas.com",
    "category": "Ekonomi",
    "url": "https://kompas.com/beras",
    "penulis": "Siti",
}
BANJIR = {
    "id": "detik-7",
    "title": "Banjir melanda Bekasi",
    "body": "Hujan deras semalam membuat banjir setinggi satu meter di Bekasi.",
    "date": "2024-01-05T07:30:00+07:00",
    "source": "detik.com",
}


@pytest.fixture
def index(tmp_path: Path) -> Iterator[NewsIndex]:
    """An index that the tests only write to; reads go through a fresh copy.

    (A NewsIndex read before and after a commit that changes an existing
    segment leaves the old segment's files to the garbage collector, which
    warns; see the report on index.py.)
    """
    with NewsIndex.create(tmp_path / "ix", analyzer=Analyzer(stemmer="none")) as ix:
        yield ix


def count(index: NewsIndex) -> int:
    with NewsIndex.open(index.path) as fresh:
        return fresh.count()


def get(index: NewsIndex, article_id: str) -> Article | None:
    with NewsIndex.open(index.path) as fresh:
        return fresh.get(article_id)


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.write_bytes(data)
    return path


def jsonl(*records: Any) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def articles(path: Path) -> list[Article]:
    found = list(iter_records(path))
    assert all(isinstance(r, Article) for r in found), found
    return [r for r in found if isinstance(r, Article)]


def problems(path: Path) -> list[Problem]:
    return [r for r in iter_records(path) if isinstance(r, Problem)]


# -- JSON Lines ----------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson", ".JSONL"])
def test_jsonl_fields_and_extra(tmp_path: Path, suffix: str) -> None:
    path = write(tmp_path / f"berita{suffix}", jsonl(BERAS, BANJIR))
    beras, banjir = articles(path)
    assert beras.id == "kompas-1"
    assert beras.published == dt.date(2024, 3, 28)
    assert beras.category == "Ekonomi"
    assert beras.extra == {"penulis": "Siti"}
    assert banjir.published == dt.datetime(
        2024, 1, 5, 7, 30, tzinfo=dt.timezone(dt.timedelta(hours=7))
    )


def test_jsonl_bom_crlf_and_blank_lines(tmp_path: Path) -> None:
    text = "\ufeff" + jsonl(BERAS) + "\n   \n\n" + jsonl(BANJIR)
    path = write(tmp_path / "berita.jsonl", text.replace("\n", "\r\n"))
    assert [a.id for a in articles(path)] == ["kompas-1", "detik-7"]


def test_jsonl_line_numbers_count_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", "\n" + jsonl(BERAS) + "\n{oops\n")
    (problem,) = problems(path)
    assert (problem.path, problem.line) == (str(path), 4)
    assert problem.reason.startswith("invalid JSON")


BAD_LINES = [
    ("{oops", "invalid JSON"),
    ('{"body": "a"', "invalid JSON"),
    ('{"body": NaN}', "NaN is not valid JSON"),
    ("[1, 2]", "not a JSON object but an array"),
    ('"teks"', "not a JSON object but a string"),
    ("42", "not a JSON object but a number"),
    ("null", "not a JSON object but null"),
    ('{"title": "Tanpa isi"}', "missing body"),
    ('{"title": "Kosong", "body": "  "}', "empty body"),
    ('{"title": 5, "body": "Isi berita"}', "'title' must be text, not a number"),
    ('{"body": "Isi", "source": ["a"]}', "'source' must be text, not an array"),
    ('{"body": {"teks": "Isi"}}', "'body' must be text, not an object"),
    ('{"body": "Isi", "id": true}', "'id' must be text"),
    ('{"body": "Isi", "date": [2024, 1, 1]}', "not list"),
    ('{"body": "Isi", "published": "kemarin"}', "not ISO 8601"),
    ('{"body": "Isi", "published": "2024-02-30"}', "not ISO 8601"),
    ('{"body": "Isi", "id": "a\\u0001b"}', "control characters"),
    ('{"body": "Isi \\ud800 rusak"}', "lone surrogate"),
    ('{"body": "Isi", "catatan": "\\udc80"}', "lone surrogate"),
    ("[" * 100_000 + "]" * 100_000, "invalid JSON"),
]


@pytest.mark.parametrize(("line", "reason"), BAD_LINES)
def test_jsonl_bad_line_is_reported_and_reading_goes_on(
    tmp_path: Path, line: str, reason: str
) -> None:
    path = write(tmp_path / "a.jsonl", jsonl(BERAS) + line + "\n" + jsonl(BANJIR))
    found = list(iter_records(path))
    assert [type(r) for r in found] == [Article, Problem, Article]
    problem = found[1]
    assert isinstance(problem, Problem)
    assert (problem.path, problem.line) == (str(path), 2)
    assert reason in problem.reason


def test_jsonl_non_utf8_bytes(tmp_path: Path) -> None:
    data = (
        jsonl(BERAS).encode()
        + b'{"body": "Harga \xff\xfe naik"}\n'
        + jsonl(BANJIR).encode()
    )
    path = write(tmp_path / "a.jsonl", data)
    (problem,) = problems_and_keep_going(path, expected_articles=2)
    assert problem.line == 2
    assert "not valid UTF-8" in problem.reason
    assert "0xff" in problem.reason


def problems_and_keep_going(path: Path, expected_articles: int) -> list[Problem]:
    found = list(iter_records(path))
    assert sum(isinstance(r, Article) for r in found) == expected_articles
    return [r for r in found if isinstance(r, Problem)]


def test_integer_id_becomes_text(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", jsonl({**BERAS, "id": 17}))
    assert articles(path)[0].id == "17"


def test_null_date_beside_published_is_fine(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", jsonl({**BERAS, "date": None}))
    assert articles(path)[0].published == dt.date(2024, 3, 28)


def test_over_long_line_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The readers look the limit up where they are defined.
    monkeypatch.setattr(records_module, "MAX_RECORD_BYTES", 1000)
    long = json.dumps({"body": "kata " * 1000})
    path = write(tmp_path / "a.jsonl", long + "\n" + jsonl(BERAS))
    found = list(iter_records(path))
    assert isinstance(found[0], Problem)
    assert found[0].line == 1
    assert "longer than" in found[0].reason
    assert isinstance(found[1], Article)


def test_twenty_megabyte_article(tmp_path: Path) -> None:
    body = "Pemerintah menaikkan harga bahan bakar minyak. " * 440_000
    assert len(body) > 20_000_000
    path = write(tmp_path / "besar.jsonl", jsonl({**BERAS, "body": body}))
    (article,) = articles(path)
    assert article.body == body


# -- CSV -----------------------------------------------------------------------

CSV_TEXT = (
    "id,Title,body,date,source,category,url,penulis\r\n"
    'c1,"Gempa, Cianjur","Gempa mengguncang\r\nCianjur pagi ini",2024-01-02,'
    "detik.com,Nasional,https://detik.com/gempa,Budi\r\n"
    ",Tanpa id,Isi berita tanpa id,,,,,\r\n"
    "\r\n"
    "c3,Judul,Isi ketiga,,tempo.co,,,\r\n"
)


def test_csv_fields_extra_crlf_and_bom(tmp_path: Path) -> None:
    path = write(tmp_path / "berita.csv", "\ufeff" + CSV_TEXT)
    gempa, tanpa, ketiga = articles(path)
    assert gempa.id == "c1"
    assert gempa.title == "Gempa, Cianjur"
    assert gempa.body == "Gempa mengguncang\nCianjur pagi ini"
    assert gempa.published == dt.date(2024, 1, 2)
    assert (gempa.source, gempa.category) == ("detik.com", "Nasional")
    assert gempa.extra == {"penulis": "Budi"}
    assert tanpa.id.startswith("sha-")
    assert tanpa.published is None
    assert ketiga.source == "tempo.co"


def test_csv_published_column(tmp_path: Path) -> None:
    path = write(tmp_path / "b.csv", "body,published\nIsi berita,2024-06-01\n")
    assert articles(path)[0].published == dt.date(2024, 6, 1)


def test_csv_big_field(tmp_path: Path) -> None:
    body = "kata " * 100_000  # beyond csv's default 128 KiB field limit
    path = write(tmp_path / "b.csv", f"id,body\nx,{body}\n")
    assert articles(path)[0].body == body


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("c9,Judul", "2 fields, but the header has 3 columns"),
        ("c9,Judul,Isi,lebih", "4 fields, but the header has 3 columns"),
        ("c9,Judul,", "missing body"),
        (",Judul,  ", "missing body"),
    ],
)
def test_csv_bad_rows(tmp_path: Path, row: str, reason: str) -> None:
    path = write(tmp_path / "b.csv", f"id,title,body\nc1,A,Isi\n{row}\nc3,C,Isi\n")
    found = list(iter_records(path))
    assert [type(r) for r in found] == [Article, Problem, Article]
    assert found[1] == Problem(str(path), 3, reason)


def test_csv_bad_date_row(tmp_path: Path) -> None:
    path = write(tmp_path / "b.csv", "body,date\nIsi,2024-01-01\nIsi,besok\n")
    (problem,) = problems_and_keep_going(path, expected_articles=1)
    assert problem.line == 3
    assert "not ISO 8601" in problem.reason


def test_csv_non_utf8_row(tmp_path: Path) -> None:
    data = b"id,body\nc1,Isi\nc2,Isi \xe9 rusak\nc3,Isi lagi\n"
    path = write(tmp_path / "b.csv", data)
    (problem,) = problems_and_keep_going(path, expected_articles=2)
    assert (problem.line, problem.reason) == (3, "column 2 is not valid UTF-8")


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("id,title", "the header has no 'body' column"),
        ("id,body,Body", "column 'body' appears more than once in the header"),
        ("id,body,ca\udce9", "header is not valid UTF-8"),
    ],
)
def test_csv_bad_header_stops_the_file(
    tmp_path: Path, header: str, reason: str
) -> None:
    data = header.encode("utf-8", "surrogateescape") + b"\nx,y,z\n"
    path = write(tmp_path / "b.csv", data)
    assert list(iter_records(path)) == [Problem(str(path), 1, reason)]


def test_csv_unnamed_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "b.csv", "id,body,\nc1,Isi,\nc2,Isi,nilai\n")
    found = list(iter_records(path))
    assert isinstance(found[0], Article)
    assert found[1] == Problem(str(path), 3, "a value in column 3, which has no name")


# -- plain text ----------------------------------------------------------------


def test_txt_title_and_body(tmp_path: Path) -> None:
    text = (
        "\ufeff\r\n\r\n  Banjir di Jakarta  \r\n"
        "Air setinggi dada.\r\n\r\nWarga mengungsi.\r\n"
    )
    path = write(tmp_path / "banjir.txt", text)
    (article,) = articles(path)
    assert article.title == "Banjir di Jakarta"
    assert article.body == "Air setinggi dada.\n\nWarga mengungsi."
    assert article.id == stable_id(article.title, article.body)


def test_txt_problems(tmp_path: Path) -> None:
    only_title = write(tmp_path / "judul.txt", "Hanya judul\n\n")
    assert problems(only_title) == [Problem(str(only_title), None, "empty body")]
    broken = write(tmp_path / "rusak.txt", b"Judul\nBaris dua\nBaris \xc3( tiga\n")
    (problem,) = problems(broken)
    assert problem.line == 3
    assert "not valid UTF-8 (byte 0xc3 at column 7)" in problem.reason


@pytest.mark.parametrize(
    "name", ["kosong.jsonl", "kosong.csv", "kosong.txt", "kosong.ndjson"]
)
@pytest.mark.parametrize("content", ["", "\n\n", "\ufeff"])
def test_empty_file(tmp_path: Path, name: str, content: str) -> None:
    path = write(tmp_path / name, content)
    assert list(iter_records(path)) == [
        Problem(str(path), None, "empty file: no records")
    ]


# -- files and directories -----------------------------------------------------


def test_directory_recursion_order_hidden_and_other_extensions(tmp_path: Path) -> None:
    root = tmp_path / "data"
    write(root / "b" / "dua.jsonl", jsonl({"id": "2", "body": "dua"}))
    write(root / "a.txt", "Satu\nIsi satu")
    write(root / "b" / "c" / "tiga.csv", "id,body\n3,tiga\n")
    write(root / "catatan.md", "# bukan berita")
    write(root / ".tersembunyi" / "x.jsonl", jsonl({"id": "hidden", "body": "x"}))
    write(root / ".x.jsonl", jsonl({"id": "hidden2", "body": "x"}))
    found = list(iter_records(root))
    ids = [r.id for r in found if isinstance(r, Article)]
    # Depth first, by name: b/c/tiga.csv comes before b/dua.jsonl.
    assert ids == [stable_id("Satu", "Isi satu"), "3", "2"]
    (problem,) = [r for r in found if isinstance(r, Problem)]
    assert problem.path == str(root / "catatan.md")
    assert problem.line is None
    assert "not a supported file type (.md)" in problem.reason


def test_missing_path_and_explicit_unsupported_file(tmp_path: Path) -> None:
    missing = tmp_path / "tidak-ada.jsonl"
    (problem,) = problems(missing)
    assert problem == Problem(str(missing), None, problem.reason)
    assert "No such file" in problem.reason
    other = write(tmp_path / "berita.xml", "<x/>")
    assert "not a supported file type (.xml)" in problems(other)[0].reason


def test_the_index_directory_is_not_read(index: NewsIndex, tmp_path: Path) -> None:
    write(tmp_path / "a.jsonl", jsonl(BERAS))
    report = ingest(index, tmp_path)  # tmp_path holds the index, in ix/
    assert (report.added, report.files, report.skipped) == (1, 1, ())


def test_symlink_loop_is_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "data"
    write(root / "a.jsonl", jsonl(BERAS))
    (root / "loop").symlink_to(root, target_is_directory=True)
    assert [a.id for a in articles(root)] == ["kompas-1"]


# -- ids -----------------------------------------------------------------------


def test_stable_ids() -> None:
    assert stable_id("t", "b", " https://x.id/a ") == stable_id(
        "", "", "https://x.id/a"
    )
    assert stable_id("t", "b", "https://x.id/a").startswith("url-")
    assert len(stable_id("t", "b")) == len("sha-") + 16
    assert stable_id("t", "b") != stable_id("t", "b2")
    assert stable_id("t", "b") == stable_id("t", "b")


def test_generated_ids_are_stable_across_runs(index: NewsIndex, tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.jsonl",
        jsonl(
            {"title": "Tanpa id", "body": "Isi pertama"},
            {"title": "Pakai url", "body": "Isi kedua", "url": "https://x.id/2"},
            {"id": "", "title": "Id kosong", "body": "Isi ketiga"},
        ),
    )
    first = [a.id for a in articles(path)]
    assert first == [a.id for a in articles(path)]
    assert first[0].startswith("sha-")
    assert first[1] == "url-" + first[1][4:]
    assert len(set(first)) == 3
    report = ingest(index, path)
    assert (report.added, report.updated, count(index)) == (3, 0, 3)
    again = ingest(index, [path])
    assert (again.added, again.updated, count(index)) == (0, 3, 3)
    assert all(get(index, i) is not None for i in first)


# -- ingest --------------------------------------------------------------------


def test_ingest_report(index: NewsIndex, tmp_path: Path) -> None:
    good = write(tmp_path / "a.jsonl", jsonl(BERAS, BANJIR) + "{rusak\n")
    other = write(tmp_path / "b.csv", CSV_TEXT)
    seen: list[int] = []
    report = ingest(index, [good, str(other)], progress=seen.append)
    assert isinstance(report, IngestReport)
    assert (report.added, report.updated, report.files) == (5, 0, 2)
    assert report.skipped == (Problem(str(good), 3, report.skipped[0].reason),)
    assert seen == [1, 2, 3, 4, 5]
    assert count(index) == 5
    assert (
        get(index, "kompas-1") == articles(write(tmp_path / "c.jsonl", jsonl(BERAS)))[0]
    )
    as_dict = report.to_dict()
    assert as_dict["skipped"][0]["line"] == 3
    assert set(as_dict) == {"added", "updated", "skipped", "files", "seconds"}
    json.dumps(as_dict)


def test_duplicate_ids_in_one_run(index: NewsIndex, tmp_path: Path) -> None:
    later = {**BERAS, "title": "Harga beras turun"}
    path = write(tmp_path / "a.jsonl", jsonl(BERAS, BANJIR, later))
    report = ingest(index, path)
    assert (report.added, report.updated) == (2, 1)
    assert count(index) == 2
    stored = get(index, "kompas-1")
    assert stored is not None
    assert stored.title == "Harga beras turun"


def test_strict_commits_nothing(index: NewsIndex, tmp_path: Path) -> None:
    ingest(index, write(tmp_path / "lama.jsonl", jsonl(BANJIR)))
    path = write(tmp_path / "a.jsonl", jsonl(BERAS) + '{"title": 5, "body": "x"}\n')
    with pytest.raises(InputError) as caught:
        ingest(index, path, strict=True)
    assert (caught.value.path, caught.value.line) == (str(path), 2)
    assert "'title' must be text" in caught.value.reason
    assert str(caught.value).startswith(f"{path}:2: ")
    assert count(index) == 1
    assert get(index, "kompas-1") is None
    # The lock was released: a later run writes.
    assert ingest(index, write(tmp_path / "b.jsonl", jsonl(BERAS))).added == 1


def test_strict_rejects_unsupported_files(index: NewsIndex, tmp_path: Path) -> None:
    write(tmp_path / "data" / "a.jsonl", jsonl(BERAS))
    write(tmp_path / "data" / "b.md", "catatan")
    with pytest.raises(InputError) as caught:
        ingest(index, tmp_path / "data", strict=True)
    assert caught.value.line is None
    assert count(index) == 0


@pytest.mark.parametrize("jobs", [0, -1, True, 1.5])
def test_bad_jobs(index: NewsIndex, tmp_path: Path, jobs: Any) -> None:
    with pytest.raises(ConfigurationError, match="jobs") as caught:
        ingest(index, tmp_path, jobs=jobs)
    assert isinstance(caught.value, ValueError)  # what callers caught before


def test_jobs_is_passed_to_the_writer(
    index: NewsIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    original = index.writer

    def writer(*, timeout: float = 10.0, jobs: int = 1) -> Any:
        calls.append(jobs)
        return original(timeout=timeout)

    monkeypatch.setattr(index, "writer", writer)
    ingest(index, write(tmp_path / "a.jsonl", jsonl(BERAS)), jobs=3)
    assert calls == [3]


def test_problem_str() -> None:
    assert str(Problem("a.jsonl", 3, "invalid JSON")) == "a.jsonl:3: invalid JSON"
    assert str(Problem("a.txt", None, "empty body")) == "a.txt: empty body"
