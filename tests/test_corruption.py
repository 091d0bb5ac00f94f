"""Corruption is reported, not hidden.

Each kind of index file (Whoosh's table of contents and term table,
newsindex's postings, stored articles and per-document numbers, and the
manifest) is truncated or overwritten in a copy of a small index. Then:

* opening, counting, getting, searching and ``stats()`` either work or
  raise :class:`IndexFormatError` (for damage, :class:`CorruptIndexError`)
  with a message naming the index or the segment, and nothing else;
* ``check()`` never raises, and reports the damage; ``newsindex check``
  exits with status 1, one line per problem, no traceback;
* ``newsindex swap`` refuses a damaged index (a manifest of the wrong shape
  included) and one with another analyzer than the served one, and swapping
  in a rebuilt one restores service to a ``NewsIndex`` already open on the
  link.

Damaged files are never memory-mapped by a live index here: truncating a
mapped file would kill the test process with SIGBUS on the next read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import os
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from newsindex import (
    Analyzer,
    AnalyzerMismatchError,
    Article,
    CorruptIndexError,
    IndexFormatError,
    NewsIndex,
    swap_index,
)
from newsindex._checking import check_index
from newsindex._directory import MANIFEST_NAME
from newsindex.cli import main

ARTICLES = [
    Article(
        id=f"a{i}",
        title=f"Judul berita {i} <b>",
        body=f"berita harga beras naik kata{i % 5} pasar {i} banjir gempa",
        published=dt.date(2024, 1, 1) + dt.timedelta(days=i),
        source=("Kabar", "Warta")[i % 2],
        category="Ekonomi",
    )
    for i in range(30)
]

#: How a file is damaged: each function maps its bytes to the damaged bytes.
DAMAGES: dict[str, Callable[[bytes], bytes]] = {
    "emptied": lambda data: b"",
    "halved": lambda data: data[: len(data) // 2],
    "last byte cut": lambda data: data[:-1],
    "head overwritten": lambda data: b"\xa5" * 16 + data[16:],
    "middle overwritten": lambda data: (
        data[: len(data) // 2] + b"\xa5" * 16 + data[len(data) // 2 + 16 :]
    ),
    "tail overwritten": lambda data: data[:-16] + b"\xa5" * 16,
    "zeroed": lambda data: bytes(len(data)),
}
#: The files damaged, by how their name ends.
KINDS = (".toc", ".trm", ".pst", ".nxs", ".nxd", MANIFEST_NAME)

#: Known exceptions to the properties below, as strict expected failures by
#: (file, damage): none remain (the suite found 11 bugs, since fixed).
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def cases(known: dict[tuple[str, str], str]) -> list:
    """Every (file, damage) pair; those in ``known`` as strict expected failures."""
    params = []
    for kind in KINDS:
        for damage in DAMAGES:
            reason = known.get((kind, damage))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(
                pytest.param(kind, damage, marks=marks, id=f"{kind}-{damage}")
            )
    return params


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-segment index (so which file is damaged never varies), closed."""
    path = tmp_path_factory.mktemp("pristine") / "index"
    with NewsIndex.create(path, analyzer=Analyzer(stemmer="none")) as index:
        index.add_many(ARTICLES)
    return path


def damaged_copy(pristine: Path, where: Path, kind: str, damage: str) -> Path:
    shutil.copytree(pristine, where)
    (target,) = [p for p in where.iterdir() if p.name.endswith(kind)]
    target.write_bytes(DAMAGES[damage](target.read_bytes()))
    return where


def names_the_damage(error: Exception, path: Path) -> bool:
    message = str(error)
    segments = {p.name.split(".")[0] for p in path.iterdir() if p.suffix == ".nxs"}
    return str(path) in message or any(s in message for s in segments)


def failure(operation: Callable[[], object], path: Path, manifest: bool) -> str | None:
    """What is wrong with how ``operation`` behaves on the damaged index at ``path``.

    ``None`` if it works or raises a CorruptIndexError (an IndexFormatError,
    for the manifest) naming the index or segment. The exception is not
    kept: its frames may hold the damaged files open.
    """
    try:
        operation()
    except IndexFormatError as exc:
        if not (manifest or isinstance(exc, CorruptIndexError)):
            return f"{type(exc).__name__}: {exc}"
        return None if names_the_damage(exc, path) else f"names nothing: {exc}"
    except Exception as exc:
        return f"raw {type(exc).__name__}: {exc}"
    return None


def operations(index: NewsIndex) -> dict[str, Callable[[], object]]:
    return {
        "count": index.count,
        "get": lambda: [index.get(a.id) for a in ARTICLES],
        "contains": lambda: "a3" in index,
        "search": lambda: [h.snippet.html() for h in index.search("berita", limit=50)],
        "phrase": lambda: index.search('"harga beras"', limit=50),
        "newest": lambda: index.search("pasar", sort="newest", since="2024-01-10"),
        "source": lambda: index.search("naik", sources=["kabar"]),
        "stats": index.stats,
    }


@contextlib.contextmanager
def toc_left_open() -> Iterator[None]:
    """Ignore the warning about a damaged table of contents left open.

    Whoosh does not close it when reading fails; the file closes, with a
    ResourceWarning, when the error is dropped
    (test_a_damaged_table_of_contents_is_closed). Nothing else is ignored.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", r"unclosed file .*_MAIN_\d+\.toc", ResourceWarning
        )
        yield


@pytest.mark.parametrize(("kind", "damage"), cases(KNOWN_FAILURES))
def test_damage_raises_only_index_errors(
    pristine: Path, tmp_path: Path, kind: str, damage: str
) -> None:
    path = damaged_copy(pristine, tmp_path / "index", kind, damage)
    manifest = kind == MANIFEST_NAME
    opened: list[NewsIndex] = []
    with toc_left_open():
        problem = failure(lambda: opened.append(NewsIndex.open(path)), path, manifest)
    assert problem is None, f"open: {problem}"
    if not opened:
        return
    (index,) = opened
    try:
        problems = {
            name: failure(operation, path, manifest)
            for name, operation in operations(index).items()
        }
    finally:
        index.close()
    assert {name: p for name, p in problems.items() if p} == {}


@pytest.mark.parametrize(("kind", "damage"), cases(KNOWN_FAILURES))
def test_check_reports_damage(
    pristine: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    damage: str,
) -> None:
    path = damaged_copy(pristine, tmp_path / "index", kind, damage)
    with toc_left_open():
        report = check_index(path)
        status = main(["check", "--index", str(path)])
    assert not report.ok
    assert all(problem and "\n" not in problem for problem in report.problems)
    out, err = capsys.readouterr()
    assert status == 1
    assert "Traceback" not in out + err
    lines = out.splitlines()
    assert len(lines) == len(report.problems) + 1
    assert all(line.startswith("problem: ") for line in lines[:-1])
    assert "Restoring service" in lines[-1]


def test_a_sound_index_passes_check(
    pristine: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with NewsIndex.open(pristine) as index:
        report = index.check()
    assert report.ok
    assert (report.articles, report.segments) == (len(ARTICLES), 1)
    assert main(["check", "--index", str(pristine)]) == 0
    assert capsys.readouterr().out.startswith(f"ok: {len(ARTICLES)} articles")


@pytest.mark.parametrize("kind", [".nxs", ".nxd", ".pst"])
def test_segment_errors_name_the_index(
    pristine: Path, tmp_path: Path, kind: str
) -> None:
    path = damaged_copy(pristine, tmp_path / "index", kind, "zeroed")
    with pytest.raises(CorruptIndexError) as caught:  # noqa: PT012
        index = NewsIndex.open(path)
        try:
            index.search("berita")
            [index.get(a.id) for a in ARTICLES]
        finally:
            index.close()
    assert str(path) in str(caught.value)


def test_a_damaged_table_of_contents_is_closed(pristine: Path, tmp_path: Path) -> None:
    path = damaged_copy(pristine, tmp_path / "index", ".toc", "halved")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        assert not check_index(path).ok
        with contextlib.suppress(Exception):
            NewsIndex.open(path).close()
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


# -- restoring service -------------------------------------------------------------


@pytest.mark.parametrize("kind", [".toc", ".pst", ".nxs"])
def test_swap_refuses_a_damaged_index(
    pristine: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    damaged = damaged_copy(pristine, tmp_path / "damaged", kind, "halved")
    link = tmp_path / "serving"
    link.symlink_to(pristine, target_is_directory=True)
    with toc_left_open():
        status = main(["swap", "--index", str(link), str(damaged)])
    _, err = capsys.readouterr()
    assert status == 1
    assert err.startswith("newsindex: error: not swapping in")
    assert err.count("\n") == 1
    assert os.path.realpath(link) == str(pristine)


def test_swapping_in_a_rebuilt_index_restores_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    analyzer = Analyzer(stemmer="none")
    old = tmp_path / "index-1"
    with NewsIndex.create(old, analyzer=analyzer) as index:
        index.add_many(ARTICLES)
    link = tmp_path / "serving"
    link.symlink_to(old, target_is_directory=True)
    serving = NewsIndex.open(link)
    try:
        assert serving.search("berita").total == len(ARTICLES)
        # The disk damages a file. Replaced, not truncated in place: this
        # process maps the old one, and a read past a truncation is SIGBUS.
        (stored,) = old.glob("*.nxs")
        damaged = stored.with_name("damaged.tmp")
        damaged.write_bytes(stored.read_bytes()[:100])
        os.replace(damaged, stored)
        with pytest.raises(CorruptIndexError):
            NewsIndex.open(link)
        assert main(["check", "--index", str(link)]) == 1

        # Rebuild from the sources into a fresh directory and swap it in.
        new = tmp_path / "index-2"
        rebuilt = [*ARTICLES, Article(id="baru", body="berita baru pengganti")]
        with NewsIndex.create(new, analyzer=analyzer) as index:
            index.add_many(rebuilt)
        capsys.readouterr()
        assert main(["swap", "--index", str(link), str(new)]) == 0
        assert os.path.realpath(link) == str(new)

        # The index already open on the link follows on its next search.
        assert serving.search("berita").total == len(rebuilt)
        assert [hit.id for hit in serving.search("pengganti")] == ["baru"]
        assert serving.count() == len(rebuilt)
        assert serving.check().ok
        assert [h.id for h in serving.search('"harga beras"', limit=50)]
    finally:
        serving.close()
    with NewsIndex.open(link) as reopened:
        assert reopened.count() == len(rebuilt)


def _relink(link: Path, target: Path) -> None:
    """Point ``link`` at ``target`` by hand, as ``ln -sfn`` would."""
    temporary = link.with_name("relink.tmp")
    temporary.symlink_to(target, target_is_directory=True)
    os.replace(temporary, link)


#: Manifests that are valid JSON of the wrong shape, by what they lack.
BAD_ANALYZERS: dict[str, object] = {
    "no analyzer": None,
    "analyzer not an object": "sastrawi",
    "no stemmer": {"tokenizer": 1, "stopwords": [], "protected_words": []},
    "tokenizer as text": {
        "tokenizer": "1",
        "stemmer": "none",
        "stopwords": [],
        "protected_words": [],
    },
    "stopwords not words": {
        "tokenizer": 1,
        "stemmer": "none",
        "stopwords": [1, 2],
        "protected_words": [],
    },
}


@pytest.mark.parametrize("shape", BAD_ANALYZERS)
def test_a_manifest_of_the_wrong_shape_is_damage(
    pristine: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], shape: str
) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(pristine, damaged)
    manifest = damaged / MANIFEST_NAME
    record = json.loads(manifest.read_text(encoding="utf-8"))
    if BAD_ANALYZERS[shape] is None:
        del record["analyzer"]
    else:
        record["analyzer"] = BAD_ANALYZERS[shape]
    manifest.write_text(json.dumps(record), encoding="utf-8")

    with pytest.raises(CorruptIndexError, match=str(damaged)):
        NewsIndex.open(damaged)
    report = check_index(damaged)
    assert not report.ok
    assert MANIFEST_NAME in report.problems[0]

    link = tmp_path / "serving"
    link.symlink_to(pristine, target_is_directory=True)
    capsys.readouterr()
    assert main(["swap", "--index", str(link), str(damaged)]) == 1
    _, err = capsys.readouterr()
    assert err.startswith("newsindex: error: not swapping in")
    assert os.path.realpath(link) == str(pristine)
    with pytest.raises(CorruptIndexError):
        swap_index(link, damaged)

    # Readers of a link changed by hand get the documented error.
    with NewsIndex.open(link) as serving:
        _relink(link, damaged)
        with pytest.raises(CorruptIndexError):
            serving.search("berita")


def test_swap_refuses_an_index_with_another_analyzer(
    pristine: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    with NewsIndex.create(other, analyzer=Analyzer(stemmer="tala")) as index:
        index.add_many(ARTICLES)
    link = tmp_path / "serving"
    link.symlink_to(pristine, target_is_directory=True)
    with NewsIndex.open(link) as serving:
        with pytest.raises(AnalyzerMismatchError, match="tala"):
            swap_index(link, other)
        capsys.readouterr()
        assert main(["swap", "--index", str(link), str(other)]) == 1
        _, err = capsys.readouterr()
        assert "analyzer" in err
        assert err.count("\n") == 1
        assert os.path.realpath(link) == str(pristine)
        assert serving.search("berita").total == len(ARTICLES)

        # A link changed by other means: the documented error, every time.
        _relink(link, other)
        for _ in range(2):
            with pytest.raises(AnalyzerMismatchError):
                serving.search("berita")
    with NewsIndex.open(link) as reopened:  # reopening serves the new index
        assert reopened.search("berita").total == len(ARTICLES)
