"""Compression of stored raw records: zstd with a dictionary shipped in the package.

Raw records are kept for investigation, one compressed frame per record, so any one can be read
back alone. The shared dictionary (``raw.zdict``, trained by ``scripts/train_zdict.py``) holds the
keys and values Entra's records repeat, which makes per-record compression fast and about 8-10x.
Each frame names its dictionary by id, so a future dictionary is added next to this one, never
swapped in: frames written today stay readable.
"""

from __future__ import annotations

import threading
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
