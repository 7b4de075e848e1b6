"""One read of one table partition, as nodes send them to each other, and its answer.

A read is a point ``get`` or a ``scan`` of a key range (a prefix, from a start key, up
to a limit of rows, forwards or backwards). They travel as MessagePack (keys and values
are bytes) to ``/internal/read``, many in one request, and are answered in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import islice
from typing import Literal

import msgspec

from streams.adapters import rocksdict as rocksdb
from streams.adapters.rocksdict import DB

Row = tuple[bytes, bytes]


class Read(msgspec.Struct, frozen=True, array_like=True):
    """A read of ``table``'s ``partition``: the row of ``key`` (``kind`` "get"), or the
    rows under ``key`` as a prefix (``kind`` "scan") from ``start``, at most ``limit``."""

    table: str
    partition: int
    kind: Literal["get", "scan"]
    key: bytes
    start: bytes | None = None
    limit: int | None = None
    backwards: bool = False


class Answer(msgspec.Struct, frozen=True, array_like=True):
    """What a read found: the value of a get (None: no row), or a scan's rows; or, when
    the node does not hold the partition (any more), ``held`` False and nothing."""

    held: bool
    value: bytes | None = None
    rows: list[Row] | None = None


class Batch(msgspec.Struct, frozen=True):
    reads: list[Read]


class Answers(msgspec.Struct, frozen=True):
    answers: list[Answer]


NOT_HELD = Answer(held=False)

_encoder = msgspec.msgpack.Encoder()
_batch_decoder = msgspec.msgpack.Decoder(Batch)
_answers_decoder = msgspec.msgpack.Decoder(Answers)


def encode_batch(reads: Sequence[Read]) -> bytes:
    return _encoder.encode(Batch(list(reads)))


def decode_batch(body: bytes) -> list[Read]:
    """The reads of a request body; msgspec.ValidationError/DecodeError name what is wrong."""
    return _batch_decoder.decode(body).reads


def encode_answers(answers: Sequence[Answer]) -> bytes:
    return _encoder.encode(Answers(list(answers)))


def decode_answers(body: bytes) -> list[Answer]:
    return _answers_decoder.decode(body).answers


def execute(read: Read, db: DB, skip: bytes | None) -> Answer:
    """``read`` against the partition's database ``db`` (``skip``: a bookkeeping key, Faust's
    persisted offset, which is not a row)."""
    if read.kind == "get":
        value = db.get(read.key)
        return Answer(held=True, value=None if value is None else bytes(value))
    rows = (row for row in rocksdb.scan(db, read.key, read.start, backwards=read.backwards) if row[0] != skip)
    return Answer(held=True, rows=list(rows if read.limit is None else islice(rows, read.limit)))


def execute_all(reads: Sequence[Read], local: Callable[[Read], tuple[DB, bytes | None] | None]) -> list[Answer]:
    """Each of ``reads`` against this node's databases (``local``: the database of a read's
    partition and its skip key, or None where this node does not hold it)."""
    answers = []
    for read in reads:
        found = local(read)
        answers.append(NOT_HELD if found is None else execute(read, *found))
    return answers
