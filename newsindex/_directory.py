"""The index directory: every file's name, and every file that is not a segment's.

An index directory holds::

    newsindex.json            the manifest: format version and the analyzer
    _MAIN_<generation>.toc    Whoosh's table of contents: the schema and the
                              segment list of one committed generation
    MAIN_<segment>.<ext>      a segment's files (see _segment_files.py)
    WRITELOCK                 the lock a writer holds
    MERGELOCK                 the lock a background merge holds
    .merging-<id>/            a background merge's segment, until published

This module owns the names and patterns of all of them, reading *and*
writing the table of contents (with a restricted unpickler), the write lock,
writing files durably, and removing files no commit names. What the manifest
says is ``_manifest.py``'s; what a segment's files hold, ``_segment_files.py``'s.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import io
import os
import pickle
import re
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any, Final

import whoosh
from whoosh.filedb.structfile import StructFile

from newsindex._values import Value
from newsindex.errors import CorruptIndexError, IndexExistsError, IndexLockedError

#: Whoosh's name for the index inside the directory.
INDEX_NAME: Final = "MAIN"
MANIFEST_NAME: Final = "newsindex.json"
LOCK_NAME: Final = "WRITELOCK"
#: Held by the one process that merges an index in the background.
MERGE_LOCK_NAME: Final = "MERGELOCK"
#: Where a background merge writes its segment before publishing it.
_STAGING_PREFIX: Final = ".merging-"

_TOC_FILE: Final = re.compile(rf"^_{INDEX_NAME}_(\d+)\.toc$")
# A table of contents written under a temporary name and never renamed.
_STALE_TOC: Final = re.compile(rf"^_{INDEX_NAME}_\d+\.toc\..+$")
_SEGMENT_FILE: Final = re.compile(rf"^({INDEX_NAME}_[0-9a-z]+)\.[A-Za-z0-9_.]+$")
# What a create() killed before writing the manifest can leave behind.
_LEFT_BY_CREATE: Final = re.compile(
    rf"^(_{INDEX_NAME}_0\.toc(\..+)?|\.manifest-.+|{LOCK_NAME})$"
)

# The table of contents' header, as Whoosh 3 writes and checks it: the sizes
# of int, long and float, a byte-order probe, the format version.
_TOC_SIZES: Final = (4, 8, 4)
_TOC_BYTE_ORDER: Final = -12345
_TOC_VERSION: Final = -111
#: The Whoosh release recorded in tables of contents we write.
_TOC_RELEASE: Final = tuple(whoosh.__version__[:3])


# -- files on disk -------------------------------------------------------------


def write_atomically(folder: Path, name: str, data: bytes, temporary: str) -> None:
    """Write ``folder/name`` so that it is either absent or whole, even after
    a power cut: a temporary file (named ``temporary``, the process id and a
    random suffix, so that a killed writer's leftover is recognised), flushed,
    renamed, then the directory flushed. Mode 0o666 less the umask, as Whoosh.
    """
    temporary_path = folder / f"{temporary}{os.getpid()}-{secrets.token_hex(4)}"
    fd = os.open(temporary_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary_path, folder / name)
    except BaseException:
        temporary_path.unlink(missing_ok=True)
        raise
    sync_directory(folder)


def sync_file(path: str | os.PathLike[str]) -> None:
    """Flush one file's data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_directory(folder: str | os.PathLike[str]) -> None:
    """Flush a directory's entries (creations, renames) to disk."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        with contextlib.suppress(OSError):  # pragma: no cover - not supported
            os.fsync(fd)
    finally:
        os.close(fd)


# -- reading pickles safely ----------------------------------------------------

#: The only classes an index's pickles may name: what the table of contents
#: holds for a newsindex schema. Anything else (``os.system``,
#: ``builtins.eval``, ...) makes unpickling fail instead of running it. These
#: module paths are recorded in every index: a class moved elsewhere must
#: stay reachable under its old path here.
_PICKLE_ALLOWED: Final = frozenset(
    {
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("newsindex._codec", "NewsCodec"),
        ("newsindex._codec", "PositionsFormat"),
        ("newsindex.schema", "TextField"),
        ("whoosh.analysis.tokenizers", "IDTokenizer"),
        ("whoosh.codec.whoosh3", "W3Segment"),
        ("whoosh.columns", "NumericColumn"),
        ("whoosh.fields", "COLUMN"),
        ("whoosh.fields", "ID"),
        ("whoosh.fields", "STORED"),
        ("whoosh.fields", "Schema"),
        ("whoosh.formats", "Existence"),
    }
)


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _PICKLE_ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in an index")
        return super().find_class(module, name)


def restricted_loads(data: bytes | IO[bytes]) -> Any:
    """Unpickle data from an index, allowing only the index's own classes.

    Raises:
        pickle.UnpicklingError: the data names any other class or function.
    """
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    return _RestrictedUnpickler(stream).load()


class SegmentRecord:
    """A segment as the table of contents lists it, for reading only: the
    attributes and methods of Whoosh's ``W3Segment`` that searches use,
    without importing Whoosh's codec (25 ms of a ``newsindex search``)."""

    indexname: str
    segid: str
    _doccount: int
    _deleted: set[int] | None

    def segment_id(self) -> str:
        return f"{self.indexname}_{self.segid}"

    def make_filename(self, ext: str) -> str:
        return f"{self.segment_id()}{ext}"

    def doc_count_all(self) -> int:
        return self._doccount

    def deleted_count(self) -> int:
        return len(self._deleted) if self._deleted else 0

    def deleted_docs(self) -> Iterator[int]:
        return iter(self._deleted or ())


class _ReadingUnpickler(_RestrictedUnpickler):
    """The restricted unpickler, with Whoosh's segment class replaced by
    :class:`SegmentRecord` and its codec's by a plain object."""

    def find_class(self, module: str, name: str) -> Any:
        found = super().find_class(module, name) if module == "builtins" else None
        if (module, name) not in _PICKLE_ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in an index")
        return found or (SegmentRecord if name == "W3Segment" else SimpleNamespace)


# -- the table of contents -----------------------------------------------------


class TableOfContents(Value):
    """One generation of Whoosh's table of contents: schema and segments."""

    __slots__ = ("generation", "schema", "segments", "size_bytes")
    generation: int
    schema: Any
    segments: list[Any]
    #: Bytes of the file it was read from (0 for one not yet written).
    size_bytes: int

    def __init__(
        self, generation: int, schema: Any, segments: list[Any], size_bytes: int = 0
    ) -> None:
        self._set(generation, schema, segments, size_bytes)

    def to_bytes(self) -> bytes:
        """The file's contents, in the format Whoosh 3 reads."""
        stream = StructFile(io.BytesIO())
        for size in _TOC_SIZES:
            stream.write_varint(size)
        stream.write_int(_TOC_BYTE_ORDER)
        stream.write_int(_TOC_VERSION)
        for number in _TOC_RELEASE:
            stream.write_varint(number)
        self.schema.clean()  # drops cached state that must not be pickled
        stream.write_string(pickle.dumps(self.schema, 2))
        stream.write_int(self.generation)
        stream.write_int(0)  # unused
        stream.write_pickle(self.segments)
        data: bytes = stream.file.getvalue()  # type: ignore[attr-defined]
        return data

    @classmethod
    def from_bytes(
        cls, data: bytes, generation: int, *, reading: bool = False
    ) -> TableOfContents:
        """Read a table of contents without running pickled code (any damage
        raises some exception: ValueError, pickle.UnpicklingError, ...).

        ``reading``: for searches only: the schema is skipped (``None``) and
        the segments are :class:`SegmentRecord`, so Whoosh is not imported;
        such a table cannot be written back.
        """
        stream = StructFile(io.BytesIO(data))
        sizes = tuple(stream.read_varint() for _ in _TOC_SIZES)
        if sizes != _TOC_SIZES or stream.read_int() != _TOC_BYTE_ORDER:
            raise ValueError("unexpected header")
        if stream.read_int() != _TOC_VERSION:
            raise ValueError("unknown table of contents version")
        for _ in range(3):  # the Whoosh release that wrote it
            stream.read_varint()
        schema_bytes = stream.read_string()
        schema = None if reading else restricted_loads(schema_bytes)
        if stream.read_int() != generation:
            raise ValueError("generation number does not match the file name")
        stream.read_int()
        unpickler = _ReadingUnpickler if reading else _RestrictedUnpickler
        segments = unpickler(stream.file).load()
        if not isinstance(segments, list):
            raise ValueError("segment list is not a list")
        return cls(generation, schema, segments, len(data))


def toc_name(generation: int) -> str:
    """The file name of a generation's table of contents."""
    return f"_{INDEX_NAME}_{generation}.toc"


# -- locks ---------------------------------------------------------------------


class FileLock:
    """An advisory lock on a file (``flock``), released by the kernel when its
    process ends; its holder writes its process id into the file, so that a
    process kept waiting can say who it waits for."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock if it is free; return whether it was taken."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                return False
            raise
        with contextlib.suppress(OSError):  # the holder's id is only a hint
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return True

    def holder(self) -> int | None:
        """The process id the lock's holder wrote, if any."""
        try:
            with open(self.path, "rb") as handle:
                return int(handle.read(32).split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def release(self) -> None:
        """Release the lock (the file stays, as an empty lock file)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


# -- the directory -------------------------------------------------------------


class IndexDirectory:
    """The files of one index directory (see the module docstring).

    Args:
        folder: the directory, as a real path (symbolic links resolved), so
            that a swap of a link does not move an open index under us.
    """

    def __init__(self, folder: str) -> None:
        self.folder = folder

    @functools.cached_property
    def storage(self) -> Any:
        """Whoosh's view of the folder, through which its codec writes the
        term dictionary and postings of new segments (writers only: searches
        never import it)."""
        from whoosh.filedb.filestore import FileStorage

        return FileStorage(self.folder)

    def __repr__(self) -> str:
        return f"IndexDirectory({self.folder!r})"

    def path(self, name: str) -> str:
        """The full path of a file in the directory."""
        return os.path.join(self.folder, name)

    def segment_path(self, segment: Any, ext: str) -> str:
        """The full path of one of a segment's files."""
        return self.path(segment.make_filename(ext))

    # -- generations -----------------------------------------------------------

    def latest_generation(self) -> int:
        """The newest committed generation, or -1."""
        best = -1
        for name in os.listdir(self.folder):
            match = _TOC_FILE.match(name)
            if match:
                best = max(best, int(match.group(1)))
        return best

    def read_toc(
        self, generation: int | None = None, *, reading: bool = False
    ) -> TableOfContents:
        """Read a generation's table of contents (default: the latest),
        unpickling with :func:`restricted_loads`, unlike Whoosh's own reader
        (``reading``: for searches, see :meth:`TableOfContents.from_bytes`).

        Raises:
            FileNotFoundError: the file vanished (a concurrent commit
                replaced it).
            CorruptIndexError: there is no table of contents, or it is
                damaged.
        """
        if generation is None:
            generation = self.latest_generation()
            if generation < 0:
                raise CorruptIndexError(
                    f"the index at {self.folder} has no table of contents"
                )
        name = toc_name(generation)
        with open(self.path(name), "rb") as handle:
            data = handle.read()
        try:
            return TableOfContents.from_bytes(data, generation, reading=reading)
        except Exception as exc:  # any damage shows up as some exception
            raise CorruptIndexError(
                f"the index at {self.folder}: table of contents {name} is "
                f"unreadable ({exc})"
            ) from exc

    def write_toc(self, toc: TableOfContents) -> None:
        """Commit a generation: its table of contents, durably and atomically."""
        name = toc_name(toc.generation)
        write_atomically(Path(self.folder), name, toc.to_bytes(), f"{name}.")

    # -- writing -----------------------------------------------------------------

    def create(self, schema: Any) -> None:
        """Commit generation 0: ``schema`` and no segments."""
        self.remove_stale_tables()
        self.write_toc(TableOfContents(0, schema, []))

    def lock(self, timeout: float, name: str = LOCK_NAME) -> FileLock:
        """Take the write lock (or another lock file), waiting up to
        ``timeout`` seconds.

        Raises:
            IndexLockedError: another process held it all that time.
        """
        lock = FileLock(self.path(name))
        started = time.monotonic()
        delay = 0.01
        while not lock.acquire():
            waited = time.monotonic() - started
            if waited >= timeout:
                holder = lock.holder()
                who = "another writer" + ("" if holder is None else f" (pid {holder})")
                raise IndexLockedError(
                    f"{who} holds the lock of the index at {self.folder} "
                    f"(waited {timeout:g} s)",
                    holder=holder,
                    waited=waited,
                )
            time.sleep(min(delay, timeout - waited))
            delay = min(delay * 2, 0.25)
        return lock

    def sync_segments(self, segments: Iterable[Any]) -> None:
        """Flush new segments' files, and their names in the directory, to
        disk before a commit names them."""
        for segment in segments:
            for name in segment.list_files(self.storage):
                sync_file(self.path(name))
        sync_directory(self.folder)

    def remove_stale_tables(self) -> None:
        """Delete tables of contents that a killed writer left under their
        temporary names. Only the lock holder calls this, so no live writer
        owns one."""
        for name in os.listdir(self.folder):
            if _STALE_TOC.match(name):
                with contextlib.suppress(OSError):
                    os.remove(self.path(name))

    def staging(self) -> IndexDirectory:
        """A new folder inside this one, for a segment to publish later:
        no writer's clean-up looks into it."""
        name = f"{_STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        os.mkdir(self.path(name))
        return IndexDirectory(self.path(name))

    def adopt(self, staging: IndexDirectory, segment: Any) -> None:
        """Move a staged segment's files in and flush them (lock held)."""
        for name in segment.list_files(staging.storage):
            os.rename(staging.path(name), self.path(name))
        self.sync_segments([segment])

    def remove_staging(self, staging: IndexDirectory | None = None) -> None:
        """Delete one staging folder, or all (the merge lock's holder only)."""
        if staging is not None:
            shutil.rmtree(staging.folder, ignore_errors=True)
            return
        for name in os.listdir(self.folder):
            if name.startswith(_STAGING_PREFIX):
                shutil.rmtree(self.path(name), ignore_errors=True)

    def remove_unused(self, generation: int, segments: Iterable[Any]) -> None:
        """Delete every table of contents but ``generation``'s, and every
        segment file that ``segments`` do not name (the lock holder's job:
        after a commit, the replaced files; after a cancel, the batch's).
        """
        keep = {segment.segment_id() for segment in segments}
        for name in os.listdir(self.folder):
            toc = _TOC_FILE.match(name)
            segment = _SEGMENT_FILE.match(name)
            if (toc and int(toc.group(1)) != generation) or (
                segment and segment.group(1) not in keep
            ):
                # A reader on a platform that locks open files may hold one;
                # a later writer deletes it then.
                with contextlib.suppress(OSError):
                    os.remove(self.path(name))


def prepare_new(root: Path) -> None:
    """Make ``root`` ready to hold a new index, or say why it cannot.

    A directory that holds only what a killed :meth:`NewsIndex.create` left
    behind counts as empty.

    Raises:
        IndexExistsError: ``root`` is a file, an index, or holds other files.
    """
    if root.exists():
        if not root.is_dir():
            raise IndexExistsError(f"{root} exists and is not a directory")
        if (root / MANIFEST_NAME).exists():
            raise IndexExistsError(f"{root} already holds an index")
        if any(not _LEFT_BY_CREATE.match(p.name) for p in root.iterdir()):
            raise IndexExistsError(
                f"{root} already holds files; give an empty directory"
            )
    root.mkdir(parents=True, exist_ok=True)
