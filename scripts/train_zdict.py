"""Train the zstd dictionary that compresses stored raw records (src/vigil/store/raw.zdict).

Raw records are small JSON objects whose keys repeat across every record of a shape, so a shared
dictionary makes per-record compression both fast and effective (about 10x on sign-ins).
Training input: the golden files under tests/data, the public samples, and simulated tenants in
every shape (`vigil simulate`). The dictionary is a stored format: its zstd dictionary id is in
every compressed frame, and a shipped dictionary is never changed, only added to
(see vigil.store.rawcodec).

    python scripts/train_zdict.py OUT.zdict [FOLDER...]
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import orjson
import zstandard

from vigil.ingest.readers import RawRecord, iter_records

SIZE = 112 * 1024
PER_FILE = 400


def samples(folders: list[str]) -> list[bytes]:
    rng = random.Random(1)
    out: list[bytes] = []
    by_source: dict[str, list[bytes]] = {}
    for folder in folders:
        for item in iter_records(folder):
            if isinstance(item, RawRecord):
                by_source.setdefault(item.source, []).append(orjson.dumps(item.data))
    for source in sorted(by_source):
        records = by_source[source]
        out.extend(rng.sample(records, min(PER_FILE, len(records))))
    return out


def main(argv: list[str]) -> int:
    out, folders = Path(argv[0]), argv[1:]
    data = samples(folders)
    dictionary = zstandard.train_dictionary(SIZE, data, level=3)
    out.write_bytes(dictionary.as_bytes())
    raw = sum(map(len, data))
    comp = zstandard.ZstdCompressor(level=3, dict_data=dictionary)
    packed = sum(len(comp.compress(d)) for d in data)
    print(f"{len(data)} samples, dict id {dictionary.dict_id()}, ratio {raw / packed:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
