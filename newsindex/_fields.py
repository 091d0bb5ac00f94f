"""The fields of an article in the index, by name, and the indexed form of a
facet value: what searching needs to know of the schema without importing
Whoosh (``schema.py`` builds Whoosh's schema from these)."""

from __future__ import annotations

from typing import Final

#: Analysed fields, in the order their postings are written.
TEXT_FIELDS: Final = ("body", "title")
#: Fields indexed whole, as one term each.
KEYWORD_FIELDS: Final = ("category", "id", "source")
#: Column value of articles without a publication date (sorts last).
NO_DATE: Final = -(2**63)


def facet_key(value: str) -> str:
    """The indexed form of a source or category: trimmed, lower case."""
    return " ".join(value.split()).casefold()
