"""The index's written words (``_vocabulary.py``, ``_lexicon.py``) and what
they serve: autocomplete, did-you-mean and typo tolerance (``_spelling.py``)."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import texts

from newsindex import Analyzer, Article, NewsIndex, QueryError, _spelling
from newsindex._lexicon import _cache, distance, lexicon_of, typo_budget
from newsindex._registry import FEATURES
from newsindex._segment_builder import _Vocabulary
from newsindex._segment_text import ChunkTable, FieldChunks, SegmentText
from newsindex._vocabulary import (
    MAX_WORD_BYTES,
    SurfaceWords,
    WordCounts,
    merge_counts,
    normalize,
    read_counts,
)
from newsindex.cli import main


def _article(n: int, body: str, title: str = "") -> Article:
    return Article(id=f"a{n}", title=title, body=body)


def _words(counts: WordCounts | None) -> dict[str, int]:
    assert counts is not None
    return {
        w.decode(): int(c)
        for w, c in zip(counts.words.tolist(), counts.counts.tolist(), strict=True)
    }


# -- the segment feature ---------------------------------------------------------


def test_the_feature_counts_written_words_per_article(empty_index: NewsIndex) -> None:
    empty_index.add_many(
        [
            _article(1, "Banjir banjir BANJIR di Jakarta, 2024.", "Banjir Jakarta"),
            _article(2, "Kenaikan harga beras; anak-anak Covid-19."),
        ]
    )
    (segment,) = empty_index._engine._current().segments
    words = _words(segment.feature(SurfaceWords))
    # Lower case, once per article; no stopwords ("di"), no numbers.
    assert words["banjir"] == 1
    assert words["jakarta"] == 1
    assert words["kenaikan"] == 1
    assert words["anak"] == 1
    assert words["covid"] == 1
    assert "di" not in words
    assert "2024" not in words
    assert "19" not in words
    counts = segment.feature(SurfaceWords)
    assert counts is not None
    terms = dict(zip(counts.words.tolist(), counts.terms.tolist(), strict=True))
    assert terms[b"kenaikan"] == b"naik"


def test_the_feature_is_merged_by_summing_and_read_back(
    empty_index: NewsIndex,
) -> None:
    empty_index.add(_article(1, "Banjir merendam Semarang."))
    empty_index.add(_article(2, "Banjir lagi di Semarang dan Demak."))
    empty_index.add_many(
        [_article(3, "Harga beras naik."), _article(4, "Harga cabai naik.")]
    )
    assert len(empty_index._engine._current().segments) == 3
    empty_index.delete("a3")
    empty_index.optimize()
    (segment,) = empty_index._engine._current().segments
    words = _words(segment.feature(SurfaceWords))
    assert words["banjir"] == 2
    assert words["semarang"] == 2
    assert words["demak"] == 1
    # Counts are fixed when a segment is written: a deleted article's words
    # stay (the module docstring says why); searches check terms. (A segment
    # left with no live article is dropped whole, its words with it.)
    assert words["beras"] == 1
    assert words["cabai"] == 1
    assert empty_index.check().ok  # the file is checksummed with the segment


def _reference_counts(analyzer: Analyzer, articles: list[Article]) -> dict:
    """Each kept written word: (articles using it, its term), counted the
    plain way, one article and one word at a time."""
    found: dict[str, tuple[int, str]] = {}
    for article in articles:
        seen: dict[str, str] = {}
        for raw in re.findall(r"[^\W_]+", article.title + " " + article.body):
            word = normalize(raw)
            term = analyzer.term(raw)
            if word.isalpha() and len(word.encode()) <= MAX_WORD_BYTES and term:
                seen[word] = term
        for word, term in seen.items():
            found[word] = (found.get(word, (0, ""))[0] + 1, term)
    return found


def _feature_counts(
    analyzer: Analyzer, articles: list[Article], tmp_path: Path, unused: Article
) -> dict:
    """What the feature writes for ``articles`` (``unused`` is split into
    chunks as if added, but never added), read back."""
    table = ChunkTable(analyzer.chunk_words, _Vocabulary())
    fields = {"title": FieldChunks(), "body": FieldChunks()}
    for n, article in enumerate(articles):
        if n == 1:
            for name in fields:
                FieldChunks.split(getattr(unused, name), table)
        for name, field in fields.items():
            field.append(*FieldChunks.split(getattr(article, name), table))
    text = SegmentText(
        table.chunks,
        {
            name: (np.frombuffer(f.ids, np.uint32), np.frombuffer(f.counts, np.uint32))
            for name, f in fields.items()
        },
    )
    path = str(tmp_path / "words.nxw")
    SurfaceWords(analyzer).write(path, len(articles), text)
    counts = read_counts(path)
    assert counts.words.tolist() == sorted(counts.words.tolist())
    return {
        w.decode(): (int(c), t.decode())
        for w, c, t in zip(
            counts.words.tolist(),
            counts.counts.tolist(),
            counts.terms.tolist(),
            strict=True,
        )
    }


def test_the_feature_counts_as_the_plain_way_does(
    analyzer: Analyzer, sample_articles: list[Article], tmp_path: Path
) -> None:
    unused = _article(0, "Kata-kata yang tak pernah ditambahkan: zzzunik.")
    counted = _feature_counts(analyzer, sample_articles, tmp_path, unused)
    assert counted == _reference_counts(analyzer, sample_articles)
    assert "zzzunik" not in counted


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(texts(20), texts()), min_size=1, max_size=6))
def test_the_feature_counts_as_the_plain_way_does_on_any_text(
    analyzer: Analyzer, tmp_path: Path, pairs: list[tuple[str, str]]
) -> None:
    articles = [_article(n, body, title) for n, (title, body) in enumerate(pairs)]
    unused = _article(99, "zzzunik")
    counted = _feature_counts(analyzer, articles, tmp_path, unused)
    assert counted == _reference_counts(analyzer, articles)


def test_merge_counts_is_a_sorted_union() -> None:
    def counts(pairs: dict[str, int]) -> WordCounts:
        import numpy as np

        words = sorted(pairs)
        return WordCounts(
            np.array([w.encode() for w in words]),
            np.array([w.encode() for w in words]),
            np.array([pairs[w] for w in words]),
        )

    merged = merge_counts(
        [counts({"b": 1, "d": 2}), counts({"a": 1, "b": 3, "eeeee": 1}), counts({})]
    )
    assert _words(merged) == {"a": 1, "b": 4, "d": 2, "eeeee": 1}
    assert merged.words.tolist() == sorted(merged.words.tolist())


def test_old_segments_without_the_file_are_done_without(
    tmp_path: Path, analyzer: Analyzer
) -> None:
    index = NewsIndex.create(tmp_path / "index", analyzer=analyzer)
    FEATURES.remove(SurfaceWords)
    try:
        index.add(_article(1, "Banjir merendam Semarang, banjir lagi."))
    finally:
        FEATURES.append(SurfaceWords)
    index.add(_article(2, "Harga beras naik di Semarang."))
    with NewsIndex.open(index.path) as reopened:
        old, new = reopened._engine._current().segments
        assert old.feature(SurfaceWords) is None
        assert new.feature(SurfaceWords)
        assert reopened.suggest("se") == ("semarang",)  # from the new one only
        assert reopened.suggest("banj") == ()
        results = reopened.search("banjr", typos="auto")
        assert results.notes[0] == "banjr matched nothing"
        reopened.optimize()  # merged with an old segment: its words are lost
        assert reopened.suggest("b") == ("beras",)
    index.close()


# -- autocomplete ------------------------------------------------------------------


@pytest.fixture
def words_index(empty_index: NewsIndex) -> NewsIndex:
    """Articles using ``banjir`` (4), ``bandung`` (3), ``bank`` (2), ``bantu`` (1)."""
    bodies = [
        "Banjir di Bandung, bank tutup.",
        "Banjir lagi; Bandung dan bank.",
        "Banjir bantu warga Bandung.",
        "Banjir surut.",
    ]
    empty_index.add_many([_article(i, body) for i, body in enumerate(bodies)])
    return empty_index


def test_suggest_completes_the_last_word_most_used_first(
    words_index: NewsIndex,
) -> None:
    assert words_index.suggest("ban") == ("banjir", "bandung", "bank", "bantu")
    assert words_index.suggest("ban", limit=2) == ("banjir", "bandung")
    assert words_index.suggest("Harga  BAN", limit=1) == ("Harga  banjir",)
    assert words_index.suggest('"banjir" -ban', limit=1) == ('"banjir" -banjir',)
    assert words_index.suggest("bandung") == ("bandung",)


@pytest.mark.parametrize("prefix", ["", "ban ", "ban2", "zzz", "2024", "b" * 100])
def test_suggest_without_completions(words_index: NewsIndex, prefix: str) -> None:
    assert words_index.suggest(prefix) == ()


@pytest.mark.parametrize("limit", [0, -1, 1001, True, 2.5])
def test_suggest_refuses_a_bad_limit(words_index: NewsIndex, limit: object) -> None:
    with pytest.raises(QueryError):
        words_index.suggest("ban", limit=limit)  # type: ignore[arg-type]


def test_suggest_follows_new_commits(words_index: NewsIndex) -> None:
    assert words_index.suggest("bantu") == ("bantu",)
    words_index.add_many(
        [_article(10 + i, "Bantuan bantuan datang.") for i in range(5)]
    )
    assert words_index.suggest("bant") == ("bantuan", "bantu")


# -- did-you-mean -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "suggestion"),
    [
        ("banjr", "banjir"),  # a deletion
        ("bajnir", "banjir"),  # a transposition
        ("banjirr", "banjir"),  # an insertion
        ("kenaikn harga", "kenaikan harga"),
        ("Kenaikam HARGA", "Kenaikan HARGA"),  # a substitution, cased as typed
        ("pmerintah pangan", "pemerintah pangan"),
        ("xemerintah", "pemerintah"),  # first letter: 2 typos, 9+ letters only
        ('"harga" -impor banjr', '"harga" -impor banjir'),
    ],
)
def test_planted_typos_are_corrected(
    sample_index: NewsIndex, query: str, suggestion: str
) -> None:
    assert sample_index.search(query).suggestion == suggestion


@pytest.mark.parametrize(
    "query",
    [
        "banjir jakarta",  # every word known
        "bnjr",  # under 5 letters: no typo allowed
        "xenaikan",  # a first-letter typo in a word under 9 letters
        "harga 20245",  # numbers are never corrected
        "qwertyuiop",  # nothing close
    ],
)
def test_no_suggestion(sample_index: NewsIndex, query: str) -> None:
    assert sample_index.search(query).suggestion is None


def test_protected_names_are_never_corrected(
    tmp_path: Path, analyzer: Analyzer
) -> None:
    articles = [_article(i, "Sukanto memimpin rapat.") for i in range(5)]
    with NewsIndex.create(tmp_path / "plain", analyzer=analyzer) as plain:
        plain.add_many(articles)
        assert plain.search("sukamto").suggestion == "sukanto"
    guarded = Analyzer(extra_protected_words=["sukamto"])
    with NewsIndex.create(tmp_path / "guarded", analyzer=guarded) as index:
        index.add_many(articles)
        assert index.search("sukamto").suggestion is None


def test_a_rare_word_near_a_common_one_is_corrected(empty_index: NewsIndex) -> None:
    empty_index.add_many(
        [_article(i, "Banjir merendam kota.") for i in range(25)]
        + [_article(99, "Banjirr merendam kota.")]
    )
    assert empty_index.search("banjirr").suggestion == "banjir"
    # Not far rarer (25 against 1 is above the ratio; 5 against 1 is not).
    assert empty_index.search("banjir").suggestion is None


def test_notes_name_the_words_that_matched_nothing(sample_index: NewsIndex) -> None:
    results = sample_index.search("banjr harga qwertyuiop")
    assert "banjr matched nothing" in results.notes
    assert "qwertyuiop matched nothing" in results.notes
    assert not any(note.startswith("harga") for note in results.notes)
    # A word of an OR group that matches through another is not named.
    either = sample_index.search("qwertyuiop OR banjir")
    assert not any("qwertyuiop" in note for note in either.notes)


def test_a_query_whose_words_all_match_never_builds_the_lexicon(
    tmp_path: Path, analyzer: Analyzer
) -> None:
    with NewsIndex.create(tmp_path / "index", analyzer=analyzer) as index:
        index.add_many(
            [_article(i, "Banjir merendam kota Semarang.") for i in range(5)]
        )
        results = index.search("banjir semarang")
        assert results.suggestion is None
        assert results.notes == ()
        assert index._engine._current() not in _cache
        index.search("banjr")
        assert index._engine._current() in _cache


# -- typo tolerance -------------------------------------------------------------------


def test_typos_auto_matches_close_words_below_exact_ones(
    empty_index: NewsIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # By default only a word that matches nothing is widened (measured);
    # allowed for a word of one article, the close words rank below it.
    monkeypatch.setattr(_spelling, "TYPO_MAX_DF", 3)
    empty_index.add_many(
        [_article(i, f"Banjir merendam kota nomor {i}.") for i in range(25)]
        + [_article(99, "Banjirr merendam kota.")]
    )
    off = empty_index.search("banjirr", typos="off")
    assert [hit.id for hit in off] == ["a99"]
    auto = empty_index.search("banjirr", typos="auto", limit=30)
    assert auto.hits[0].id == "a99"  # the word as typed ranks first
    assert auto.total == 26
    assert auto.hits[0].score > auto.hits[1].score
    assert "banjirr also matched banjir (typos)" in auto.notes
    # Close words are highlighted like the query's own.
    assert auto.hits[1].snippet.html().startswith("<mark>Banjir</mark>")


def test_typos_auto_on_a_word_that_matched_nothing(sample_index: NewsIndex) -> None:
    off = sample_index.search("banjr semarang", typos="off")
    auto = sample_index.search("banjr semarang", typos="auto")
    assert auto.total > off.total
    assert "banjr matched nothing" in auto.notes
    assert auto.suggestion == off.suggestion == "banjir semarang"
    top = auto.hits[0]
    assert "banjir" in top.title.lower()
    assert "semarang" in top.title.lower()


def test_typos_must_be_auto_or_off(sample_index: NewsIndex) -> None:
    with pytest.raises(QueryError):
        sample_index.search("banjr", typos="on")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("word", "budget"),
    [("bnjr", 0), ("banjr", 1), ("pemerinta", 2), ("covid19", 0), ("Jakarta", 1)],
)
def test_typo_budget(word: str, budget: int) -> None:
    assert typo_budget(word) == budget


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("banjir", "banjir", 0), ("banjir", "bajnir", 1), ("banjir", "banjr", 1)],
)
def test_distance(a: str, b: str, expected: int) -> None:
    assert distance(a, b, 2) == expected
    assert distance("banjir", "longsor", 2) == 3  # over the limit


def test_close_words_put_fewer_typos_first(sample_index: NewsIndex) -> None:
    lexicon = lexicon_of(sample_index._engine._current())
    close = lexicon.close_words("kenaikn", 1)
    assert close[0].word == "kenaikan"
    assert close[0].typos == 1


# -- the command and the page ---------------------------------------------------------


def test_the_command_suggests_and_says_did_you_mean(
    sample_index: NewsIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    where = str(sample_index.path)
    assert main(["suggest", "--index", where, "harga ke", "--limit", "2"]) == 0
    shown_lines = capsys.readouterr().out.splitlines()
    assert shown_lines == list(sample_index.suggest("harga ke", 2))
    assert main(["suggest", "--index", where, "ke", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown == {"prefix": "ke", "suggestions": list(sample_index.suggest("ke"))}
    assert main(["search", "--index", where, "banjr", "--typos", "off"]) == 0
    out = capsys.readouterr().out
    assert "did you mean: banjir" in out
    assert "note: banjr matched nothing" in out
    assert main(["search", "--index", where, "banjr", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["suggestion"] == "banjir"


def test_the_search_page_links_the_corrected_search(sample_index: NewsIndex) -> None:
    pytest.importorskip("starlette")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*install `httpx2` instead")
        warnings.filterwarnings("ignore", message="The anyio.* alias is deprecated")
        from starlette.testclient import TestClient

    from newsindex.web import create_app

    with TestClient(create_app(sample_index)) as client:
        page = client.get("/", params={"q": "banjr", "source": "Kabar Nusantara"})
        assert 'Did you mean <a href="?q=banjir&amp;source=Kabar+Nusantara">' in (
            page.text
        )
        assert "Did you mean" not in client.get("/", params={"q": "banjir"}).text
