"""The public surface: what ``newsindex`` exports, its errors, and its types.

Users import from ``newsindex`` only; the modules behind it are private, and
:mod:`newsindex.errors`, :mod:`newsindex.cli` and :mod:`newsindex.web` (the
optional web app) are the other modules a user may name. A typed user's
mistakes must be reported by ``mypy --strict``.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import newsindex
import newsindex.errors

REPO_ROOT = Path(__file__).resolve().parents[1]

PUBLIC = [
    "Analyzer",
    "AnalyzerMismatchError",
    "Article",
    "ArticleError",
    "CheckReport",
    "ConfigurationError",
    "CorruptIndexError",
    "Evaluation",
    "Expansions",
    "FacetCount",
    "Hit",
    "IndexClosedError",
    "IndexExistsError",
    "IndexFormatError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexStats",
    "IndexWriter",
    "IngestReport",
    "InputError",
    "JudgedQuery",
    "MergeSummary",
    "NewsIndex",
    "NewsIndexError",
    "NoStemmer",
    "Problem",
    "QueryError",
    "QueryLimits",
    "Ranking",
    "SastrawiStemmer",
    "SearchResults",
    "ShardUnavailableError",
    "Snippet",
    "Stemmer",
    "TalaStemmer",
    "Token",
    "WorkerError",
    "WriteSummary",
    "WriterClosedError",
    "__version__",
    "check_index",
    "evaluate",
    "ingest",
    "iter_records",
    "read_queries",
    "swap_index",
]
#: Modules a user may import by name; every other module is private.
PUBLIC_MODULES = {"newsindex", "newsindex.errors", "newsindex.cli", "newsindex.web"}


def _modules() -> list[str]:
    """newsindex's modules; the Xapian engine's only where its bindings are."""
    xapian = importlib.util.find_spec("xapian") is not None
    return [
        info.name
        for info in pkgutil.iter_modules(newsindex.__path__, "newsindex.")
        if info.name != "newsindex.__main__"
        and (xapian or not info.name.startswith("newsindex._xapian"))
    ]


def test_the_root_exports_exactly_the_public_names() -> None:
    assert newsindex.__all__ == sorted(newsindex.__all__)
    assert newsindex.__all__ == PUBLIC
    for name in PUBLIC:
        assert hasattr(newsindex, name), name


@pytest.mark.parametrize("name", [n for n in PUBLIC if not n.startswith("__")])
def test_every_public_name_is_documented(name: str) -> None:
    obj = getattr(newsindex, name)
    assert inspect.getdoc(obj), f"{name} has no docstring"


def test_only_public_modules_have_public_names() -> None:
    # schema.py keeps its name because index files record it (see there).
    allowed = PUBLIC_MODULES | {"newsindex.schema"}
    for name in _modules():
        short = name.rsplit(".", 1)[1]
        assert short.startswith("_") or name in allowed, name


def test_only_public_modules_declare_all() -> None:
    for name in _modules():
        module = importlib.import_module(name)
        if name not in PUBLIC_MODULES:
            assert not hasattr(module, "__all__"), f"{name} declares __all__"


def test_errors_module_lists_what_the_root_exports() -> None:
    assert set(newsindex.errors.__all__) <= set(PUBLIC)


def test_every_error_derives_from_the_root_error() -> None:
    errors = [
        obj
        for obj in vars(newsindex.errors).values()
        if isinstance(obj, type) and issubclass(obj, BaseException)
    ]
    assert len(errors) == len(newsindex.errors.__all__)
    for error in errors:
        assert issubclass(error, newsindex.NewsIndexError), error
        builtin = [b for b in error.__mro__ if b.__module__ == "builtins"]
        # Each error also inherits the builtin it resembles (the root none).
        assert error is newsindex.NewsIndexError or len(builtin) > 2, error
        assert error.__name__ in newsindex.errors.__doc__  # drawn in the tree


def test_importing_builds_nothing() -> None:
    """Importing is cheap: no Sastrawi dictionary, no Whoosh index opened."""
    code = "import sys, newsindex; print('Sastrawi' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


USER_SCRIPT = """\
import datetime as dt

from newsindex import Article, NewsIndex

index = NewsIndex.open("news")
index.search("banjir", sort="oldest")  # MISTAKE
index.search("banjir", since=12345)  # MISTAKE
Article(id=123, title="Banjir")  # MISTAKE
Article(id="a", title="Banjir", published=20240101)  # MISTAKE
index.search(["banjir"])  # MISTAKE
results = index.search(
    "banjir", since=dt.date(2024, 1, 1), until="2024-02-01", sort="newest"
)
first: str = results.hits[0].title
Article(id="b", title="Banjir", published="2024-01-01", extra={"tag": "x"})
"""


def test_mypy_reports_a_typed_users_mistakes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``mypy --strict`` flags each marked line of a user's script, and only those."""
    api = pytest.importorskip("mypy.api")
    script = tmp_path / "user.py"
    script.write_text(USER_SCRIPT, encoding="utf-8")
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n", encoding="utf-8")
    # This checkout's newsindex, however it was installed (an editable
    # install is invisible to mypy).
    monkeypatch.setenv("MYPYPATH", str(REPO_ROOT))
    stdout, stderr, status = api.run(
        [
            "--strict",
            "--no-incremental",
            "--follow-imports=silent",
            "--config-file",
            str(config),
            "--no-error-summary",
            str(script),
        ]
    )
    reported = sorted(
        int(line.split(":")[1])
        for line in stdout.splitlines()
        if line.startswith(str(script)) and ": error:" in line
    )
    marked = [
        number
        for number, line in enumerate(USER_SCRIPT.splitlines(), start=1)
        if line.endswith("# MISTAKE")
    ]
    assert reported == marked, textwrap.indent(stdout + stderr, "  ")
    assert status == 1
