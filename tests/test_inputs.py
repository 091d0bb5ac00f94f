"""Tests of newsindex._inputs and _records: reading article files, bulk indexing."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsindex import (
    Analyzer,
    Article,
    ConfigurationError,
    IndexLockedError,
    InputError,
    NewsIndex,
)
from newsindex import _records as records_module
from newsindex._inputs import IngestReport, Problem, ingest, input_size, iter_records
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


# -- encodings -----------------------------------------------------------------

ACCENTED = [
    {"id": "e1", "title": "Kafé di Bandung", "body": "Harga kopi naïk lagi."},
    {"id": "e2", "title": "Sate", "body": "Penjual saté di Blok M."},
    {"id": "e3", "title": "Berita biasa", "body": "Tanpa huruf beraksen."},
]
CSV_ACCENTED = "id,title,body\r\n" + "".join(
    f"{a['id']},{a['title']},{a['body']}\r\n" for a in ACCENTED
)
UTF16 = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}


def encoded(text: str, codec: str) -> bytes:
    """``text`` in ``codec``, after its byte order mark for UTF-16."""
    return UTF16.get(codec, b"") + text.encode(codec)


@pytest.mark.parametrize("codec", sorted(UTF16))
@pytest.mark.parametrize(
    ("name", "text"),
    [("a.jsonl", jsonl(*ACCENTED)), ("a.csv", CSV_ACCENTED)],
)
def test_utf16_with_a_byte_order_mark(
    tmp_path: Path, codec: str, name: str, text: str
) -> None:
    path = write(tmp_path / name, encoded(text, codec))
    found = articles(path)
    assert [(a.id, a.title, a.body) for a in found] == [
        (r["id"], r["title"], r["body"]) for r in ACCENTED
    ]


@pytest.mark.parametrize("codec", sorted(UTF16))
def test_utf16_text_file(tmp_path: Path, codec: str) -> None:
    text = "Kafé di Bandung\r\nHarga kopi naïk lagi.\r\n"
    (article,) = articles(write(tmp_path / "a.txt", encoded(text, codec)))
    assert (article.title, article.body) == ("Kafé di Bandung", "Harga kopi naïk lagi.")


def test_utf32_with_a_byte_order_mark(tmp_path: Path) -> None:
    data = b"\xff\xfe\x00\x00" + jsonl(*ACCENTED).encode("utf-32-le")
    found = articles(write(tmp_path / "a.jsonl", data))
    assert [a.title for a in found] == [a["title"] for a in ACCENTED]


def test_utf16_line_numbers_and_bad_lines(tmp_path: Path) -> None:
    text = jsonl(ACCENTED[0]) + "\n{oops\n" + jsonl(ACCENTED[1])
    data = encoded(text, "utf-16-le")
    lone = "\ud800".encode("utf-16-le", "surrogatepass")
    data += '{"body": "a '.encode("utf-16-le") + lone + '"}\n'.encode("utf-16-le")
    path = write(tmp_path / "a.jsonl", data)
    found = list(iter_records(path))
    assert [type(r) for r in found] == [Article, Problem, Article, Problem]
    assert [r.line for r in found if isinstance(r, Problem)] == [3, 5]
    assert isinstance(found[3], Problem)
    assert found[3].reason == "not valid UTF-16 (U+D800 at column 13)"


def test_utf16_cut_in_the_middle_of_a_character(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", encoded(jsonl(BERAS), "utf-16-le") + b"x")
    found = list(iter_records(path))
    assert isinstance(found[0], Article)
    assert found[1] == Problem(
        str(path), None, "cannot be decoded (truncated data); rest of file skipped"
    )


@pytest.mark.parametrize(
    ("name", "text", "where", "skipped"),
    [
        ("a.jsonl", jsonl(*ACCENTED), "line 1", ": 2 lines skipped"),
        ("a.csv", CSV_ACCENTED, "row 2", ": 2 rows skipped"),
        ("a.txt", "Kafé\n\nHarga kopi naïk lagi.\n", "line 1", ""),
    ],
)
def test_a_file_in_another_encoding_is_one_problem_with_a_hint(
    tmp_path: Path, name: str, text: str, where: str, skipped: str
) -> None:
    path = write(tmp_path / name, text.encode("cp1252"))
    found = list(iter_records(path))
    hint = Problem(
        str(path),
        None,
        f"not UTF-8 (bytes such as 0xe9 at {where} look like cp1252/Latin-1)"
        f"{skipped}; give --encoding cp1252 if that is what it is",
    )
    if name == "a.txt":
        assert found == [hint]
    else:  # the record in plain ASCII is read
        assert found[0] == hint
        assert [r.id for r in found[1:] if isinstance(r, Article)] == ["e3"]
        assert len(found) == 2


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("a.jsonl", jsonl(*ACCENTED)),
        ("a.csv", CSV_ACCENTED),
        ("a.txt", "Kafé di Bandung\nHarga kopi naïk lagi.\n"),
    ],
)
def test_a_named_encoding_is_read(tmp_path: Path, name: str, text: str) -> None:
    path = write(tmp_path / name, text.encode("cp1252"))
    found = list(iter_records(path, encoding="cp1252"))
    assert all(isinstance(r, Article) for r in found)
    assert {a.title for a in found if isinstance(a, Article)} >= {"Kafé di Bandung"}


def test_a_named_encoding_reports_its_own_bad_bytes(tmp_path: Path) -> None:
    # 0x81 means nothing in cp1252; the other lines read fine.
    data = "Kafé\n".encode("cp1252") + b"Isi \x81 berita\nlagi\n"
    path = write(tmp_path / "a.txt", data)
    (problem,) = problems(path)  # read as UTF-8, both lines fail
    assert "look like cp1252" in problem.reason
    assert list(iter_records(path, encoding="cp1252")) == [
        Problem(str(path), 2, "not valid cp1252 (byte 0x81 at column 5)")
    ]


def test_stray_bad_lines_among_good_ones_are_reported_one_by_one(
    tmp_path: Path,
) -> None:
    good = jsonl(*ACCENTED[:2]).encode()  # valid UTF-8, not plain ASCII
    data = good + b'{"body": "Harga \xe9 naik"}\n' + good + b'{"body": "\xff"}\n'
    found = list(iter_records(write(tmp_path / "a.jsonl", data)))
    assert [r.line for r in found if isinstance(r, Problem)] == [3, 6]
    assert sum(isinstance(r, Article) for r in found) == 4


def test_a_byte_order_mark_is_not_text_in_a_named_utf_encoding(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", encoded(CSV_ACCENTED, "utf-16-le"))
    assert len(list(iter_records(path, encoding="utf-16-le"))) == 3
    path = write(tmp_path / "b.csv", "\ufeff" + CSV_ACCENTED)
    assert len(list(iter_records(path, encoding="utf-8"))) == 3


@pytest.mark.parametrize("encoding", ["klingon", "base64", ""])
def test_unknown_encodings_are_refused_at_once(
    index: NewsIndex, tmp_path: Path, encoding: str
) -> None:
    with pytest.raises(ConfigurationError, match="unknown text encoding"):
        iter_records(tmp_path, encoding=encoding)  # not only when first read
    with pytest.raises(ConfigurationError, match="unknown text encoding"):
        ingest(index, tmp_path, encoding=encoding)


def test_ingest_reads_a_named_encoding(index: NewsIndex, tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", jsonl(*ACCENTED).encode("cp1252"))
    report = ingest(index, path, encoding="cp1252")
    assert (report.added, report.skipped) == (3, ())
    found = get(index, "e1")
    assert found is not None
    assert found.title == "Kafé di Bandung"


# -- progress, size, waiting ---------------------------------------------------


def test_progress_in_bytes_reaches_the_input_size(
    index: NewsIndex, tmp_path: Path
) -> None:
    write(tmp_path / "data" / "a.jsonl", jsonl(BERAS, BANJIR) + "{rusak\n")
    write(tmp_path / "data" / "b.csv", CSV_TEXT)
    write(tmp_path / "data" / "c.txt", "Judul\nIsi berita.\n")
    write(tmp_path / "data" / "d.md", "bukan berita")
    total = input_size([tmp_path / "data", tmp_path / "tidak-ada.jsonl"])
    assert total == sum(
        (tmp_path / "data" / n).stat().st_size for n in ("a.jsonl", "b.csv", "c.txt")
    )
    seen: list[int] = []
    report = ingest(index, tmp_path / "data", progress_bytes=seen.append)
    assert report.added == 6
    assert len(seen) == 6
    assert seen == sorted(seen)
    assert seen[0] > 0
    assert seen[-1] == total


def test_ingest_says_when_it_waits_for_another_writer(
    index: NewsIndex, tmp_path: Path
) -> None:
    path = write(tmp_path / "a.jsonl", jsonl(BERAS))
    told: list[IndexLockedError] = []
    with (
        NewsIndex.open(index.path) as other,
        other.writer(),
        pytest.raises(IndexLockedError) as caught,
    ):
        ingest(index, path, timeout=0.1, waiting=told.append)
    (first,) = told
    assert first.holder == os.getpid()
    assert caught.value.waited >= 0.1
    assert ingest(index, path, waiting=told.append).added == 1
    assert len(told) == 1  # not told when the lock is free
