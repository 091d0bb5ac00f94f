"""The stem table kept with an index: written by writers (and their worker
processes), read by every process, so that known words are never stemmed
again."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsindex import Analyzer, Article, NewsIndex
from newsindex._stemtable import StemTable, table_bytes, table_name


class CountingStemmer:
    """Cuts a final "kan"; counts its calls (picklable, for workers)."""

    name = "counting-1"

    def __init__(self) -> None:
        self.calls = 0

    def stem(self, word: str) -> str:
        self.calls += 1
        return word.removesuffix("kan")


def _letters(i: int) -> str:
    """A distinct run of letters per number (stemmers skip words with digits)."""
    out = ""
    while True:
        i, digit = divmod(i, 26)
        out += chr(ord("a") + digit)
        if not i:
            return out


def _articles(count: int, start: int = 0) -> list[Article]:
    return [
        Article(
            id=f"a{i}",
            body=f"naikkan{_letters(i)} harga{_letters(i)} turunkan{_letters(i)}",
        )
        for i in range(start, start + count)
    ]


def test_the_table_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "t.nxt"
    entries = {"menaikkan": "naik", "kenaikan": "naik", "ćevapi": "ćevap"}
    path.write_bytes(table_bytes(entries))
    table = StemTable(path)
    assert len(table) == 3
    assert all(table.get(word) == stem for word, stem in entries.items())
    assert table.get("naik") is None
    assert table.items() == entries
    assert StemTable(tmp_path / "missing.nxt").get("naik") is None
    (tmp_path / "torn.nxt").write_bytes(table_bytes(entries)[:9])
    assert StemTable(tmp_path / "torn.nxt").get("kenaikan") is None


@pytest.mark.parametrize("jobs", [1, 2])
def test_known_words_are_not_stemmed_again(tmp_path: Path, jobs: int) -> None:
    stemmer = CountingStemmer()
    path = tmp_path / "index"
    with NewsIndex.create(path, analyzer=Analyzer(stemmer=stemmer)) as index:
        index.add_many(_articles(400), jobs=jobs)  # 1,200 words: worth a table
    table = path / table_name("counting-1")
    assert table.exists()
    assert StemTable(table).get("naikkanh") == "naikkanh"  # no final "kan"
    assert StemTable(table).get("turunkanh") == "turunkanh"

    later = CountingStemmer()  # another process: a fresh analyzer and cache
    analyzer = Analyzer(stemmer=later)
    with NewsIndex.open(path, analyzer=analyzer) as index:
        assert [h.id for h in index.search("turunkanh")] == ["a7"]
        index.add_many(_articles(10))  # the same words again: re-indexing
    assert later.calls == 0


def test_a_search_never_loads_the_dictionary_for_known_words(
    tmp_path: Path,
) -> None:
    path = tmp_path / "index"
    with NewsIndex.create(path) as index:  # Sastrawi
        index.add_many(
            Article(id=f"k{i}", body=f"kenaikan harga beras {_letters(i)}pekan")
            for i in range(1_200)
        )
    with NewsIndex.open(path) as index:
        stemmer = index.analyzer.stemmer
        hits = index.search(f"kenaikan {_letters(3)}pekan", limit=1)
        assert [h.id for h in hits] == ["k3"]
        assert stemmer._stemmer is None  # type: ignore[attr-defined]
