"""What the schema fold needs of an event, sent once per schema per step.

``route-events`` reads every event anyway (for its user's profile and timeline), so
it also infers the event's columns there and groups a step's events by schema key:
one ``schema-input`` record per schema key per step carries its events'
observations, in log order. ``fold-schemas`` then consumes a record per schema per
step instead of one per event, and folds each record with ``registry.fold_events``.

An observation is the event's identity (messageId, receive time), its event time, its
position in the ``events`` log (the cause of any change it makes) and the inferred
columns with the limit findings. The wire format is JSON::

    {"observations": [[messageId, receivedAt, timestamp, partition, offset,
                       {"properties.price": "NUMBER", ...}, [[path, reason], ...]], ...]}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import orjson

from registry import ColumnType, Finding, Inference, Limits, infer_columns
from schemas import Event
from streams.folds.records import RECORD_BYTES, split_records

# The ``tracklog-kind`` header of a record of observations.
OBSERVATIONS: Final = b"observations"

_TYPES: Final = {t.value: t for t in ColumnType}
_FIELDS: Final = 7


@dataclass(frozen=True, slots=True)
class Observation:
    message_id: str
    received_at_ms: int
    at_ms: int
    partition: int
    offset: int
    inference: Inference


def observe(event: Event, *, partition: int, offset: int, limits: Limits = Limits()) -> Observation:
    """The observation of ``event``, which sits at ``partition``/``offset`` of ``events``."""
    inference = infer_columns(
        {"properties": event.properties, "traits": event.traits, "context": event.context}, limits
    )
    return Observation(
        event.message_id, event.received_at_ms, event.timestamp_ms, partition, offset, inference
    )


def encode_observations(observations: list[Observation]) -> bytes:
    return orjson.dumps(
        {
            "observations": [
                [
                    o.message_id,
                    o.received_at_ms,
                    o.at_ms,
                    o.partition,
                    o.offset,
                    o.inference.columns,
                    [[f.path, f.reason] for f in o.inference.findings],
                ]
                for o in observations
            ]
        }
    )


def observation_records(observations: list[Observation], limit: int = RECORD_BYTES) -> list[bytes]:
    """``observations`` encoded as one record, or in order as several of at most ``limit``
    bytes each (one observation alone may be larger: an event is smaller still)."""
    return split_records(observations, encode_observations, limit)


def decode_observations(value: bytes) -> list[Observation]:
    """The observations in ``value``; raises ValueError naming what is wrong and where."""
    try:
        document = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"observations: not JSON: {exc}") from None
    items = document.get("observations") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise ValueError("observations: expected an object with an `observations` array")
    return [_observation(item, i) for i, item in enumerate(items)]


def _observation(item: Any, i: int) -> Observation:
    # What route-events wrote, checked by exact type in one pass; anything else takes
    # the field-by-field path, which names what is wrong.
    if type(item) is list and len(item) == _FIELDS:
        message_id, received_at_ms, at_ms, partition, offset, columns, findings = item
        if (
            type(message_id) is str
            and type(received_at_ms) is int
            and type(at_ms) is int
            and type(partition) is int
            and type(offset) is int
            and type(columns) is dict
            and type(findings) is list
            and not findings
        ):
            try:
                typed = {path: _TYPES[name] for path, name in columns.items()}
            except (KeyError, TypeError):
                pass
            else:
                return Observation(
                    message_id, received_at_ms, at_ms, partition, offset, Inference(typed, ())
                )
    return _checked_observation(item, i)


def _checked_observation(item: Any, i: int) -> Observation:
    where = f"observations[{i}]"
    if not isinstance(item, list) or len(item) != _FIELDS:
        raise ValueError(f"{where}: expected an array of {_FIELDS} fields")
    message_id, received_at_ms, at_ms, partition, offset, columns, findings = item
    if not isinstance(message_id, str):
        raise ValueError(f"{where}: messageId must be a string")
    for name, number in (
        ("receivedAt", received_at_ms),
        ("timestamp", at_ms),
        ("partition", partition),
        ("offset", offset),
    ):
        if type(number) is not int:
            raise ValueError(f"{where}: {name} must be an integer")
    if not isinstance(columns, dict):
        raise ValueError(f"{where}: columns must be an object")
    typed: dict[str, ColumnType] = {}
    for path, name in columns.items():
        t = _TYPES.get(name) if isinstance(name, str) else None
        if t is None:
            raise ValueError(f"{where}: column {path!r} has an unknown type {name!r}")
        typed[path] = t
    if not isinstance(findings, list) or not all(
        isinstance(f, list) and len(f) == 2 and all(isinstance(s, str) for s in f) for f in findings
    ):
        raise ValueError(f"{where}: findings must be an array of [path, reason] pairs")
    return Observation(
        message_id,
        received_at_ms,
        at_ms,
        partition,
        offset,
        Inference(typed, tuple(Finding(path, reason) for path, reason in findings)),
    )
