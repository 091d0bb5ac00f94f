"""Articles shared by the reliability tests and the child processes they start.

Everything here is deterministic: a child process and the test that checks
its work compute the same batches and the same expected index contents.
Analysis is irrelevant to these tests, so they use ``Analyzer(stemmer="none")``
and a small vocabulary.
"""

from __future__ import annotations

import functools
import random
from typing import Any

from newsindex import Article, NewsIndex, SearchResults

#: Filler words for article bodies (none is a stopword).
# fmt: off
WORDS = (
    "harga", "beras", "naik", "turun", "banjir", "jakarta", "bekasi", "gempa",
    "pasar", "pemerintah", "menteri", "rakyat", "jalan", "kota", "desa",
    "sekolah", "guru", "hujan", "angin", "laut", "kapal", "pesawat", "bandara",
    "kereta", "stasiun", "listrik", "minyak", "petani", "nelayan", "pabrik",
)
# fmt: on

# -- the kill test -------------------------------------------------------------

#: Batches the killed writer commits, one commit each.
CRASH_BATCHES = 10
#: New articles per batch.
CRASH_NEW = 40
#: Articles rewritten by every batch (upserts across commits).
CRASH_HOT = 10


def _body(tag: str, seed: str, words: int) -> str:
    rng = random.Random(seed)
    return f"berita {tag} " + " ".join(rng.choices(WORDS, k=words))


def crash_batch(k: int) -> tuple[list[Article], list[str]]:
    """Batch ``k`` of the killed writer: (articles to add in order, ids to delete).

    Every batch rewrites the hot articles (``hot-0`` twice, so one batch
    holds two versions of it), adds new ones, and deletes the first new
    article of the batch before.
    """
    added = [Article(id="hot-0", title="draf", body=_body(f"draf{k}", "d", 5))]
    added += [
        Article(
            id=f"hot-{j}",
            title=f"Judul panas {j}",
            body=_body(f"panas versi{k}", f"hot-{j}-{k}", 15),
        )
        for j in range(CRASH_HOT)
    ]
    added += [
        Article(
            id=f"n{k}-{j}",
            title=f"Judul baru {k} {j}",
            body=_body(f"baru versi{k}", f"n{k}-{j}", 15),
        )
        for j in range(CRASH_NEW)
    ]
    deleted = [f"n{k - 1}-0"] if k else []
    return added, deleted


def crash_state(k: int) -> dict[str, Article]:
    """The index's articles after batches 0..k were committed (-1: none)."""
    state: dict[str, Article] = {}
    for batch in range(k + 1):
        added, deleted = crash_batch(batch)
        for article in added:
            state[article.id] = article
        for article_id in deleted:
            state.pop(article_id, None)
    return state


def apply_crash_batch(writer: Any, k: int) -> None:
    """Add and delete what batch ``k`` holds, through ``writer``."""
    added, deleted = crash_batch(k)
    for article in added:
        writer.add(article)
    for article_id in deleted:
        writer.delete(article_id)


# -- the write-fault test ------------------------------------------------------

#: Articles of the commit the faulty writer starts from.
FAULT_BEFORE = 200


def fault_before() -> list[Article]:
    """The committed articles a faulty batch is written over."""
    return [
        Article(id=f"f{j}", title=f"Judul {j}", body=_body("lama", f"f{j}", 60))
        for j in range(FAULT_BEFORE)
    ]


def fault_batch() -> tuple[list[Article], list[str]]:
    """The faulty writer's batch: (articles to add in order, ids to delete).

    Half of it replaces committed articles, half is new, and a few committed
    articles are deleted; bodies are long enough that the stored-articles
    file outgrows its write buffer while articles are added.
    """
    added = [
        Article(id=f"f{j}", title=f"Judul baru {j}", body=_body("baru", f"g{j}", 60))
        for j in range(0, 2 * FAULT_BEFORE, 2)
    ]
    return added, [f"f{j}" for j in range(1, 40, 4)]


def fault_state(applied: bool) -> dict[str, Article]:
    """The articles after the faulty batch: committed whole, or not at all."""
    state = {article.id: article for article in fault_before()}
    if applied:
        added, deleted = fault_batch()
        state.update((article.id, article) for article in added)
        for article_id in deleted:
            state.pop(article_id)
    return state


# -- the concurrency test ------------------------------------------------------

#: Articles that every commit of the concurrent writer rewrites together.
HOT = 20
#: Articles before the first commit of the concurrent writer.
INITIAL = 100
#: New articles per commit of the concurrent writer.
FRESH = 25


def hot_article(j: int, version: int) -> Article:
    """Hot article ``j`` as written by commit ``version``."""
    return Article(
        id=f"hot-{j}",
        title=f"Kabar panas {j}",
        body=_body(f"panas versi{version}", f"hot-{j}", 12),
    )


def fresh_count(commit: int) -> int:
    """How many new articles one commit adds (commit 0 is the initial load)."""
    return INITIAL if commit == 0 else FRESH


def fresh_articles(commit: int) -> list[Article]:
    """The new articles of one commit (commit 0 is the initial load)."""
    return [
        Article(
            id=f"baru-{commit}-{j}",
            title=f"Kabar baru {commit} {j}",
            body=_body("umum", f"baru-{commit}-{j}", 12),
        )
        for j in range(fresh_count(commit))
    ]


def articles_after(commit: int) -> int:
    """Articles in the index once ``commit`` (0 = the initial load) is done."""
    return HOT + INITIAL + FRESH * commit


@functools.lru_cache
def all_ids(commits: int) -> frozenset[str]:
    """Every id the concurrent writer may ever commit."""
    ids = {f"hot-{j}" for j in range(HOT)}
    for commit in range(commits + 1):
        ids.update(f"baru-{commit}-{j}" for j in range(fresh_count(commit)))
    return frozenset(ids)


def inconsistencies(
    hot: SearchResults, everything: SearchResults, commits: int
) -> list[str]:
    """What is wrong with two results of one reader (empty if nothing).

    ``hot`` is a search for ``panas`` (the hot articles, rewritten together
    by every commit) and ``everything`` one for ``berita`` (every article)
    with a limit above the largest index.
    """
    found = []
    hot_ids = [hit.id for hit in hot]
    versions = {hit.article.body.split()[2] for hit in hot}
    if hot.total != HOT or sorted(hot_ids) != sorted(f"hot-{j}" for j in range(HOT)):
        found.append(f"hot articles: total {hot.total}, ids {sorted(hot_ids)}")
    if len(versions) != 1:
        found.append(f"hot articles from several commits at once: {sorted(versions)}")
    ids = [hit.id for hit in everything]
    if len(set(ids)) != len(ids):
        found.append(f"duplicated ids in one page: {len(ids) - len(set(ids))}")
    if everything.total != len(ids):
        found.append(f"total {everything.total} but {len(ids)} hits")
    unknown = set(ids) - all_ids(commits)
    if unknown:
        found.append(f"ids never committed: {sorted(unknown)[:5]}")
    # New articles arrive a commit at a time: the commits seen must be
    # 0..m, each complete.
    per_commit: dict[int, int] = {}
    for article_id in ids:
        if article_id.startswith("baru-"):
            commit = int(article_id.split("-")[1])
            per_commit[commit] = per_commit.get(commit, 0) + 1
    last = max(per_commit, default=-1)
    complete = {c: fresh_count(c) for c in range(last + 1)}
    if per_commit != complete or everything.total != articles_after(last):
        found.append(f"a partial commit: {len(ids)} articles, by commit {per_commit}")
    return found


def lookup_problems(index: NewsIndex, commits: int, j: int) -> list[str]:
    """What is wrong with ``count()`` and ``get()`` during the commits."""
    found = []
    count = index.count()
    if count not in {articles_after(c) for c in range(commits + 1)}:
        found.append(f"count() is {count}, the size of no commit")
    if index.get(f"hot-{j % HOT}") is None:
        found.append(f"get('hot-{j % HOT}') found nothing")
    return found
