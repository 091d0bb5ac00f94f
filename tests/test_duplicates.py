"""Near-copies: signatures written, merged and read with each segment, and
collapsed in search results (``_signatures.py``, ``_duplicates.py``)."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from shorthands import ids
from strategies import query_texts, texts

from newsindex import Analyzer, Article, CorruptIndexError, NewsIndex
from newsindex._duplicates import THRESHOLD
from newsindex._signatures import (
    NO_SIGNATURE,
    SIGNATURE_SIZE,
    Signatures,
    article_signature,
    signature_of,
    similarity,
)
from newsindex.cli import EXIT_OK, main

LEGACY = Path(__file__).resolve().parent / "fixtures" / "index-0.1.0"

STORY = [
    "Pemerintah resmi menaikkan harga bahan bakar minyak nonsubsidi mulai Minggu.",
    "Harga bensin beroktan 92 naik menjadi Rp13.700 per liter dari Rp13.100.",
    "Menurut Kementerian Energi, penyesuaian dilakukan karena harga minyak dunia naik.",
    "Pengemudi ojek daring di Jakarta mengeluhkan kenaikan yang tidak diimbangi tarif.",
    "Pertamina memastikan pasokan di seluruh stasiun pengisian tetap aman pekan ini.",
    "Harga solar dan pertalite yang disubsidi tidak berubah sampai akhir tahun.",
    "Ekonom memperkirakan inflasi bulan depan naik tipis akibat ongkos angkutan.",
    "Pemerintah daerah diminta mengawasi harga kebutuhan pokok di pasar tradisional.",
]


def _story(article_id: str, title: str, drop: int | None = None, **fields) -> Article:
    """The BBM story, one sentence dropped if ``drop`` is given."""
    body = " ".join(s for i, s in enumerate(STORY) if i != drop)
    return Article(id=article_id, title=title, body=body, **fields)


ORIGINAL = _story(
    "bbm-kabar", "Pemerintah Naikkan Harga BBM Nonsubsidi", source="Kabar"
)
COPIES = [
    _story("bbm-warta", "Harga BBM Nonsubsidi Naik Mulai Minggu", 3, source="Warta"),
    _story("bbm-suara", "BBM Nonsubsidi Resmi Naik, Ojek Mengeluh", 6, source="Suara"),
]
OTHER = Article(
    id="bbm-lain",
    title="Harga BBM di Papua Turun",
    body="Harga bahan bakar minyak di pegunungan Papua turun setelah jalur "
    "distribusi udara dibuka. Warga Wamena kini membeli bensin lebih murah "
    "daripada bulan lalu, kata kepala distrik kepada wartawan.",
    source="Kabar",
)


def _table(index: NewsIndex, si: int) -> np.ndarray | None:
    table = index._engine._current().segments[si].feature(Signatures)
    return None if table is None else table.values


# -- signatures ------------------------------------------------------------------


def test_signatures_are_deterministic_and_text_only() -> None:
    again = Article(id="x", title="another title", body=ORIGINAL.body)
    assert np.array_equal(article_signature(ORIGINAL), article_signature(again))
    assert article_signature(ORIGINAL).dtype == np.dtype("<u2")


@pytest.mark.parametrize("copy", COPIES, ids=lambda a: a.id)
def test_a_copy_is_similar_and_a_different_story_is_not(copy: Article) -> None:
    mine = article_signature(ORIGINAL)
    assert similarity(mine, article_signature(copy)) >= THRESHOLD
    assert similarity(mine, article_signature(OTHER)) < 0.2
    assert similarity(mine, mine) == 1.0


@pytest.mark.parametrize("text", ["", "Banjir", "Banjir melanda Bekasi pagi ini lagi"])
def test_short_texts_get_no_signature_and_are_never_similar(text: str) -> None:
    assert signature_of(text) is NO_SIGNATURE
    assert similarity(NO_SIGNATURE, NO_SIGNATURE) == 0.0


@given(texts(), texts())
def test_similarity_is_symmetric_and_a_share(first: str, second: str) -> None:
    a, b = signature_of(first), signature_of(second)
    assert np.array_equal(a, signature_of(first))  # deterministic
    assert similarity(a, b) == similarity(b, a)
    assert 0.0 <= similarity(a, b) <= 1.0
    assert a.shape == (SIGNATURE_SIZE,)


def test_signatures_do_not_depend_on_the_process(tmp_path: Path) -> None:
    # Worker processes compute signatures too: they must equal the writer's.
    articles = [ORIGINAL, *COPIES, OTHER]
    index = NewsIndex.create(tmp_path / "index", analyzer=Analyzer(stemmer="none"))
    index.add_many(articles, jobs=2)
    found = {}
    for segment in index._engine._current().segments:
        table = segment.feature(Signatures)
        for docnum in np.flatnonzero(segment.live).tolist():
            found[segment.stored(docnum)["id"]] = table.values[docnum]
    for article in articles:
        assert np.array_equal(found[article.id], article_signature(article))
    index.close()


# -- the segment feature -----------------------------------------------------------


def test_signatures_are_written_merged_and_read(tmp_path: Path) -> None:
    index = NewsIndex.create(tmp_path / "index", analyzer=Analyzer(stemmer="none"))
    index.add_many([ORIGINAL, OTHER])
    index.add(COPIES[0])
    first, second = _table(index, 0), _table(index, 1)
    assert first is not None
    assert second is not None
    assert np.array_equal(first[1], article_signature(OTHER))
    assert np.array_equal(second[0], article_signature(COPIES[0]))
    index.delete(ORIGINAL.id)
    index.optimize()  # the live documents keep their rows, in the merged order
    (segment,) = index._engine._current().segments
    merged = segment.feature(Signatures).values
    assert len(merged) == segment.doc_count_all == 2
    for docnum in range(2):
        article = segment.article(docnum)
        assert np.array_equal(merged[docnum], article_signature(article))
    assert index.check().ok  # the .nxm file is checksummed
    index.close()


def test_old_segments_have_none_and_still_collapse_nothing(tmp_path: Path) -> None:
    shutil.copytree(LEGACY, tmp_path / "index")
    with NewsIndex.open(tmp_path / "index") as index:
        assert all(
            s.feature(Signatures) is None for s in index._engine._current().segments
        )
        plain = index.search("harga", limit=50)
        collapsed = index.search("harga", limit=50, collapse=True)
        assert ids(collapsed) == ids(plain)
        assert collapsed.total == plain.total
        index.add(ORIGINAL)
        index.optimize()  # old documents get no signature, the new one its own
        (segment,) = index._engine._current().segments
        values = segment.feature(Signatures).values
        mine = segment.docnums_for_id(ORIGINAL.id)[0]
        assert np.array_equal(values[mine], article_signature(ORIGINAL))
        others = [d for d in range(segment.doc_count_all) if d != mine]
        assert (values[others] == NO_SIGNATURE).all()


def test_a_damaged_signature_file_is_reported(tmp_path: Path) -> None:
    index = NewsIndex.create(tmp_path / "index", analyzer=Analyzer(stemmer="none"))
    index.add_many([ORIGINAL, OTHER])
    index.close()
    (path,) = (tmp_path / "index").glob("*.nxm")
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(CorruptIndexError, match="signature file"):
        NewsIndex.open(tmp_path / "index")


# -- collapsing ------------------------------------------------------------------------


@pytest.fixture
def copies_index(tmp_path: Path, sample_articles: list[Article]) -> NewsIndex:
    """The sample articles, the original story, and its copies in two later
    commits (so copies sit in other segments than their original)."""
    index = NewsIndex.create(tmp_path / "index", analyzer=Analyzer())
    index.add_many([*sample_articles, ORIGINAL, OTHER])
    index.add(COPIES[0])
    index.add(COPIES[1])
    return index


def test_copies_collapse_into_the_best_hit(copies_index: NewsIndex) -> None:
    plain = copies_index.search("harga bbm nonsubsidi", limit=50)
    found = copies_index.search("harga bbm nonsubsidi", limit=50, collapse=True)
    story = {ORIGINAL.id, *(c.id for c in COPIES)}
    (best,) = [hit for hit in found if hit.id in story]
    assert best.id == next(i for i in ids(plain) if i in story)
    assert sorted(best.duplicates) == sorted(story - {best.id})
    assert found.total == plain.total - 2
    assert any("2 near-copies" in note for note in found.notes)
    assert [i for i in ids(found) if i not in story] == [
        i for i in ids(plain) if i not in story
    ]
    assert all(hit.duplicates == () for hit in plain)
    copies_index.close()


@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_collapse_pages_neither_overlap_nor_skip(
    copies_index: NewsIndex, sort: str
) -> None:
    query = "harga naik OR bbm OR banjir"
    whole = copies_index.search(query, limit=60, collapse=True, sort=sort)
    pages = [
        copies_index.search(query, limit=4, page=n, collapse=True, sort=sort)
        for n in range(1, 16)
    ]
    assert [i for page in pages for i in ids(page)] == ids(whole)
    assert {page.total for page in pages} == {whole.total}
    copies_index.close()


@pytest.mark.parametrize(
    "query", ["harga", "banjir OR gempa", '"harga beras"', "naik -beras", "pasar"]
)
@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_distinct_stories_are_never_merged(
    sample_index: NewsIndex, query: str, sort: str
) -> None:
    # The sample articles are forty different stories: collapse changes
    # nothing, not even the order or the scores.
    plain = sample_index.search(query, limit=100, sort=sort)
    found = sample_index.search(query, limit=100, sort=sort, collapse=True)
    assert [(h.id, h.score) for h in found] == [(h.id, h.score) for h in plain]
    assert found.total == plain.total
    assert all(hit.duplicates == () for hit in found)


@given(query_texts())
def test_any_query_collapses_without_error(sample_index: NewsIndex, query: str) -> None:
    plain = sample_index.search(query, limit=50)
    found = sample_index.search(query, limit=50, collapse=True)
    assert ids(found) == ids(plain)
    assert found.total == plain.total


def test_search_collapse_json_from_the_command(
    copies_index: NewsIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(copies_index.path)
    copies_index.close()
    argv = ["search", "--index", path, "harga bbm nonsubsidi", "--json"]
    assert main([*argv, "--collapse"]) == EXIT_OK
    hits = json.loads(capsys.readouterr().out)["hits"]
    story = {ORIGINAL.id, *(c.id for c in COPIES)}
    (best,) = [hit for hit in hits if hit["id"] in story]
    assert sorted([best["id"], *best["duplicates"]]) == sorted(story)
    assert main([*argv, "--no-collapse"]) == EXIT_OK
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert len([hit for hit in hits if hit["id"] in story]) == 3


def test_search_collapse_text_from_the_command(
    copies_index: NewsIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(copies_index.path)
    copies_index.close()
    assert main(["search", "--index", path, "harga bbm nonsubsidi"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "2 near-copies" in out
    assert "also: " in out


def test_the_page_collapses_and_lists_the_copies(copies_index: NewsIndex) -> None:
    pytest.importorskip("starlette")
    with warnings.catch_warnings():  # as in test_web.py: the client's fallbacks
        warnings.filterwarnings("ignore", message=".*install `httpx2` instead")
        warnings.filterwarnings("ignore", message="The anyio.* alias is deprecated")
        from starlette.testclient import TestClient

    from newsindex.web import create_app

    hostile = _story(
        "bbm-jahat",
        "BBM <script>alert(1)</script>",
        5,
        source="<b>Jahat</b>",
        url="javascript:alert(2)",
    )
    copies_index.add(hostile)
    with TestClient(create_app(copies_index)) as client:
        page = client.get("/", params={"q": "harga bbm nonsubsidi"}).text
        api = client.get("/api/search", params={"q": "harga bbm nonsubsidi"}).json()
    assert page.count('class="copies"') == 1
    assert ">Warta</a>" not in page  # no address: a name, not a link
    assert "Warta" in page
    assert "Suara" in page
    assert "&lt;b&gt;Jahat&lt;/b&gt;" in page
    assert "<b>Jahat" not in page
    assert "javascript:" not in page
    assert "near-copies folded" in page
    # The API follows the library's default: every article.
    story = {ORIGINAL.id, hostile.id, *(c.id for c in COPIES)}
    assert len([h for h in api["hits"] if h["id"] in story]) == 4
    copies_index.close()
