"""Shorthands shared by the index, writing, searching and ranking tests.

A one-line article (the same text as title and body) and the ids of a page of
hits; imported as a plain module, like ``strategies`` and ``markup``.
"""

from __future__ import annotations

from collections.abc import Iterable

from newsindex import Article


def ids(results: Iterable) -> list[str]:
    """The ids of ``results`` (hits, or search results), in order."""
    return [hit.id for hit in results]


def article(
    article_id: str, text: str = "Kucing peliharaan warga", **fields
) -> Article:
    """An article whose title and body are both ``text``."""
    return Article(id=article_id, title=text, body=text, **fields)
