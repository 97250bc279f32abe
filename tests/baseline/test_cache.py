"""StateCache keeps decoded profiles only while the store holds what it wrote."""

from __future__ import annotations

from typing import Any

import orjson

from vigil.baseline import StateCache


class Store:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], bytes] = {}
        self.loads = 0

    def load_state(self, detector: str, key: str) -> Any:
        self.loads += 1
        raw = self.rows.get((detector, key))
        return None if raw is None else orjson.loads(raw)

    def save_state(self, detector: str, key: str, state: Any) -> None:
        self.rows[(detector, key)] = orjson.dumps(state)


class Box:
    def __init__(self, state: Any) -> None:
        self.n = (state or {}).get("n", 0)


def cache() -> StateCache[Box]:
    return StateCache("d", Box, lambda b: {"version": 1, "n": b.n})


def batch(c: StateCache[Box], store: Store, key: str = "sp") -> Box:
    c.begin(store)
    box = c.get(key)
    box.n += 1
    c.commit()
    return box


def test_profiles_stay_decoded_between_batches():
    store, c = Store(), cache()
    first = batch(c, store)
    loads = store.loads
    assert batch(c, store) is first and first.n == 2
    assert store.loads == loads + 1  # only the generation row
    assert orjson.loads(store.rows[("d", "sp")]) == {"version": 1, "n": 2}


def test_cleared_state_or_another_writer_invalidates_the_cache():
    store, c = Store(), cache()
    batch(c, store)
    store.rows.clear()  # vigil detect --rebuild
    assert batch(c, store).n == 1
    other = cache()
    batch(other, store)  # another process writes
    assert batch(c, store).n == 3


def test_a_batch_that_fails_half_way_invalidates_the_cache():
    store, c = Store(), cache()
    batch(c, store)
    c.begin(store)
    c.get("sp").n = 100  # the batch raises before commit; its transaction rolls back
    assert batch(c, store).n == 2


def test_least_recently_used_profiles_are_dropped_after_saving():
    store, c = Store(), StateCache("d", Box, lambda b: {"version": 1, "n": b.n}, max_entries=1)
    batch(c, store, "a")
    batch(c, store, "b")
    assert batch(c, store, "a").n == 2
