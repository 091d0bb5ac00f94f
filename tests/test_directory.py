"""The index directory: the table of contents we write, the lock, clean-up."""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from newsindex import Analyzer, Article, IndexLockedError, NewsIndex
from newsindex._directory import (
    INDEX_NAME,
    LOCK_NAME,
    MANIFEST_NAME,
    IndexDirectory,
    TableOfContents,
    _ReadingUnpickler,
    restricted_loads,
)
from newsindex._segment_files import segment_exts


@pytest.fixture
def directory(tmp_path: Path) -> IndexDirectory:
    """An index of two commits (so two segments), closed."""
    path = tmp_path / "index"
    with NewsIndex.create(path, analyzer=Analyzer(stemmer="none")) as index:
        index.add(Article(id="a", title="Harga beras naik", body="Harga naik."))
        index.add(Article(id="b", title="Banjir", body="Banjir di Jakarta."))
    return IndexDirectory(str(path))


def test_the_table_of_contents_is_whooshs_format(
    directory: IndexDirectory, tmp_path: Path
) -> None:
    """Byte for byte what Whoosh 3 writes for the same content, and Whoosh
    reads ours."""
    toc = directory.read_toc()
    assert (toc.generation, len(toc.segments)) == (2, 2)
    theirs = tmp_path / "whoosh"
    theirs.mkdir()
    TOC(toc.schema, toc.segments, toc.generation).write(
        FileStorage(str(theirs)), INDEX_NAME
    )
    name = f"_{INDEX_NAME}_{toc.generation}.toc"
    assert (theirs / name).read_bytes() == Path(directory.path(name)).read_bytes()
    read = TOC.read(FileStorage(directory.folder), INDEX_NAME)
    assert [s.segment_id() for s in read.segments] == [
        s.segment_id() for s in toc.segments
    ]


def test_writing_a_table_of_contents_leaves_no_temporary_file(
    directory: IndexDirectory,
) -> None:
    toc = directory.read_toc()
    directory.write_toc(TableOfContents(toc.generation + 1, toc.schema, toc.segments))
    assert directory.latest_generation() == toc.generation + 1
    assert not [n for n in Path(directory.folder).iterdir() if ".toc." in n.name]


def test_unused_files_are_removed_and_nothing_else(directory: IndexDirectory) -> None:
    toc = directory.read_toc()
    kept, dropped = toc.segments
    folder = Path(directory.folder)
    (folder / ".hidden").write_text("not ours")
    directory.remove_unused(toc.generation, [kept])
    names = {p.name for p in folder.iterdir()}
    assert {MANIFEST_NAME, LOCK_NAME, ".hidden", f"_{INDEX_NAME}_2.toc"} <= names
    assert any(n.startswith(kept.segment_id()) for n in names)
    assert not any(n.startswith(dropped.segment_id()) for n in names)


def test_the_lock_times_out_naming_the_index(directory: IndexDirectory) -> None:
    held = directory.lock(timeout=0.1)
    try:
        with pytest.raises(IndexLockedError, match="another writer") as caught:
            IndexDirectory(directory.folder).lock(timeout=0.05)
        assert directory.folder in str(caught.value)
    finally:
        held.release()
    directory.lock(timeout=0.05).release()


def test_pickles_may_name_only_the_index_classes() -> None:
    assert restricted_loads(pickle.dumps({1, 2})) == {1, 2}
    with pytest.raises(pickle.UnpicklingError, match="not allowed"):
        restricted_loads(pickle.dumps(Path("x")))


def test_a_commit_is_durable_before_it_is_published(
    directory: IndexDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New segment files, their directory entries and the new table of
    contents reach the disk before the rename that publishes the commit; the
    rename reaches it before the old table of contents is removed."""
    events: list[tuple[str, str]] = []
    paths: dict[int, str] = {}
    real_open, real_fsync = os.open, os.fsync
    real_replace, real_remove = os.replace, os.remove

    def name(path: str | os.PathLike[str]) -> str:
        path = os.fspath(path)
        return "<dir>" if path == directory.folder else os.path.basename(path)

    def opened(path: str, flags: int, mode: int = 0o777, **kw: Any) -> int:
        fd = real_open(path, flags, mode, **kw)
        paths[fd] = name(path)
        return fd

    def fsync(fd: int) -> None:
        events.append(("fsync", paths[fd]))
        real_fsync(fd)

    def replace(source: str, target: str) -> None:
        events.append(("replace", name(target)))
        real_replace(source, target)

    def remove(path: str) -> None:
        events.append(("remove", name(path)))
        real_remove(path)

    spies = {"open": opened, "fsync": fsync, "replace": replace, "remove": remove}
    for attribute, spy in spies.items():
        monkeypatch.setattr(os, attribute, spy)
    with NewsIndex.open(directory.folder) as index:
        index.add(Article(id="c", title="Gempa", body="Gempa di Cianjur."))
    monkeypatch.undo()

    new_toc, old_toc = f"_{INDEX_NAME}_3.toc", f"_{INDEX_NAME}_2.toc"
    published = events.index(("replace", new_toc))
    before, after = events[:published], events[published + 1 :]
    segment = directory.read_toc().segments[-1].segment_id()
    synced = [i for i, (_, file) in enumerate(before) if file.startswith(segment)]
    assert len(synced) == len(segment_exts())  # postings, numbers, features...
    assert ("fsync", "<dir>") in before[synced[-1] :]
    assert before[-1][0] == "fsync"
    assert before[-1][1].startswith(new_toc + ".")  # the temporary file
    assert after[0] == ("fsync", "<dir>")
    assert ("remove", old_toc) in after


def test_searches_read_the_table_of_contents_without_whooshs_codec(
    directory: IndexDirectory,
) -> None:
    """The table of contents read for searching names the same segments as
    the one read for writing, and opening and searching a fresh process
    imports neither Whoosh's codec nor its schema classes."""
    full, light = directory.read_toc(), directory.read_toc(reading=True)
    assert light.schema is None
    assert [
        (s.segment_id(), s.make_filename(".x"), s.doc_count_all(), s.deleted_count())
        for s in light.segments
    ] == [
        (s.segment_id(), s.make_filename(".x"), s.doc_count_all(), s.deleted_count())
        for s in full.segments
    ]
    script = (
        "import sys, newsindex\n"
        f"index = newsindex.NewsIndex.open({directory.folder!r})\n"
        "assert index.search('banjir').total == 1\n"
        "print(sorted(m for m in sys.modules if m.startswith('whoosh.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = done.stdout
    assert "whoosh.codec.whoosh3" not in loaded
    assert "whoosh.fields" not in loaded


def test_the_table_of_contents_read_for_searching_refuses_other_classes() -> None:
    class Evil:
        def __reduce__(self) -> tuple[Any, ...]:
            return (os.system, ("true",))

    with pytest.raises(pickle.UnpicklingError, match="not allowed"):
        _ReadingUnpickler(io.BytesIO(pickle.dumps([Evil()]))).load()
