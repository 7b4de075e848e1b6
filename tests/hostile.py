"""Hostile ingestion input, as Hypothesis strategies: what a broken or malicious client sends.

Shared by the pure parser's fuzz tests (``tests/unit/schemas``) and the HTTP edge's
(``tests/integration``). Bodies are bytes, because the interesting cases are the ones a
JSON encoder would never write: ``NaN`` literals, lone surrogate escapes, invalid UTF-8,
duplicate keys, numbers no 64-bit type holds, nesting past every parser's limit.
"""

from __future__ import annotations

import gzip
from typing import Any

import orjson
from hypothesis import strategies as st

from schemas import Event, EventType, parse_batch, parse_body, parse_call


def parse_request(
    raw: bytes, endpoint: EventType | None, received_at_ms: int, *, from_json: bool = True
) -> list[Event]:
    """What the edge does with a request body, minus the transport (``None`` is /v1/batch).

    ``from_json=False`` parses the decoded body as a Python caller's would be."""
    body = parse_body(raw)
    common: dict[str, Any] = {
        "source": "fuzz",
        "received_at_ms": received_at_ms,
        "new_id": lambda: "generated",
        "from_json": from_json,
    }
    if endpoint is None:
        return parse_batch(body, **common)
    return [parse_call(body, endpoint, **common)]


# Property names that need escaping in column paths, or that look like structure.
NAMES = [
    "", ".", "..", "a.b", "[", "]", "[]", "x[0]", "a[].b", "\\", "\\_", "_", "\\.",
    "é", "🎉", "\x00", "\u2028", "ﬁ", "Ａ", "properties", "__proto__", " ", "a b",
]
names = st.sampled_from(NAMES) | st.text(max_size=8)

# Date-times no four-digit-year UTC instant names, or that name no date at all.
BAD_TIMES = [
    "0000-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "+275760-09-13T00:00:00Z",
    "9999-12-31T23:59:59.999-01:00",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:60Z",
    "2026-02-30T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-11-20T25:00:00Z",
    "2026-11-20T10:00:00+24:00",
    "2026-11-20",
    "",
]
GOOD_TIMES = ["2026-11-20T10:00:00.000Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z"]
# Mostly an ordinary time, so that most calls get past their times.
times = st.one_of(
    st.just(GOOD_TIMES[0]), st.just(GOOD_TIMES[0]), st.sampled_from(GOOD_TIMES), st.sampled_from(BAD_TIMES)
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | times
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=4),
    max_leaves=12,
)

# Raw JSON the encoder never writes. Each stands in for one value of a call.
FRAGMENTS = [
    b"NaN",
    b"-NaN",
    b"Infinity",
    b"-Infinity",
    b"1e400",
    b"-1e400",
    b"1e-400",
    b"9223372036854775808",  # int64 max + 1
    b"18446744073709551616",  # uint64 max + 1
    b"-9223372036854775809",  # int64 min - 1
    b"1" * 400,
    b"-0",
    b"0x10",
    b"01",
    b'"\\ud800"',  # a lone high surrogate
    b'"\\udfff"',  # a lone low surrogate
    b'"\\ud800\\u0041"',
    b'"\\u0000"',
    b'"\xff\xfe"',  # not UTF-8
    b'"\xed\xa0\x80"',  # a surrogate encoded as UTF-8 (CESU-8)
    b'"\xc0\x80"',  # an overlong NUL
    b'{"a": 1, "a": "x"}',
    b'{"": 1, "": 2}',
    b'{"a.b": 1, "a": {"b": 2}}',
    b"[" * 300 + b"]" * 300,
    b"[" * 1100 + b"]" * 1100,
    b'{"a":' * 300 + b"1" + b"}" * 300,
    b"[" + b"0," * 30_000 + b"0]",
    b'"' + b"x" * 40_000 + b'"',
    b"[" + b'{"k":"' + b"y" * 1000 + b'"},' * 20 + b"{}]",
    b"",
    b"}",
    b"[1,]",
]
fragments = st.sampled_from(FRAGMENTS)

_HOLE = "HOLE-4f2c9"
_HOLE_JSON = orjson.dumps(_HOLE)
# Where a fragment goes: a top-level field of the call, or one property.
PLACES = [
    "userId", "anonymousId", "event", "type", "messageId", "timestamp", "sentAt",
    "originalTimestamp", "properties", "traits", "context", "integrations", "writeKey",
    "properties.x", "traits.x", "context.x",
]

ids = st.text(min_size=1, max_size=6) | st.integers(-(2**63), 2**64 - 1)
objects = st.dictionaries(names, values, max_size=4)
# A call without a type: the endpoint's (/v1/track...) applies.
calls = st.fixed_dictionaries(
    {"userId": ids, "event": st.text(min_size=1, max_size=8)},
    optional={
        **dict.fromkeys(["anonymousId", "previousId", "groupId"], ids),
        **dict.fromkeys(["name", "messageId"], st.text(max_size=8)),
        **dict.fromkeys(["timestamp", "sentAt", "originalTimestamp"], times),
        **dict.fromkeys(["properties", "traits", "context", "integrations"], objects),
    },
)
TYPES = ["track", "identify", "page", "screen", "group", "alias"]
# A batch item: a call with its type.
typed_calls = st.builds(lambda call, kind: {**call, "type": kind}, calls, st.sampled_from(TYPES))


def _with_hole(call: dict[str, Any], place: str) -> dict[str, Any]:
    call = dict(call)
    section, _, name = place.partition(".")
    if name:
        call[section] = {**(call.get(section) or {}), name: _HOLE}
    else:
        call[section] = _HOLE
    return call


def splice(call: dict[str, Any], place: str, fragment: bytes, batch: bool) -> bytes:
    """``call`` (or a batch of it) as JSON, with the value at ``place`` replaced by ``fragment``."""
    body: Any = _with_hole(call, place)
    if batch:
        body = {"batch": [{"type": "track", **body}], "sentAt": GOOD_TIMES[0]}
    return orjson.dumps(body).replace(_HOLE_JSON, fragment, 1)


def _spliced(batch: bool) -> st.SearchStrategy[bytes]:
    """A well-formed call (or batch of one) with one value replaced by a raw fragment."""
    return st.builds(splice, calls, st.sampled_from(PLACES), fragments, st.just(batch))


TOKENS = [
    b"{", b"}", b"[", b"]", b":", b",", b'"userId"', b'"u"', b'"event"', b'"type"',
    b'"track"', b'"batch"', b'"properties"', b'"a.b"', b'""', b"NaN", b"1e400",
    b'"\\ud800"', b"\xff", b"null", b"true", b"-", b"0", b".", b" ", b'"',
]
# Near-JSON: the tokens JSON is made of, in any order.
token_soup = st.lists(st.sampled_from(TOKENS), max_size=40).map(b"".join)

# Bodies meant for one call's endpoint (/v1/track...), and for /v1/batch (with a
# context of its own, merged into each call): half well formed, half spliced.
single_bodies = calls.map(orjson.dumps) | _spliced(False)
batch_bodies = st.builds(
    lambda items, context: orjson.dumps({"batch": items, "context": context}),
    st.lists(typed_calls, max_size=4),
    objects,
) | _spliced(True)

bodies = st.one_of(
    st.binary(max_size=200), token_soup, values.map(orjson.dumps), single_bodies, batch_bodies
)


def _truncated_gzip(raw: bytes) -> bytes:
    packed = gzip.compress(raw)
    return packed[: max(1, len(packed) - 9)]


# A gzip bomb: 8 MB of zeros in about 8 KB, sixteen times the request limit.
BOMB = gzip.compress(b"0" * (8 * 1024 * 1024), compresslevel=9)

# (Content-Encoding, body): gzip done right, wrong, or maliciously.
encoded = st.one_of(
    st.tuples(st.just("gzip"), bodies.map(gzip.compress)),
    st.tuples(st.just("gzip"), bodies.map(_truncated_gzip)),
    st.tuples(st.just("gzip"), bodies),
    st.tuples(st.just("gzip"), st.just(BOMB)),
    st.tuples(st.just("gzip"), bodies.map(lambda raw: gzip.compress(raw) + b"trailing junk")),
    st.tuples(st.sampled_from(["deflate", "br", "gzip, gzip", "x-gzip"]), bodies),
)
