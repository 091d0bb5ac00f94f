"""The compiled kernels (``_speedups.c``) give what their Python versions
give (chunk ids, MinHash signatures, written words' ids, joined posting
records, word ends for snippets), and newsindex runs without them (see
``_kernels.py``).

The comparisons import the extension directly, so they run whenever it is
built, also in the CI leg that sets ``NEWSINDEX_PURE_PYTHON``; where it is
not built (no compiler at install) they skip.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from newsindex import Analyzer, _signatures
from newsindex._kernels import PURE_PYTHON_VARIABLE
from newsindex._postings import encode_postings, join_records_python
from newsindex._segment_text import chunk_ids_python
from newsindex._vocabulary import chunk_word_ids_python

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _compiled() -> ModuleType | None:
    if importlib.util.find_spec("newsindex._speedups") is None:
        return None
    from newsindex import _speedups

    return _speedups


speedups = _compiled()
needs_compiled = pytest.mark.skipif(
    speedups is None, reason="the compiled kernels are not built here"
)

# Text with every kind of chunk separator, runs of them, and characters of
# one, two and four bytes (str's three internal widths).
texts = st.text(
    alphabet=st.sampled_from(
        [*"ab .,-\t\n\r\x0b\x85\u00a0\u2003", "é", "Ж", "中", "😀", "1", "A"]
    ),
    max_size=60,
)


class _Table(dict[str, int]):
    """A chunk table: the next id for each new chunk."""

    def __missing__(self, chunk: str) -> int:
        cid = self[chunk] = len(self)
        return cid


def _signature_python(text: str) -> np.ndarray:
    return _signatures.signature_of_python(text)


def _signature_compiled(text: str) -> np.ndarray:
    assert speedups is not None
    return _signatures.signature_with(speedups.minhash, text)


@needs_compiled
@given(st.lists(texts, max_size=8))
def test_chunk_ids_match_the_python_version(batch: list[str]) -> None:
    assert speedups is not None
    python_table, compiled_table = _Table(), _Table()
    for text in batch:
        expected = chunk_ids_python(text, python_table)
        assert speedups.chunk_ids(text, compiled_table) == expected
    # New chunks were met in the same order, so got the same ids.
    assert compiled_table == python_table


@needs_compiled
def test_chunk_ids_report_a_failing_table() -> None:
    assert speedups is not None

    class Failing(dict[str, int]):
        def __missing__(self, chunk: str) -> int:
            raise KeyError(chunk)

    with pytest.raises(KeyError, match="word"):
        speedups.chunk_ids("known word", Failing(known=0))
    with pytest.raises(TypeError):
        speedups.chunk_ids(b"bytes", {})  # type: ignore[arg-type]


words = st.text(alphabet=st.sampled_from([*"abc é,.-'\n", "中"]), max_size=6)


@needs_compiled
@given(st.lists(words, max_size=40))
def test_minhash_matches_the_python_version(parts: list[str]) -> None:
    text = " ".join(parts)
    assert np.array_equal(_signature_compiled(text), _signature_python(text))


@needs_compiled
def test_minhash_of_a_long_text_matches() -> None:
    # Longer than the Python version's chunk of shingles.
    text = " ".join(f"kata{i % 97} berita{i % 89}" for i in range(700))
    found = _signature_compiled(text)
    assert found is not _signatures.NO_SIGNATURE
    assert np.array_equal(found, _signature_python(text))


@needs_compiled
@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data absent")
def test_kernels_match_on_real_news() -> None:
    assert speedups is not None
    python_table, compiled_table = _Table(), _Table()
    with (SHARED / "indosum" / "articles.jsonl").open(encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if number == 1000:
                break
            record = json.loads(line)
            for text in (record.get("title") or "", record.get("body") or ""):
                expected = chunk_ids_python(text, python_table)
                assert speedups.chunk_ids(text, compiled_table) == expected
                assert np.array_equal(
                    _signature_compiled(text), _signature_python(text)
                )


@needs_compiled
@given(st.lists(texts, max_size=12), st.sets(st.sampled_from("ab1éЖ中"), max_size=3))
def test_chunk_word_ids_match_the_python_version(
    chunks: list[str], left_out: set[str]
) -> None:
    assert speedups is not None

    def run(kernel: Any) -> tuple[Any, ...]:
        known: dict[str, int | None] = {"a": 7}  # met before: not resolved
        asked: list[str] = []

        def resolve(raw: str) -> int | None:
            asked.append(raw)
            return None if left_out & set(raw) else 100 + len(asked)

        return kernel(chunks, known, resolve), known, asked

    assert run(speedups.chunk_word_ids) == run(chunk_word_ids_python)


@needs_compiled
def test_chunk_word_ids_pass_on_what_resolve_raises() -> None:
    assert speedups is not None

    def resolve(raw: str) -> int | None:
        raise LookupError(raw)

    for kernel in (chunk_word_ids_python, speedups.chunk_word_ids):
        with pytest.raises(LookupError, match="kata"):
            kernel(["(kata)"], {}, resolve)


def _ends_by_span_at(analyzer: Analyzer, text: str, starts: list[int]) -> list[int]:
    spans = [analyzer.span_at(text, start) for start in starts]
    return [-1 if span is None else span[1] for span in spans]


# Pieces of text: plain words (one a stopword), a compound, digits of
# other scripts, and the characters around words.
word_texts = st.lists(
    st.sampled_from(
        [*"ab -,.1_\t", "é", "Ж", "中", "²", "٣", "yang", "naik", "anak-anak"]
    ),
    max_size=16,
).map("".join)


@needs_compiled
@given(word_texts, st.lists(st.integers(-2, 45), max_size=8))
@example("naik1 naik\u0663 naik-naik naik yang", [0, 6, 12, 22, 27])
def test_word_ends_match_span_at(
    analyzer: Analyzer, text: str, starts: list[int]
) -> None:
    assert speedups is not None
    for start in range(len(text)):  # every word in the analyzer's cache
        analyzer.span_at(text, start)
    expected = _ends_by_span_at(analyzer, text, starts)
    compiled = speedups.word_ends(text, starts, analyzer._cache)
    # -2: the compiled loop leaves the word to span_at.
    assert [
        e if c == -2 else c for c, e in zip(compiled, expected, strict=True)
    ] == expected
    assert analyzer.word_ends(text, starts) == expected


@st.composite
def posting_records(draw: st.DrawFn, layout: tuple[bool, bool, bool]) -> bytes:
    """A posting record of one layout: frequencies and positions, wide
    positions, offsets."""
    positioned, wide, with_starts = layout
    ids = sorted(draw(st.sets(st.integers(0, 5000), min_size=1, max_size=20)))
    tfs = draw(st.lists(st.integers(1, 4), min_size=len(ids), max_size=len(ids)))
    if not positioned:
        return encode_postings(np.array(ids), None, None)
    top = 100_000 if wide else 60_000
    positions = np.array(
        [draw(st.integers(0, top)) for _ in range(sum(tfs))], dtype=np.int64
    )
    if wide:
        positions[0] = top  # past 16 bits: the record keeps 32-bit positions
    starts = positions * 3 if with_starts else None
    return encode_postings(np.array(ids), np.array(tfs), positions, starts)


layouts = st.tuples(st.booleans(), st.booleans(), st.booleans())


@needs_compiled
@given(st.data(), layouts, layouts, st.lists(st.integers(0, 2**20), max_size=4))
def test_join_records_matches_the_python_version(
    data: st.DataObject,
    layout: tuple[bool, bool, bool],
    other: tuple[bool, bool, bool],
    shifts: list[int],
) -> None:
    assert speedups is not None
    # Mostly one layout, as a merge meets them; sometimes a different one.
    records = [
        data.draw(posting_records(other if i == 1 else layout))
        for i in range(len(shifts))
    ]
    expected = join_records_python(records, shifts)
    assert speedups.join_records(records, shifts) == expected
    if layout == other and shifts:
        assert expected is not None


@needs_compiled
def test_join_records_reject_what_they_cannot_join() -> None:
    assert speedups is not None
    record = encode_postings(np.array([1, 2]), None, None)
    for join in (join_records_python, speedups.join_records):
        with pytest.raises(ValueError, match=r"truncated|smaller"):
            join([record[:12]], [0])
        with pytest.raises(ValueError, match=r"longer|differ in length"):
            join([record], [0, 1])  # a shift too many
        assert join([b"XXXX" + record[4:]], [0]) is None  # not a record
        assert join([record[:4] + bytes(5)], [0]) is None  # no document


def test_the_environment_turns_the_compiled_kernels_off() -> None:
    script = "from newsindex._kernels import speedups; print(speedups is None)"
    env = {**os.environ, PURE_PYTHON_VARIABLE: "1"}
    run = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.strip() == "True"
