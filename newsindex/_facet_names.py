"""The written forms of sources and categories, a segment feature.

Sources and categories are indexed in lower case (``kompas.com``) so that
filters ignore case; this feature keeps, per segment, how each was written
(``Kompas.com``), so that facets and ``stats()`` show what people read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from newsindex._analysis import Analyzer
from newsindex._article import Article
from newsindex._fields import facet_key
from newsindex._segment_text import SegmentText

#: The keyword fields that are facets, by facet name.
KEYWORD_FACETS: dict[str, str] = {"source": "source", "category": "category"}

#: Written forms per indexed form, per field: ``{field: {key: {written: n}}}``.
Names = dict[str, dict[str, dict[str, int]]]


class FacetNames:
    """Segment feature: how each source and category key was written."""

    ext: ClassVar[str] = ".nxf"

    def __init__(self, analyzer: Analyzer) -> None:
        self._names: Names = {field: {} for field in KEYWORD_FACETS.values()}

    def prepare(self, article: Article) -> tuple[str, str]:
        return (" ".join(article.source.split()), " ".join(article.category.split()))

    def append(self, prepared: tuple[str, str], docnum: int) -> None:
        for field, written in zip(KEYWORD_FACETS.values(), prepared, strict=True):
            key = facet_key(written)
            if key:
                forms = self._names[field].setdefault(key, {})
                forms[written] = forms.get(written, 0) + 1

    def write(self, path: str, doc_count: int, text: SegmentText) -> None:
        Path(path).write_text(json.dumps(self._names, ensure_ascii=False), "utf-8")

    @classmethod
    def merge(cls, sources: list[tuple[Any, np.ndarray]], path: str) -> None:
        # Written forms of deleted articles count too: a name is a name.
        merged: Names = {field: {} for field in KEYWORD_FACETS.values()}
        for names, _ in sources:
            for field, keys in (names or {}).items():
                for key, forms in keys.items():
                    into = merged[field].setdefault(key, {})
                    for written, n in forms.items():
                        into[written] = into.get(written, 0) + n
        Path(path).write_text(json.dumps(merged, ensure_ascii=False), "utf-8")

    @classmethod
    def read(cls, path: str, doc_count_all: int) -> Names:
        names: Names = json.loads(Path(path).read_text("utf-8"))
        if not isinstance(names, dict):
            raise ValueError("bad facet names file")
        return names
