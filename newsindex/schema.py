"""The fields of an index, as Whoosh sees them.

Internal, like every module but the package root and :mod:`newsindex.errors`.
This one keeps its public-looking name because every index records it: the
table of contents pickles :class:`TextField` as ``newsindex.schema.TextField``.
"""

from __future__ import annotations

from typing import Any

from whoosh import columns, fields

from newsindex._codec import PositionsFormat
from newsindex._fields import NO_DATE


class TextField(fields.FieldType):
    """An analysed field (title or body): term frequencies and positions.

    newsindex's writer analyses text itself; Whoosh's per-field indexing path
    is not used, so this field carries no Whoosh analyzer to pickle into the
    index's table of contents.
    """

    def __init__(self) -> None:
        super().__init__(
            format=PositionsFormat(),
            analyzer=None,  # type: ignore[arg-type]
            scorable=True,
            stored=True,
        )

    def index(self, value: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "newsindex fields are written by newsindex's IndexWriter, not Whoosh's"
        )


def build_schema() -> fields.Schema:
    """Return the Whoosh schema of a newsindex index."""
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=TextField(),
        body=TextField(),
        source=fields.ID(stored=True),
        category=fields.ID(stored=True),
        published=fields.COLUMN(columns.NumericColumn("q", default=NO_DATE)),
        url=fields.STORED(),
        extra=fields.STORED(),
    )
