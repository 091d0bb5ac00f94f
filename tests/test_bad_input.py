"""Bad input files, end to end through ``newsindex index`` and ``ingest``.

tests/test_inputs.py covers each kind of bad record on its own. Here one
directory holds many of them at once, in every format, with a byte order
mark and CRLF line ends; the list of skipped records (file and line) must
equal the planted problems exactly, the exit status must be 3, and every
good record must be indexed. With ``--strict`` the first problem stops the
run (status 1) and the index is left exactly as it was.
"""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from newsindex import Analyzer, Article, NewsIndex, ingest
from newsindex import _records as records_module
from newsindex._directory import INDEX_NAME
from newsindex.cli import EXIT_ERROR, EXIT_SKIPPED, main

GOOD = {"title": "Harga beras naik", "body": "Harga beras di pasar naik lagi."}


def jsonl(record: dict) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode()


def nested(article_id: str, depth: int) -> bytes:
    """A record whose metadata nests ``depth`` objects deep."""
    meta = '{"a":' * depth + "1" + "}" * depth
    return f'{{"id": "{article_id}", "body": "Isi berita", "meta": {meta}}}'.encode()


# Each file: (relative path, lines of bytes, the planted problems as
# (line or None, words the reason must contain), ids of its good records).
# Lines are joined with CRLF; the first line of JSON Lines and CSV files
# starts with a byte order mark.
PLANTED = [
    (
        "a_berita.jsonl",
        [
            jsonl({**GOOD, "id": "j1"}),
            b"{oops",
            b"[1, 2]",
            jsonl({"title": "Tanpa isi"}),
            jsonl({"title": "Kosong", "body": "   "}),
            jsonl({"title": 5, "body": "Isi berita"}),
            jsonl({"body": "Isi berita", "date": [2024, 1, 1]}),
            jsonl({"body": "Isi berita", "published": "kemarin"}),
            b'{"body": "Harga \xff\xfe naik"}',
            jsonl({**GOOD, "id": "dup", "body": "versi pertama"}),
            b"",
            jsonl({**GOOD, "id": "dup", "body": "versi kedua"}),
            jsonl({"body": "Berita tanpa id", "url": "https://example.com/a"}),
        ],
        [
            (2, "invalid JSON"),
            (3, "not a JSON object"),
            (4, "missing body"),
            (5, "empty body"),
            (6, "'title' must be text"),
            (7, "list"),
            (8, "ISO 8601"),
            (9, "not valid UTF-8"),
        ],
        ["j1", "dup", "url-"],
    ),
    (
        "b_tabel.csv",
        [
            b"id,title,body,date,source",
            b'c1,"Gempa, Cianjur","Gempa mengguncang\r\nCianjur",2024-01-02,detik',
            b"c2,Judul saja",
            b"c3,Judul,,2024-01-01,detik",
            b"c4,Judul,Isi berita,2024-13-45,detik",
            b"c5,Judul,Isi \xff berita,2024-01-01,detik",
            b"c6,Judul,Isi berita lain,,kompas",
        ],
        [
            (3, "fields"),
            (4, "missing body"),
            (5, "ISO 8601"),
            (6, "not valid UTF-8"),
        ],
        ["c1", "c6"],
    ),
    ("c_teks.txt", [b"Judul teks", b"", b"Isi berita dari teks."], [], ["sha-"]),
    ("d_rusak.txt", [b"Judul", b"Isi \xff\xfe rusak"], [(2, "not valid UTF-8")], []),
    ("e_kosong.jsonl", [], [(None, "empty file")], []),
    ("f_spasi.txt", [b"   ", b"", b""], [(None, "empty file")], []),
    ("g_catatan.md", [b"# bukan berita"], [(None, "not a supported file type")], []),
    (
        "h_sub/i_dalam.ndjson",
        [jsonl({**GOOD, "id": "n1"}), b"null", jsonl({**GOOD, "id": "n2"})],
        [(2, "not a JSON object")],
        ["n1", "n2"],
    ),
]


def plant(folder: Path) -> list[tuple[str, int | None, str]]:
    """Write the PLANTED files; return the expected problems in reading order."""
    expected = []
    for name, lines, problems, _ in PLANTED:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = b"\r\n".join(lines) + (b"\r\n" if lines else b"")
        if name.endswith((".jsonl", ".ndjson", ".csv")) and lines:
            data = b"\xef\xbb\xbf" + data
        path.write_bytes(data)
        expected += [(str(path), line, words) for line, words in problems]
    return expected


def good_ids() -> list[str]:
    return [i for *_, ids in PLANTED for i in ids]


_LISTED = re.compile(r"^  (.+?)(?::(\d+))?: (.*)$")


def listed_problems(stderr: str) -> list[tuple[str, int | None, str]]:
    """(file, line, reason) of each skipped record the command listed."""
    found = []
    for line in stderr.splitlines():
        match = _LISTED.match(line)
        if match:
            number = int(match[2]) if match[2] else None
            found.append((match[1], number, match[3]))
    return found


def assert_same_problems(
    found: list[tuple[str, int | None, str]],
    expected: list[tuple[str, int | None, str]],
) -> None:
    assert [(path, line) for path, line, _ in found] == [
        (path, line) for path, line, _ in expected
    ]
    for (_, _, reason), (path, line, words) in zip(found, expected, strict=True):
        assert words.lower() in reason.lower(), (path, line, reason)


def assert_holds_the_good_records(path: Path) -> None:
    with NewsIndex.open(path) as index:
        ids = sorted(
            h.id for h in index.search("berita OR judul OR harga OR gempa", limit=100)
        )
        assert index.count() == len(ids) == len(good_ids())
        for wanted in good_ids():
            assert any(i.startswith(wanted) for i in ids), wanted
        dup = index.get("dup")
        assert dup is not None
        assert dup.body == "versi kedua"  # the later copy in the file wins
        c1 = index.get("c1")
        assert c1 is not None
        assert c1.body == "Gempa mengguncang\nCianjur"  # CRLF inside a cell


def test_index_skips_each_planted_problem_and_indexes_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = tmp_path / "kotak"
    expected = plant(inbox)
    assert len(expected) < 20  # the command lists the first 20
    index = tmp_path / "index"
    status = main(["index", "--index", str(index), "--stemmer", "none", str(inbox)])
    out, err = capsys.readouterr()
    assert status == EXIT_SKIPPED
    assert f"{len(expected)} skipped" in out
    assert "Traceback" not in err
    assert_same_problems(listed_problems(err), expected)
    assert_holds_the_good_records(index)

    # The library: the same through ingest(), as a report.
    with NewsIndex.create(tmp_path / "again", analyzer=Analyzer(stemmer="none")) as ix:
        report = ingest(ix, inbox)
    found = [(p.path, p.line, p.reason) for p in report.skipped]
    assert_same_problems(found, expected)
    assert report.added == len(good_ids())
    assert report.updated == 1  # "dup", twice in one file


def test_deeply_nested_metadata_is_skipped_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Metadata nested too deep to read back safely is a bad record, named
    with its line; the rest is indexed and reads back from a deep stack."""
    source = tmp_path / "bersarang.jsonl"
    lines = [
        jsonl({**GOOD, "id": "k1"}),
        nested("k2", 5_000),  # beyond what the JSON parser recurses into
        nested("k3", 985),  # parsed, but too deep to check or read back
        nested("k4", 33),
        nested("k5", 32),
    ]
    source.write_bytes(b"\n".join(lines))
    index = tmp_path / "index"
    status = main(["index", "--index", str(index), "--stemmer", "none", str(source)])
    _, err = capsys.readouterr()
    assert status == EXIT_SKIPPED
    assert "Traceback" not in err
    assert [(line, "nested" in reason) for _, line, reason in listed_problems(err)] == [
        (2, True),
        (3, True),
        (4, True),
    ]

    def deep(levels: int, index: NewsIndex) -> list[str]:
        # As from a web handler: the reads run many frames down the stack.
        if levels:
            return deep(levels - 1, index)
        found = index.get("k5")
        assert found is not None
        return [hit.id for hit in index.search("berita OR harga")]

    with NewsIndex.open(index) as opened:
        assert sorted(deep(100, opened)) == ["k1", "k5"]


def test_a_wide_csv_header_is_read_in_linear_time(tmp_path: Path) -> None:
    """200,000 columns (437 s when the header check was quadratic) index in
    about a second; the bound only catches a return of the quadratic check."""
    columns = 200_000
    source = tmp_path / "lebar.csv"
    header = ",".join(["id", "body", *(f"c{i}" for i in range(columns))])
    row = ",".join(["w1", "Harga beras naik", *("x" for _ in range(columns))])
    source.write_text(f"{header}\n{row}\n", encoding="utf-8")
    index = tmp_path / "index"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsindex",
            "index",
            "--index",
            str(index),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    with NewsIndex.open(index) as opened:
        article = opened.get("w1")
        assert article is not None
        assert len(article.extra) == columns


def snapshot_of(path: Path) -> tuple[int, list[str], list[tuple[str, str]]]:
    """(generation, files, (id, body) of each article) of a closed index."""
    generation = TOC.read(FileStorage(str(path)), INDEX_NAME).generation
    with NewsIndex.open(path) as index:
        hits = index.search("berita OR judul OR harga OR gempa", limit=100)
        articles = sorted((h.id, h.article.body) for h in hits)
    return generation, sorted(os.listdir(path)), articles


def test_strict_stops_at_the_first_problem_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = tmp_path / "kotak"
    expected = plant(inbox)
    index = tmp_path / "index"
    with NewsIndex.create(index, analyzer=Analyzer(stemmer="none")) as ix:
        ix.add_many(
            [
                Article(id="lama", title="Judul lama", body="berita lama"),
                Article(id="j1", title="Judul", body="berita j1 versi lama"),
            ]
        )
    before = snapshot_of(index)
    status = main(["index", "--index", str(index), "--strict", str(inbox)])
    _, err = capsys.readouterr()
    assert status == EXIT_ERROR
    assert err.startswith("newsindex: error: ")
    assert err.count("\n") == 1
    first_path, first_line, words = expected[0]
    assert f"{first_path}:{first_line}: " in err
    assert words in err
    assert snapshot_of(index) == before


# -- unreadable files ----------------------------------------------------------------


def refuse(monkeypatch: pytest.MonkeyPatch, file: Path, folder: Path) -> None:
    """Make reading ``file`` and listing ``folder`` fail as chmod 000 would.

    For root, whom permissions do not stop: the same PermissionError, raised
    where the operating system would raise it.
    """
    real_open, real_scandir = open, os.scandir

    def guarded_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        if os.fspath(path) == str(file):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(path, *args, **kwargs)

    def guarded_scandir(path: Any = ".") -> Any:
        if os.fspath(path) == str(folder):
            raise PermissionError(errno.EACCES, "Permission denied", str(folder))
        return real_scandir(path)

    # The readers of each format open files in _records; listing folders is
    # _inputs' work, through os.scandir.
    monkeypatch.setattr(records_module, "open", guarded_open, raising=False)
    monkeypatch.setattr(os, "scandir", guarded_scandir)


def test_unreadable_files_and_folders_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "kotak"
    inbox.mkdir()
    (inbox / "a_baik.jsonl").write_bytes(jsonl({**GOOD, "id": "baik"}) + b"\n")
    secret = inbox / "b_rahasia.jsonl"
    secret.write_bytes(jsonl({**GOOD, "id": "rahasia"}) + b"\n")
    locked = inbox / "c_terkunci"
    locked.mkdir()
    (locked / "d_dalam.jsonl").write_bytes(jsonl({**GOOD, "id": "dalam"}) + b"\n")
    (inbox / "e_baik.txt").write_text("Judul\n\nIsi berita yang baik.\n")
    if os.geteuid() == 0:
        refuse(monkeypatch, secret, locked)
    else:
        secret.chmod(0o000)
        locked.chmod(0o000)
    index = tmp_path / "index"
    try:
        status = main(["index", "--index", str(index), "--stemmer", "none", str(inbox)])
    finally:
        secret.chmod(0o644)
        locked.chmod(0o755)
    out, err = capsys.readouterr()
    assert status == EXIT_SKIPPED
    assert "Traceback" not in err
    assert listed_problems(err) == [
        (str(secret), None, "cannot read: Permission denied"),
        (str(locked), None, "cannot read: Permission denied"),
    ]
    assert "2 added, 0 updated, 2 skipped" in out
    with NewsIndex.open(index) as opened:
        assert opened.count() == 2
        assert opened.get("baik") is not None


# -- encodings -------------------------------------------------------------------


def test_files_in_other_encodings_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """UTF-16 files (with a byte order mark) are read, bad lines and all,
    with exact line numbers; a file in cp1252 is one problem with a hint,
    and is read when the command is told its encoding."""
    inbox = tmp_path / "kotak"
    inbox.mkdir()
    lines = [
        jsonl({**GOOD, "id": "u1", "title": "Kafé"}),
        b"{oops",
        jsonl({**GOOD, "id": "u2"}),
    ]
    text = b"\r\n".join(lines).decode() + "\r\n"
    (inbox / "a_le.jsonl").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    csv_text = "id,title,body\r\nc1,Judul,Isi berita naïk\r\n,,\r\nc2,Judul,Isi\r\n"
    (inbox / "b_be.csv").write_bytes(b"\xfe\xff" + csv_text.encode("utf-16-be"))
    legacy = inbox / "c_lama"
    legacy.mkdir()
    (legacy / "d.txt").write_bytes("Judul é\nIsi berita é.\n".encode("cp1252"))
    (legacy / "e.jsonl").write_bytes(
        b"\n".join(jsonl({**GOOD, "id": f"l{i}", "title": "Café"}) for i in range(3))
        .decode()
        .encode("cp1252")
    )
    index = tmp_path / "index"
    status = main(["index", "--index", str(index), "--stemmer", "none", str(inbox)])
    out, err = capsys.readouterr()
    assert status == EXIT_SKIPPED
    assert "4 added, 0 updated, 3 skipped" in out
    hint = "look like cp1252/Latin-1{}; give --encoding cp1252 if that is what it is"
    assert listed_problems(err) == [
        (str(inbox / "a_le.jsonl"), 2, listed_problems(err)[0][2]),
        (
            str(legacy / "d.txt"),
            None,
            "not UTF-8 (bytes such as 0xe9 at line 1 " + hint.format(")"),
        ),
        (
            str(legacy / "e.jsonl"),
            None,
            "not UTF-8 (bytes such as 0xe9 at line 1 "
            + hint.format("): 3 lines skipped"),
        ),
    ]
    assert listed_problems(err)[0][2].startswith("invalid JSON")
    argv = ["index", "--index", str(index), "--encoding", "cp1252", str(legacy)]
    assert main(argv) == 0
    with NewsIndex.open(index) as opened:
        assert opened.count() == 8
        article = opened.get("l2")
        assert article is not None
        assert article.title == "Café"
        article = opened.get("u1")
        assert article is not None
        assert article.title == "Kafé"
