"""The default word lists, written for newsindex by its authors.

STOPWORDS holds Indonesian function words: conjunctions, prepositions,
pronouns, particles, auxiliaries and discourse words. Words that carry meaning
in news search (``tahun``, ``baru``, ``besar``, ``bulan``, ``jelas``) are
deliberately absent; the README's "Analysis" section gives the measurements
behind this choice.

PROTECTED_WORDS holds proper nouns that PySastrawi 1.2 stems into unrelated
common words (``bekasi`` to ``bekas``, ``bali`` to ``bal``, ``milan`` to
``mil``). They were found by stemming the capitalised words of news text and
keeping, by hand, the names among those whose stem changed.
"""

from __future__ import annotations

from typing import Final


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS: Final = _words(
    """
    adalah adapun agak agar akan akankah aku amat anda antara apa apabila
    apakah apalagi atas atau bagaimana bagaimanakah bagi bahkan bahwa
    barangkali begitu begitupun beliau belum berapa berapakah biarpun
    bila bilamana bisa boleh bukan bukankah cukup daripada dalam dan dapat
    dari demi demikian dengan di dia dimana engkau hal hanya harus hingga
    ia ialah ini itu itulah jadi jangan jika jikalau juga kah kalau kalian
    kami kamu kan kapan kapankah karena ke kemudian kenapa kepada ketika
    kita kok lagi lah lalu maka mana manakah masih melainkan memang
    mengapa menurut mereka merupakan meski meskipun mungkin nah namun nya
    oleh pada padahal para per pernah pula pun saat saja sambil sampai
    sang sangat saya seakan sebab sebagai sebagaimana sebelum sebuah
    sedang sedangkan sehingga sejak sekali selagi selama seolah seorang
    seperti sering serta sesudah setelah setiap si siapa siapakah sih
    suatu sudah supaya tak tanpa tapi telah tentang tentu terhadap terlalu
    tersebut tetapi tiap tidak toh untuk walau walaupun ya yaitu yakni
    yang
    """
)

PROTECTED_WORDS: Final = _words(
    """
    amali asahan asian bali bangkalan bekasi bengkalis berau berlin boris
    busan cinere dani deni diana diego dimas ginanjar hadi helmi irian
    johanis julian kediri kejari kejati kemayoran kementan kementrian
    kumala kunciran kutai labuan lukaku luki maluku manahan mekkah
    merangin merapi milan musi nazari niki pemalang penajam penang
    persebaya persela perseru persewar persita raisi rosan sehun selena
    semeru serena susan susi taliban tarakan temanggung tomi toni yuki
    """
)
