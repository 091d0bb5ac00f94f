"""Relevance that would catch a regression, over the bundled sample articles.

A fixed set of judged keyword queries, in the setting of use (titles
indexed, two to four typed words): words of a title, words of a body only,
both, names, and other forms of a word than the article's. The full query
sets run in ``python -m bench`` (``bench/relevance.py``, ``bench/ablation.py``).
"""

from __future__ import annotations

import pytest

from newsindex import NewsIndex, Ranking

#: (query, the article it was written for), by kind.
JUDGED = {
    "title words": [
        ("harga bbm nonsubsidi", "eko-bbm-nonsubsidi"),
        ("beras warung makan", "eko-harga-beras-warung"),
        ("tarif angkutan bandung", "daerah-tarif-angkot-bandung"),
        ("cabai rawit ramadan", "eko-cabai-ramadan"),
        ("banjir semarang", "daerah-banjir-semarang"),
        ("longsor bogor", "daerah-longsor-bogor"),
        ("kurang tidur remaja", "kes-kurang-tidur"),
        ("bulu tangkis ganda putra", "olahraga-bulu-tangkis"),
        ("motor listrik", "tek-motor-listrik"),
        ("jadwal pilkada", "pol-jadwal-pilkada"),
    ],
    "other forms": [
        ("naik harga bbm", "eko-bbm-nonsubsidi"),
        ("menaikkan tarif ojek", "eko-tarif-ojek-daring"),
        ("elpiji naik", "eko-elpiji-tetap"),
        ("kunjungan wisatawan bali", "daerah-wisatawan-bali"),
        ("tembus penonton horor", "hib-film-horor"),
        ("ekspor beras menaikkan", "int-ekspor-beras"),
    ],
    "body words": [
        ("kali bekasi meluap", "daerah-banjir-bekasi"),
        ("truk pengangkut sampah", "daerah-sampah-bekasi"),
        ("demam berdarah dengue", "kes-dbd-anak"),
        ("menara pemancar", "tek-internet-desa-ntt"),
        ("rapat paripurna subsidi", "pol-subsidi-energi"),
        ("biaya melaut", "daerah-nelayan-solar"),
        ("pasar induk kramat jati", "eko-cabai-ramadan"),
    ],
    # Titles that only the tuned weights put first (the choices before put
    # another article first: an article whose lead, or whose body, repeats
    # the words).
    "close calls": [
        ("angkutan kota", "daerah-tarif-angkot-bandung"),
        ("minta waspada", "eko-target-inflasi-ekonom"),
        ("bekasi tambah", "daerah-sampah-bekasi"),
        ("tepat sasaran", "pol-bansos-tepat-sasaran"),
        ("naikkan harga", "int-ekspor-beras"),
        ("minyak dinaikkan", "eko-minyak-goreng"),
    ],
    "names": [
        ("persebaya persita", "olahraga-liga-persebaya"),
        ("kuala lumpur pangan", "int-asean-pangan"),
        ("gelora bung karno vietnam", "olahraga-timnas-vietnam"),
    ],
}
CASES = [(kind, q, want) for kind, pairs in JUDGED.items() for q, want in pairs]


def _rank(index: NewsIndex, query: str, want: str) -> int | None:
    ids = [hit.id for hit in index.search(query, limit=10, snippets=False)]
    return ids.index(want) + 1 if want in ids else None


def _mrr(index: NewsIndex) -> float:
    ranks = [_rank(index, query, want) for _, query, want in CASES]
    return sum(1 / r for r in ranks if r) / len(ranks)


@pytest.mark.parametrize(("kind", "query", "want"), CASES)
def test_each_judged_query_finds_its_article_first(
    sample_index: NewsIndex, kind: str, query: str, want: str
) -> None:
    assert _rank(sample_index, query, want) == 1, kind


@pytest.mark.parametrize(
    "before",
    [Ranking(title_weight=2.0), Ranking(lead_with_title=True)],
    ids=["title weight 2", "lead for titled articles"],
)
def test_undoing_a_tuned_choice_costs_mrr(
    sample_index: NewsIndex, before: Ranking
) -> None:
    assert _mrr(sample_index) == 1.0
    with NewsIndex.open(sample_index.path, ranking=before) as index:
        assert _mrr(index) < 1.0
