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

msgspec encodes and decodes it, checking every field's type in one pass (3.5x the
hand-written decoder it replaced, BENCHMARKS.md); a record it refuses names where.
"""

from __future__ import annotations

from typing import Final

import msgspec

from registry import ColumnType, Finding, Inference, Limits, infer_columns
from schemas import Event
from streams.folds.records import RECORD_BYTES, split_records

# The ``tracklog-kind`` header of a record of observations.
OBSERVATIONS: Final = b"observations"


class Observation(msgspec.Struct, array_like=True, frozen=True):
    message_id: str
    received_at_ms: int
    at_ms: int
    partition: int
    offset: int
    columns: dict[str, ColumnType]
    findings: tuple[tuple[str, str], ...] = ()

    @property
    def inference(self) -> Inference:
        findings = tuple(Finding(path, reason) for path, reason in self.findings) if self.findings else ()
        return Inference(self.columns, findings)


class _Record(msgspec.Struct):
    observations: list[Observation]


_ENCODER: Final = msgspec.json.Encoder()
_DECODER: Final = msgspec.json.Decoder(_Record)


def observe(event: Event, *, partition: int, offset: int, limits: Limits = Limits()) -> Observation:
    """The observation of ``event``, which sits at ``partition``/``offset`` of ``events``."""
    inference = infer_columns(
        {"properties": event.properties, "traits": event.traits, "context": event.context}, limits
    )
    return Observation(
        event.message_id,
        event.received_at_ms,
        event.timestamp_ms,
        partition,
        offset,
        inference.columns,
        tuple((f.path, f.reason) for f in inference.findings),
    )


def encode_observations(observations: list[Observation]) -> bytes:
    return _ENCODER.encode(_Record(observations))


def observation_records(observations: list[Observation], limit: int = RECORD_BYTES) -> list[bytes]:
    """``observations`` encoded as one record, or in order as several of at most ``limit``
    bytes each (one observation alone may be larger: an event is smaller still)."""
    return split_records(observations, encode_observations, limit)


def decode_observations(value: bytes) -> list[Observation]:
    """The observations in ``value``; raises ValueError naming what is wrong and where."""
    try:
        return _DECODER.decode(value).observations
    except msgspec.DecodeError as exc:  # ValidationError is one too
        raise ValueError(f"observations: {exc}") from None
