"""Fixtures shared by the test modules.

Building an index costs about 0.2 ms per new distinct word (the Sastrawi
stemmer), so the tests share one warm analyzer and one index of the sample
articles in ``examples/articles.jsonl``; tests that write make their own small
index with :func:`empty_index`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from newsindex import Analyzer, Article, NewsIndex

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PATH = REPO_ROOT / "examples" / "articles.jsonl"

# The first analysis loads Sastrawi's dictionary (about a second), which would
# trip Hypothesis's per-example deadline; shared fixtures are read-only.
settings.register_profile(
    "newsindex",
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
settings.load_profile("newsindex")


def load_sample_articles() -> list[Article]:
    """The sample articles, in file order."""
    with SAMPLE_PATH.open(encoding="utf-8") as lines:
        return [Article.from_dict(json.loads(line)) for line in lines if line.strip()]


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    """The default analyzer, shared so that its cache stays warm."""
    return Analyzer()


@pytest.fixture(scope="session")
def sample_articles() -> list[Article]:
    """The articles of ``examples/articles.jsonl``."""
    return load_sample_articles()


@pytest.fixture(scope="session")
def sample_by_id(sample_articles: list[Article]) -> dict[str, Article]:
    """The sample articles by id."""
    return {article.id: article for article in sample_articles}


@pytest.fixture(scope="session")
def sample_index(
    tmp_path_factory: pytest.TempPathFactory,
    analyzer: Analyzer,
    sample_articles: list[Article],
) -> Iterator[NewsIndex]:
    """One index of the sample articles. Read-only: tests must not write to it."""
    path = tmp_path_factory.mktemp("sample") / "index"
    index = NewsIndex.create(path, analyzer=analyzer)
    index.add_many(sample_articles)
    yield index
    index.close()


@pytest.fixture
def empty_index(tmp_path: Path, analyzer: Analyzer) -> Iterator[NewsIndex]:
    """A new, empty index of this test's own, closed afterwards."""
    index = NewsIndex.create(tmp_path / "index", analyzer=analyzer)
    yield index
    index.close()
