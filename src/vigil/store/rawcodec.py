"""Compression of stored raw records: zstd with a dictionary shipped in the package.

Raw records are kept for investigation. Records written one at a time get a frame each; bulk
ingest writes blocks of many records (``compress_block``), one frame per block, in ``raw_blocks``.
Single frames use a dictionary; either way any one record can be read
back alone. The shared dictionary (``raw.zdict``, trained by ``scripts/train_zdict.py``) holds the
keys and values Entra's records repeat, which makes per-record compression fast and about 8-10x.
Each frame names its dictionary by id, so a future dictionary is added next to this one, never
swapped in: frames written today stay readable.

Records arrive here with their secret values already redacted: the parser does it before it
normalizes them (``vigil.ingest.parse``, :mod:`vigil.leaks.redact`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from importlib.resources import files

import zstandard

_DICTIONARIES = {
    d.dict_id(): d
    for d in [
        zstandard.ZstdCompressionDict(files("vigil.store").joinpath("raw.zdict").read_bytes())
    ]
}
#: The dictionary new frames are written with.
CURRENT = next(iter(_DICTIONARIES.values()))
LEVEL = 1

_local = threading.local()


def compress(raw: bytes) -> bytes:
    comp = getattr(_local, "compressor", None)
    if comp is None:
        comp = _local.compressor = zstandard.ZstdCompressor(level=LEVEL, dict_data=CURRENT)
    return comp.compress(raw)


def decompress(frame: bytes) -> bytes:
    dict_id = zstandard.get_frame_parameters(frame).dict_id
    dictionary = _DICTIONARIES.get(dict_id) if dict_id else None
    if dict_id and dictionary is None:
        raise ValueError(f"raw record compressed with unknown dictionary {dict_id}")
    return zstandard.ZstdDecompressor(dict_data=dictionary).decompress(frame)


#: Raw records of one block are joined by this byte: a JSON record never holds a raw newline.
BLOCK_SEPARATOR = b"\n"
#: Blocks compress many records together, where a fast level already does better than the
#: dictionary does for one record: level 1 keeps a 2 KB sign-in in about 150 bytes at ~1 µs.
#: Level -1 took 0.7 µs but 250 bytes, and every byte is written twice (the WAL, then the
#: database file); level 1 ingests 5-10% faster.
BLOCK_LEVEL = 1


def compress_block(records: Sequence[bytes | memoryview]) -> bytes:
    """One zstd frame holding ``records`` (each without newlines), in order."""
    return compress_joined(BLOCK_SEPARATOR.join(records))


def compress_joined(joined: bytes | memoryview) -> bytes:
    """:func:`compress_block` of records already joined by :data:`BLOCK_SEPARATOR` (a JSON
    Lines piece whose every line is a record: the piece itself, without copying it)."""
    comp = getattr(_local, "block_compressor", None)
    if comp is None:
        comp = _local.block_compressor = zstandard.ZstdCompressor(level=BLOCK_LEVEL)
    return comp.compress(joined)


def block_record(frame: bytes, line: int) -> bytes | None:
    """Record number ``line`` (from 0) of a block written by :func:`compress_block`."""
    records = decompress(frame).split(BLOCK_SEPARATOR)
    return records[line] if 0 <= line < len(records) else None
