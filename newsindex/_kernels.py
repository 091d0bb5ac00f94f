"""The compiled kernels, when the installation built them.

Five loops have a compiled version in ``_speedups.c``. Four build indexes:
looking a text's chunks up in a segment's chunk table
(``_segment_text.py``), the MinHash of its shingles (``_signatures.py``),
finding the written words of a segment's chunks (``_vocabulary.py``), and
joining posting records when segments merge (``_postings.py``). One serves
snippets: where the query's words end in a hit's text
(``Analyzer.word_ends``). Each module keeps its Python version beside the
call, as the reference: both versions give the same results
(``tests/test_kernels.py`` compares them), and the Python one runs wherever
the extension is missing. ``setup.py`` marks the extension optional,
so ``pip install`` on a machine without a C compiler installs newsindex
without it.

Set ``NEWSINDEX_PURE_PYTHON=1`` in the environment to run the Python
versions even where the extension is built (the test suite does, in one CI
leg).
"""

from __future__ import annotations

import os
from types import ModuleType

#: The environment variable that turns the compiled kernels off.
PURE_PYTHON_VARIABLE = "NEWSINDEX_PURE_PYTHON"


def _load() -> ModuleType | None:
    if os.environ.get(PURE_PYTHON_VARIABLE, "") not in ("", "0"):
        return None
    try:
        from newsindex import _speedups
    except ImportError:
        return None
    return _speedups


#: The compiled kernels' module, or ``None`` where the Python versions run.
speedups = _load()
