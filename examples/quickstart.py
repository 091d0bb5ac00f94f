"""newsindex in a minute: build an index of the sample articles and search it.

Run from anywhere: ``python examples/quickstart.py``.
"""

import json
import tempfile
from pathlib import Path

from newsindex import Article, NewsIndex

SAMPLE = Path(__file__).resolve().parent / "articles.jsonl"


def main() -> None:
    with SAMPLE.open(encoding="utf-8") as lines:
        articles = [Article.from_dict(json.loads(line)) for line in lines]

    with tempfile.TemporaryDirectory() as tmp, NewsIndex.create(tmp) as index:
        summary = index.add_many(articles)
        print(f"indexed {summary.added} articles; the index holds {index.count()}")

        # "kenaikan" also finds "naik", "menaikkan" and "dinaikkan".
        results = index.search("kenaikan harga", limit=3)
        print(f"\n{results.total} articles match 'kenaikan harga'; the best 3:")
        for hit in results:
            print(f"{hit.rank}. {hit.title} ({hit.published}, {hit.source})")
            print(f"   {hit.snippet.plain()}")

        # Adding an article with an id already in the index replaces it.
        first = articles[0]
        index.add(
            Article.from_dict({**first.to_dict(), "title": "Judul yang diperbarui"})
        )
        print(f"\nafter the update: {index.count()} articles, title of {first.id!r}:")
        print(f"   {index.get(first.id).title}")

        # Filters: publisher and date range, newest first.
        filtered = index.search(
            "harga", sources=["Warta Harian"], since="2025-01-01", sort="newest"
        )
        print(f"\n'harga' in Warta Harian since 2025: {filtered.total} articles")
        for hit in filtered:
            print(f"{hit.rank}. {hit.published} {hit.title}")


if __name__ == "__main__":
    main()
