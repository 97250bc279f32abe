"""Property tests: normalizers never raise, whatever JSON they are given."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.golden import json_records

from vigil.normalize import NORMALIZERS, SHAPE_KINDS, Rejected, classify, normalize

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


GOLDEN = json_records()
KEYS = sorted({key for record in GOLDEN for key in record})


@given(json_values, st.sampled_from([None, "signins", "audit", "graphactivity", "directory"]))
def test_arbitrary_json_never_raises(value: Any, kind: str | None) -> None:
    result = normalize(value, kind=kind)
    assert result is not None


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(
    st.sampled_from(range(len(GOLDEN))),
    st.dictionaries(st.sampled_from(KEYS), json_values, min_size=1, max_size=4),
)
def test_golden_records_with_corrupted_fields_never_raise(
    index: int, patch: dict[str, Any]
) -> None:
    record = copy.deepcopy(GOLDEN[index])
    record.update(patch)
    props = record.get("properties")
    if isinstance(props, dict):
        props.update(patch)
    result = normalize(record)
    if isinstance(result, Rejected):
        assert result.reason and not result.reason.startswith("unexpected"), result


@given(st.sampled_from(sorted(NORMALIZERS)), st.dictionaries(st.sampled_from(KEYS), json_values))
def test_every_registered_normalizer_never_raises(shape: str, record: dict[str, Any]) -> None:
    if shape.startswith("diagnostic."):
        record = {"category": shape.split(".", 1)[1], "properties": record}
    result = NORMALIZERS[shape](record)
    if isinstance(result, Rejected):
        assert result.kind == SHAPE_KINDS[shape]
        assert not result.reason.startswith("unexpected"), result


def test_golden_records_are_classified() -> None:
    assert all(classify(r) != (None, None) for r in GOLDEN)
