"""Abbreviations and colloquial words: other forms a query word also searches.

``KPK`` and ``Komisi Pemberantasan Korupsi`` name one thing; ``gak``,
``nggak`` and ``enggak`` are one word. Each line of :data:`BUILTIN` (written
for newsindex) is a group of equivalent forms, and :class:`Expansions` adds
the user's own. At query time, after parsing, a clause whose word (or quoted
phrase) is one form of a group also matches the group's other forms: they
become alternatives of the clause (as ``OR`` would make them), so ranking
counts them as the same word and snippets highlight them, whichever form an
article uses. Several words in a row that spell out a form (``komisi
pemberantasan korupsi``) each also match the group's other forms (``KPK``).
The forms not typed weigh :data:`WEIGHT` of their idf, so that articles
using the typed form rank first (known-item queries, which copy the
article's own words, lost up to 0.007 MRR@10 at full weight, 0.0025 at 0.5).

A line ``uang <- duit`` is one way: ``duit`` also finds ``uang``, not the
other way round (the standard words are common in queries, their
colloquial forms rare in news: matching them cost every query that typed
the standard word, measured 0.07 ms at the p50 of short queries, for
nothing the known-item sets could see).

A stopword in a group (``tidak = gak | nggak``) stays a stopword: its
colloquial forms match each other only. Dropping them as stopwords was
measured first and cost known-item keyword queries up to 0.007 MRR@10: the
articles of entertainment sites use them in their titles (``Musik Aja``,
``Kurang Apa Enggak``), where they set a story apart. Indexes keep
indexing them either way, so every index, whatever stopwords it recorded,
treats them alike; the default stopwords are unchanged (new indexes would
otherwise record another analyzer than existing ones, and ``swap`` refuses
to mix those).

A group is found by its words as written (a query with ``membuat`` finds
the group of ``bikin``, one with ``dibuat`` does not), and analysed only
then, so a search of words the index knows never needs the stemmer (see
``_stemtable.py``); within the group, forms are matched by their terms.
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from collections.abc import Iterable, Mapping
from typing import Any, Final, TypeAlias

from newsindex._analysis import Analyzer
from newsindex._query import Clause, ParsedQuery
from newsindex._values import Value
from newsindex.errors import ConfigurationError

#: Alternatives a clause may hold after expansion (a bound on its cost).
MAX_EXPANDED: Final = 16
#: Characters of a query searched for the words of groups.
_MAX_SCANNED: Final = 10_000
_WORD = re.compile(r"[^\W_]+")

#: Factor on the idf of another form than the one typed, so that articles
#: using the typed form rank first (measured; see ``bench/typos.py``).
WEIGHT: Final = 0.5

_Extra: TypeAlias = "Mapping[str, str | Iterable[str]] | Iterable[Iterable[str]]"

#: The built-in groups: ``form = form | form``, one group a line.
BUILTIN: Final = """
KPK = Komisi Pemberantasan Korupsi
Polri = Kepolisian Republik Indonesia | Kepolisian Negara Republik Indonesia
TNI = Tentara Nasional Indonesia
DPR = Dewan Perwakilan Rakyat
DPRD = Dewan Perwakilan Rakyat Daerah
DPD = Dewan Perwakilan Daerah
MPR = Majelis Permusyawaratan Rakyat
MK = Mahkamah Konstitusi
MA = Mahkamah Agung
KY = Komisi Yudisial
KPU = Komisi Pemilihan Umum
Bawaslu = Badan Pengawas Pemilu | Badan Pengawas Pemilihan Umum
BPK = Badan Pemeriksa Keuangan
BI = Bank Indonesia
OJK = Otoritas Jasa Keuangan
BPS = Badan Pusat Statistik
BMKG = Badan Meteorologi Klimatologi dan Geofisika
BNPB = Badan Nasional Penanggulangan Bencana
BPBD = Badan Penanggulangan Bencana Daerah
Basarnas = Badan SAR Nasional | Badan Nasional Pencarian dan Pertolongan
BNN = Badan Narkotika Nasional
BNPT = Badan Nasional Penanggulangan Terorisme
BPOM = Badan Pengawas Obat dan Makanan
BUMN = Badan Usaha Milik Negara
BUMD = Badan Usaha Milik Daerah
APBN = Anggaran Pendapatan dan Belanja Negara
APBD = Anggaran Pendapatan dan Belanja Daerah
PLN = Perusahaan Listrik Negara
BBM = Bahan Bakar Minyak
PNS = Pegawai Negeri Sipil
ASN = Aparatur Sipil Negara
UMKM = Usaha Mikro Kecil dan Menengah
PHK = Pemutusan Hubungan Kerja
UMP = Upah Minimum Provinsi
UMR = Upah Minimum Regional
PPN = Pajak Pertambahan Nilai
KTP = Kartu Tanda Penduduk
NIK = Nomor Induk Kependudukan
HAM = Hak Asasi Manusia
Komnas HAM = Komisi Nasional Hak Asasi Manusia
PBB = Perserikatan Bangsa-Bangsa
RI = Republik Indonesia
NKRI = Negara Kesatuan Republik Indonesia
Pemilu = Pemilihan Umum
Pilkada = Pemilihan Kepala Daerah
Pilpres = Pemilihan Presiden
Pileg = Pemilihan Legislatif
Capres = Calon Presiden
Cawapres = Calon Wakil Presiden
Wapres = Wakil Presiden
Wagub = Wakil Gubernur
Kapolri = Kepala Kepolisian Republik Indonesia
Kapolda = Kepala Kepolisian Daerah
Polda = Kepolisian Daerah
Polres = Kepolisian Resor
Polsek = Kepolisian Sektor
Kejagung = Kejaksaan Agung
Kejati = Kejaksaan Tinggi
Kejari = Kejaksaan Negeri
JPU = Jaksa Penuntut Umum
Tipikor = Tindak Pidana Korupsi
OTT = Operasi Tangkap Tangan
Lapas = Lembaga Pemasyarakatan
Rutan = Rumah Tahanan
Kemenkes = Kementerian Kesehatan
Kemenkeu = Kementerian Keuangan
Kemendagri = Kementerian Dalam Negeri
Kemenlu = Kementerian Luar Negeri
Kemenag = Kementerian Agama
Kemenhan = Kementerian Pertahanan
Kemenhub = Kementerian Perhubungan
Kementan = Kementerian Pertanian
Kemensos = Kementerian Sosial
Kemendikbud = Kementerian Pendidikan dan Kebudayaan
Kemenkumham = Kementerian Hukum dan HAM | Kementerian Hukum dan Hak Asasi Manusia
Kemenpora = Kementerian Pemuda dan Olahraga
Kemnaker = Kemenaker | Kementerian Ketenagakerjaan
Kemenperin = Kementerian Perindustrian
Kemendag = Kementerian Perdagangan
ESDM = Energi dan Sumber Daya Mineral
PUPR = Pekerjaan Umum dan Perumahan Rakyat
KLHK = Kementerian Lingkungan Hidup dan Kehutanan
Pemda = Pemerintah Daerah
Pemprov = Pemerintah Provinsi
Pemkot = Pemerintah Kota
Pemkab = Pemerintah Kabupaten
Satpol PP = Satuan Polisi Pamong Praja
Damkar = Pemadam Kebakaran
Puskesmas = Pusat Kesehatan Masyarakat
RSUD = Rumah Sakit Umum Daerah
RS = Rumah Sakit
SD = Sekolah Dasar
SMP = Sekolah Menengah Pertama
SMA = Sekolah Menengah Atas
SMK = Sekolah Menengah Kejuruan
LSM = Lembaga Swadaya Masyarakat
Ormas = Organisasi Kemasyarakatan
Parpol = Partai Politik
Bansos = Bantuan Sosial
BLT = Bantuan Langsung Tunai
Sembako = Sembilan Bahan Pokok
Timnas = Tim Nasional
PSSI = Persatuan Sepak Bola Seluruh Indonesia
IHSG = Indeks Harga Saham Gabungan
BEI = Bursa Efek Indonesia
KRL = Kereta Rel Listrik
MRT = Moda Raya Terpadu
LRT = Lintas Rel Terpadu
KAI = Kereta Api Indonesia
Medsos = Media Sosial
Ortu = Orang Tua
Lansia = Lanjut Usia
Ojol = Ojek Online | Ojek Daring
DKI = Daerah Khusus Ibukota | Daerah Khusus Ibu Kota
DIY = Daerah Istimewa Yogyakarta
Jogja = Yogya | Yogyakarta | Jogjakarta
Jabar = Jawa Barat
Jateng = Jawa Tengah
Jatim = Jawa Timur
Jaksel = Jakarta Selatan
Jakpus = Jakarta Pusat
Jakbar = Jakarta Barat
Jaktim = Jakarta Timur
Jakut = Jakarta Utara
Sumut = Sumatera Utara | Sumatra Utara
Sumbar = Sumatera Barat | Sumatra Barat
Sumsel = Sumatera Selatan | Sumatra Selatan
Sumatera = Sumatra
Kalbar = Kalimantan Barat
Kalteng = Kalimantan Tengah
Kalsel = Kalimantan Selatan
Kaltim = Kalimantan Timur
Kaltara = Kalimantan Utara
Sulut = Sulawesi Utara
Sulteng = Sulawesi Tengah
Sulsel = Sulawesi Selatan
Sultra = Sulawesi Tenggara
Sulbar = Sulawesi Barat
NTB = Nusa Tenggara Barat
NTT = Nusa Tenggara Timur
Babel = Bangka Belitung
Kepri = Kepulauan Riau
Malut = Maluku Utara
Ramadan = Ramadhan
Lebaran = Idul Fitri | Idulfitri
hoaks = hoax
tidak = gak | nggak | enggak | ngga | ga | gk | tdk | kagak | ndak
bagaimana = gimana | gmn
sudah = udah | udh | sdh
belum = blm | belom
saja = aja | doang
yang = yg
dengan = dgn
untuk = utk
karena = krn | karna
kalau = kalo | klo
juga = jg
tetapi = tapi | tp
sampai = sampe
seperti = kayak
tersebut = tsb
sangat = banget | bgt
memang = emang
begitu = gitu
begini = gini
kenapa = napa | knp
saya = gue | gw
kamu = lu | elo
uang <- duit
besar <- gede
membuat <- bikin
pakai <- pake
lihat <- liat
tahu <- tau
bicara <- ngomong
perempuan <- cewek | cewe
laki-laki <- cowok | cowo
teman <- temen
benar <- bener
cepat <- cepet
ayah <- bokap
ibu <- nyokap
"""


def _parse_groups(text: str) -> list[tuple[str, ...]]:
    """The groups of ``a = b | c`` lines; in ``a <- b | c``, ``a`` only
    receives (it is marked with a leading ``<``)."""
    groups = []
    for line in text.splitlines():
        target, arrow, rest = line.partition("<-")
        if not arrow:
            target, rest = "", line
        forms = tuple(f.strip() for f in rest.replace("=", "|").split("|"))
        forms = tuple(f for f in forms if f)
        if forms:
            groups.append((*([f"<{target.strip()}"] if arrow else []), *forms))
    return groups


def _forms(value: object) -> tuple[str, ...]:
    """One group's forms, checked."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ConfigurationError(f"expansions: {value!r} is not a group of forms")
    forms = tuple(value)
    if not all(isinstance(f, str) and f.strip() for f in forms):
        raise ConfigurationError(f"expansions: {forms!r} holds a form that is no text")
    return tuple(f.strip() for f in forms)


def _extra_groups(value: _Extra) -> tuple[tuple[str, ...], ...]:
    """``{"KPK": "Komisi Pemberantasan Korupsi"}`` (a form and what it stands
    for, one or several) or groups of forms, as groups of forms.

    Raises:
        ConfigurationError: anything else.
    """
    if isinstance(value, Mapping):
        groups = [
            _forms([key, *([meaning] if isinstance(meaning, str) else _forms(meaning))])
            for key, meaning in value.items()
        ]
    elif isinstance(value, Iterable) and not isinstance(value, str):
        groups = [_forms(group) for group in value]
    else:
        raise ConfigurationError(f"expansions: {value!r} is not a mapping or groups")
    return tuple(group for group in groups if len(group) > 1)


_Forms: TypeAlias = "dict[tuple[str, ...], tuple[int, ...]]"
_Groups: TypeAlias = "dict[int, tuple[tuple[str, ...], ...]]"
_Runs: TypeAlias = "dict[str, list[tuple[str, ...]]]"


class _Table(Value):
    """Some groups as terms, for one analyzer."""

    __slots__ = ("forms", "groups", "runs")
    forms: _Forms  # a form's terms -> its groups
    groups: _Groups  # each group's forms, as terms
    runs: _Runs  # first term -> multi-word forms

    def __init__(self, forms: _Forms, groups: _Groups, runs: _Runs) -> None:
        self._set(forms, groups, runs)


def _analysed(
    group: tuple[str, ...], analyzer: Analyzer
) -> tuple[tuple[str, ...], ...]:
    """A group's forms as terms; a stopword (``tidak``) is left out, its
    colloquial forms staying equivalent to each other (see the module
    docstring)."""
    forms = (tuple(analyzer.terms(f.removeprefix("<"))) for f in group)
    return tuple(dict.fromkeys(t for t in forms if t))


def _table(groups: _Groups) -> _Table:
    forms: dict[tuple[str, ...], list[int]] = {}
    runs: dict[str, list[tuple[str, ...]]] = {}
    for number, kept in groups.items():
        if len(kept) < 2:
            continue
        for terms in kept:
            forms.setdefault(terms, []).append(number)
            if len(terms) > 1 and terms not in runs.get(terms[0], ()):
                runs.setdefault(terms[0], []).append(terms)
    return _Table({k: tuple(v) for k, v in forms.items()}, groups, runs)


def _words(text: str) -> list[str]:
    """The words of ``text`` as groups are found by them (lower case, NFKC)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return _WORD.findall(text.lower())


class _Caches:
    """Caches of :class:`Expansions`: not fields, so not compared or copied."""

    __slots__ = ("_analysed", "_index")
    _index: dict[str, Any]
    _analysed: dict[int, tuple[weakref.ref[Analyzer], dict[int, Any]]]

    def _clear(self) -> None:
        object.__setattr__(self, "_index", {})
        object.__setattr__(self, "_analysed", {})


class Expansions(Value, _Caches):
    """The other forms query words also search (see ``_expansions.py``).

    Args:
        extra: the user's own: a mapping of a word or abbreviation to what it
            stands for (a string, or several), such as ``{"Kemenkes":
            "Kementerian Kesehatan"}``, or groups of equivalent forms.
        builtin: include the built-in abbreviations and colloquial words
            (:data:`BUILTIN`).

    Raises:
        ConfigurationError: a form that is not text.
    """

    __slots__ = ("builtin", "extra")
    extra: tuple[tuple[str, ...], ...]
    builtin: bool
    # Groups are found by their words as written, and analysed only when a
    # query uses one (a search of words the index knows never needs the
    # stemmer, see ``_stemtable.py``), then kept in _Caches per analyzer.

    def __init__(self, *, extra: _Extra = (), builtin: bool = True) -> None:
        self._set(_extra_groups(extra), builtin)
        self._clear()

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        super().__setstate__(state)
        self._clear()

    def _by_word(self) -> tuple[list[tuple[str, ...]], dict[str, list[int]]]:
        found = self._index.get("by_word")
        if found is None:
            groups = [*(_parse_groups(BUILTIN) if self.builtin else ()), *self.extra]
            by_word: dict[str, list[int]] = {}
            for number, group in enumerate(groups):
                # A form matches from its first word on (a word, a phrase,
                # or words in a row), so that word finds the group.
                sources = (f for f in group if not f.startswith("<"))
                for word in {_words(form)[0] for form in sources if _words(form)}:
                    by_word.setdefault(word, []).append(number)
            found = self._index["by_word"] = (groups, by_word)
        return found

    def table(self, analyzer: Analyzer, text: str) -> _Table | None:
        """The groups with a word of ``text``, analysed by ``analyzer``, or
        ``None`` if no group has one."""
        groups, by_word = self._by_word()
        numbers = {n for w in _words(text) for n in by_word.get(w, ())}
        if not numbers:
            return None
        cached = self._analysed.get(id(analyzer))
        if cached is None or cached[0]() is not analyzer:
            if len(self._analysed) > 16:  # analyzers come and go in tests
                self._analysed.clear()
            cached = self._analysed[id(analyzer)] = (weakref.ref(analyzer), {})
        done = cached[1]
        for number in numbers - done.keys():
            done[number] = _analysed(groups[number], analyzer)
        return _table({n: done[n] for n in sorted(numbers)})


#: The expansions a :class:`~newsindex.NewsIndex` uses unless told otherwise.
DEFAULT_EXPANSIONS: Final = Expansions()

#: What ``NewsIndex.open(expansions=...)`` takes: the default (``None``), an
#: :class:`Expansions`, or the user's own to add to the built-in ones.
ExpansionsArg: TypeAlias = "Expansions | Mapping[str, str | Iterable[str]] | None"


def expansions_of(value: ExpansionsArg) -> Expansions:
    """The :class:`Expansions` that ``value`` asks for.

    Raises:
        ConfigurationError: ``value`` is not one of the accepted kinds.
    """
    if value is None:
        return DEFAULT_EXPANSIONS
    if isinstance(value, Expansions):
        return value
    if isinstance(value, Mapping):
        return Expansions(extra=value)
    raise ConfigurationError(
        f"expansions must be an Expansions or a mapping, not {type(value).__name__}"
    )


def _others(table: _Table, form: tuple[str, ...]) -> list[tuple[str, ...]]:
    return [
        other
        for number in table.forms.get(form, ())
        for other in table.groups[number]
        if other != form
    ]


def _with(clause: Clause, more: list[tuple[str, ...]]) -> Clause:
    if not more:
        return clause
    alternatives = tuple(dict.fromkeys((*clause.alternatives, *more)))
    return clause.evolve(alternatives=alternatives[:MAX_EXPANDED])


def _spelled_out(table: _Table, clauses: list[Clause]) -> list[list[tuple[str, ...]]]:
    """Per clause, the forms that a run of single words including it spells
    out would add (``komisi pemberantasan korupsi`` adds ``kpk`` to each)."""
    words = [
        c.alternatives[0][0]
        if len(c.alternatives) == 1 and len(c.alternatives[0]) == 1
        else None
        for c in clauses
    ]
    added: list[list[tuple[str, ...]]] = [[] for _ in clauses]
    for i, word in enumerate(words):
        for form in table.runs.get(word or "", ()):
            if tuple(words[i : i + len(form)]) == form:
                for j in range(i, i + len(form)):
                    added[j].extend(_others(table, form))
    return added


def expand_query(
    parsed: ParsedQuery, analyzer: Analyzer, expansions: Expansions
) -> ParsedQuery:
    """``parsed`` with the other forms of its words as alternatives, weighted
    by :data:`WEIGHT` (see the module docstring)."""
    table = expansions.table(analyzer, parsed.text[:_MAX_SCANNED])
    if table is None:
        return parsed  # the usual case: a dictionary lookup per word
    clauses = (*parsed.positive, *parsed.negative)
    runs = _spelled_out(table, list(parsed.positive))
    positive = tuple(
        _with(c, [*(o for a in c.alternatives for o in _others(table, a)), *more])
        for c, more in zip(parsed.positive, runs, strict=True)
    )
    negative = tuple(
        _with(c, [o for a in c.alternatives for o in _others(table, a)])
        for c in parsed.negative
    )
    if positive == parsed.positive and negative == parsed.negative:
        return parsed
    typed = {a for c in clauses for a in c.alternatives}
    typed_terms = {t for a in typed for t in a}
    weights = dict(parsed.weights)
    for clause in positive:
        for alt in clause.alternatives:
            if alt not in typed and not (len(alt) == 1 and alt[0] in typed_terms):
                weights[alt[0] if len(alt) == 1 else alt] = WEIGHT
    return parsed.evolve(positive=positive, negative=negative, weights=weights)
