from collections.abc import Callable, Mapping, Sequence
from typing import Any

def chunk_ids(text: str, table: Mapping[str, int], /) -> tuple[bytes, bytes]: ...
def minhash(
    words: bytes, multipliers: bytes, increments: bytes, min_shingles: int, /
) -> bytes | None: ...
def join_records(
    records: Sequence[bytes], shifts: Sequence[int], /
) -> tuple[bytes, int, int, int, int] | None: ...
def chunk_word_ids(
    chunks: list[str],
    known: dict[str, int | None],
    resolve: Callable[[str], int | None],
    /,
) -> tuple[bytes, bytes]: ...
def word_ends(text: str, starts: list[int], cache: dict[str, Any], /) -> list[int]: ...
