"""Forget records: a regulation's members, sent to the folds that hold their rows.

A regulation's executor (``streams.regulations``) sends one to ``identity-links`` and
one to each ``events`` partition its members' rows are in, with the ``tracklog-kind``
header ``forget``. Each fold deletes their rows in its log order (so an event folded
before it goes too) and acknowledges on the regulations topic once its rows are
flushed. The record names people by pseudonym only::

    {"forget": regulation id, "members": [{"k": kind, "v": pseudonym}, ...]}
"""

from __future__ import annotations

from typing import Final

import orjson

from query.domain import DomainError, Identifier

FORGET: Final = b"forget"


def encode_forget(regulation: str, members: list[Identifier]) -> bytes:
    return orjson.dumps({"forget": regulation, "members": [m.to_dict() for m in members]})


def decode_forget(value: bytes) -> tuple[str, list[Identifier]]:
    """(regulation id, members) of a forget record; ValueError naming what is wrong."""
    try:
        record = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"forget: not JSON: {exc}") from None
    if not isinstance(record, dict) or not isinstance(record.get("forget"), str):
        raise ValueError("forget: expected an object with a `forget` regulation id")
    members = record.get("members")
    if not isinstance(members, list):
        raise ValueError("forget: expected a `members` array")
    try:
        return record["forget"], [Identifier.from_dict(m) for m in members]
    except DomainError as exc:
        raise ValueError(f"forget: members: {exc}") from None
