"""Segment features: written with a segment, merged with it, read back, and
absent (``None``) from segments written without them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from newsindex import Analyzer, Article, NewsIndex
from newsindex._index import NewsIndex as Facade
from newsindex._registry import FEATURES
from newsindex._segment_text import SegmentText


class TitleLengths:
    """A toy feature: each document's title length, as a JSON list."""

    ext: ClassVar[str] = ".nxz"

    def __init__(self, analyzer: Analyzer) -> None:
        self.lengths: list[int] = []

    def prepare(self, article: Article) -> int:
        return len(article.title)

    def append(self, prepared: int, docnum: int) -> None:
        assert docnum == len(self.lengths)
        self.lengths.append(prepared)

    def write(self, path: str, doc_count: int, text: SegmentText) -> None:
        assert doc_count == len(self.lengths)
        # The segment's text, as chunks: each article's title words are there.
        ids, counts = text.fields["title"]
        assert len(counts) == doc_count
        assert sum(len(text.chunks[i]) for i in ids) >= sum(self.lengths) - len(ids)
        Path(path).write_text(json.dumps(self.lengths))

    @classmethod
    def merge(cls, sources: list[tuple[Any, np.ndarray]], path: str) -> None:
        merged: dict[int, int] = {}
        for reader, docmap in sources:
            for old, new in enumerate(docmap.tolist()):
                if new >= 0:
                    merged[new] = -1 if reader is None else reader[old]
        Path(path).write_text(json.dumps([merged[i] for i in range(len(merged))]))

    @classmethod
    def read(cls, path: str, doc_count_all: int) -> list[int]:
        lengths: list[int] = json.loads(Path(path).read_text())
        assert len(lengths) == doc_count_all
        return lengths


@pytest.fixture
def feature() -> Iterator[type[TitleLengths]]:
    FEATURES.append(TitleLengths)
    yield TitleLengths
    FEATURES.remove(TitleLengths)


def _lengths(index: Facade) -> list[list[int] | None]:
    snapshot = index._engine._current()
    return [segment.feature(TitleLengths) for segment in snapshot.segments]


def test_a_feature_is_written_merged_and_read(
    tmp_path: Path, feature: type[TitleLengths]
) -> None:
    index = NewsIndex.create(tmp_path / "index", analyzer=Analyzer(stemmer="none"))
    index.add_many([Article(id="a", title="ab", body="x"), Article(id="b", body="y")])
    index.add(Article(id="c", title="abcd", body="z"))
    assert _lengths(index) == [[2, 0], [4]]
    index.delete("b")
    index.optimize()  # the deletion rewrote the first segment: order [c, a]
    (merged,) = _lengths(index)
    assert sorted(merged or []) == [2, 4]
    assert index.check().ok  # the feature's file is checksummed too
    index.close()


def test_segments_written_without_a_feature_have_none(tmp_path: Path) -> None:
    index = NewsIndex.create(tmp_path / "index", analyzer=Analyzer(stemmer="none"))
    index.add(Article(id="a", title="ab", body="x"))
    FEATURES.append(TitleLengths)
    try:
        index.add(Article(id="b", title="abc", body="y"))
        with NewsIndex.open(index.path) as reopened:
            assert _lengths(reopened) == [None, [3]]
            reopened.optimize()  # merged: the old segment's documents get -1
            assert _lengths(reopened) == [[-1, 3]]
    finally:
        FEATURES.remove(TitleLengths)
    index.close()
