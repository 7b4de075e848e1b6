"""Observations: what route-events sends the schema fold, one record per schema per step."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from registry import ColumnType, Finding, Limits
from schemas import decode_event
from streams.folds.commands import KIND_HEADER
from streams.folds.schemas import SchemaFold
from streams.folds.observations import (
    OBSERVATIONS,
    Observation,
    decode_observations,
    encode_observations,
    observation_records,
    observe,
)
from streams.ops.rebuild import Image
from tests.unit.streams.test_fold import KEY, TABLES, _event


def _observation(i: int, columns: dict[str, ColumnType] | None = None) -> Observation:
    return Observation(
        f"m{i}", 1_700_000_000_000 + i, 1_700_000_000_000 + i, i % 3, i, columns or {"properties.a": ColumnType.INTEGER}
    )


def test_observations_round_trip() -> None:
    observations = [
        _observation(0),
        Observation(
            "m1",
            5,
            4,
            2,
            7,
            {"context.ip": ColumnType.STRING, "properties.items[]": ColumnType.JSON},
            (("properties.deep", "max_depth"),),
        ),
    ]
    assert decode_observations(encode_observations(observations)) == observations
    assert observations[1].inference.findings == (Finding("properties.deep", "max_depth"),)


def test_observe_infers_every_section_and_keeps_the_events_position() -> None:
    event = decode_event(_event("m7", {"price": 1.5}, 42))
    observation = observe(event, partition=3, offset=99, limits=Limits())
    assert (observation.message_id, observation.at_ms, observation.partition, observation.offset) == (
        "m7",
        42,
        3,
        99,
    )
    assert observation.inference.columns == {"properties.price": ColumnType.NUMBER}


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (b"not json", "observations: JSON is malformed"),
        (b"[]", "observations: Expected `object`, got `array`"),
        (b'{"other": []}', "missing required field `observations`"),
        (b'{"observations": [[1, 2, 3, 4, 5, {}, []]]}', "Expected `str`, got `int` - at `$.observations[0][0]`"),
        (b'{"observations": [["m", true, 3, 4, 5, {}, []]]}', "Expected `int`, got `bool` - at `$.observations[0][1]`"),
        (b'{"observations": [["m", 2, 3, 4, "5", {}, []]]}', "Expected `int`, got `str` - at `$.observations[0][4]`"),
        (b'{"observations": [["m", 2, 3, 4, 5, [], []]]}', "Expected `object`, got `array` - at `$.observations[0][5]`"),
        (b'{"observations": [["m", 2, 3, 4, 5, {"properties.a": "INT"}, []]]}', "Invalid enum value 'INT'"),
        (b'{"observations": [["m", 2, 3, 4, 5, {}, [["p"]]]]}', "length 2 - at `$.observations[0][6][0]`"),
    ],
)
def test_a_bad_record_is_refused_naming_what_and_where(value: bytes, error: str) -> None:
    with pytest.raises(ValueError) as raised:
        decode_observations(value)
    assert error in str(raised.value)


def test_a_large_step_is_split_into_records_in_order() -> None:
    wide = {f"properties.c{n}": ColumnType.STRING for n in range(40)}
    observations = [_observation(i, wide) for i in range(50)]
    records = observation_records(observations, limit=4096)
    assert len(records) > 1
    assert all(len(record) <= 4096 for record in records)
    assert [o for record in records for o in decode_observations(record)] == observations


def _message(value: bytes, offset: int, kind: bytes | None = OBSERVATIONS) -> Any:
    headers = [(KIND_HEADER, kind)] if kind is not None else []
    return SimpleNamespace(key=KEY, value=value, headers=headers, partition=0, offset=offset)


def _fresh(image: Image) -> SchemaFold:
    return SchemaFold(*(image[(name, 0)] for name in TABLES))


def test_a_record_counts_its_events_and_a_replayed_one_changes_nothing() -> None:
    image: Image = {(name, 0): {} for name in TABLES}
    fold = _fresh(image)
    record = encode_observations([_observation(0), _observation(1)])
    first = fold.fold_message(_message(record, 0))
    again = fold.fold_message(_message(record, 1))
    fold.write_back()
    assert (first.events, again.events) == (2, 2)
    assert [c.change.kind.value for c in first.changes] == ["COLUMN_ADDED"]
    assert again.changes == []
    assert orjson.loads(image[("schemas", 0)][KEY])["n"] == 2


def test_an_event_the_state_cannot_take_is_set_aside_and_the_rest_of_its_record_folded() -> None:
    image: Image = {(name, 0): {} for name in TABLES}
    fold = _fresh(image)
    fold.fold_message(_message(encode_observations([_observation(0)]), 0))
    fold.write_back()
    image[("columns", 0)].clear()  # the summary lists properties.a; its row is gone
    fresh = _fresh(image)
    record = encode_observations([_observation(1), _observation(2, {"properties.b": ColumnType.BOOLEAN})])
    folded = fresh.fold_message(_message(record, 1))
    assert [(o.message_id, type(exc).__name__) for o, exc in folded.failures] == [
        ("m1", "InconsistentStateError")
    ]
    assert [c.path for c in folded.changes] == ["properties.b"]
