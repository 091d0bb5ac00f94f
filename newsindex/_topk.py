"""The best ``k`` of an array of numbers, deterministically.

Shared by the ranking (the articles to re-rank and the page) and the
vocabulary's completions (the most used words of a prefix).
"""

from __future__ import annotations

import numpy as np


def top_indexes(values: np.ndarray, k: int) -> np.ndarray:
    """Indexes of the ``k`` highest ``values``, highest first; ties by index.

    Deterministic even when ties straddle the cut, which ``argpartition``
    alone is not.
    """
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    if k < len(values):
        threshold = values[(-values).argpartition(k - 1)[k - 1]]
        above = (values > threshold).nonzero()[0]
        ties = (values == threshold).nonzero()[0][: k - len(above)]
        part = np.concatenate([above, ties])
    else:
        part = np.arange(len(values))
    best: np.ndarray = part[descending(values[part], part)]
    return best


def descending(values: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """The order of ``values``, highest first; ties by ``tiebreak``, lowest
    first."""
    order: np.ndarray = np.lexsort((tiebreak, -values))
    return order
