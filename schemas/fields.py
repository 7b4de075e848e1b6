"""Typed readers for the fields of a JSON payload.

Each reader takes the payload, the field's name and the call's batch index, and
returns the field's value or raises `InvalidEventError` naming that field. A
JSON `null` reads as absent everywhere: the SDKs send `"userId": null` and
`"name": null` rather than leaving the field out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import orjson

from schemas.errors import InvalidEventError
from schemas.timestamps import parse_rfc3339_ms

NOT_A_DATE_TIME = "not an RFC 3339 date-time"


def load_object(raw: bytes) -> dict[str, Any]:
    """Decode a JSON document that must be an object (the reason path is `body`)."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise InvalidEventError(None, "body", f"invalid JSON: {e}") from e
    if not isinstance(value, dict):
        raise InvalidEventError(None, "body", "expected a JSON object")
    return value


def read_object(body: Mapping[str, Any], key: str, index: int | None) -> dict[str, Any]:
    """An object field as a new dict; absent or null gives {}."""
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidEventError(index, key, "expected a JSON object")
    return dict(value)


def read_string(body: Mapping[str, Any], key: str, index: int | None) -> str | None:
    """A string field; absent or null gives None."""
    value = body.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InvalidEventError(index, key, "expected a string")


def require_string(body: Mapping[str, Any], key: str, index: int | None) -> str:
    """A string field that must be present."""
    value = read_string(body, key, index)
    if value is None:
        raise InvalidEventError(index, key, "required")
    return value


def read_id(body: Mapping[str, Any], key: str, index: int | None) -> str | None:
    """An identifier: a string, or a number converted to one as Segment does.

    Absent, null and the empty string all give None: an empty id identifies no one.
    """
    value = body.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    # bool is an int subclass, and True is not an id.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        # Match JavaScript's String(n), which the browser SDK's ids go through:
        # 42.0 -> "42", not Python's "42.0".
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    raise InvalidEventError(index, key, "expected a string or a number")


def read_time(body: Mapping[str, Any], key: str, index: int | None) -> int | None:
    """A date-time field as epoch milliseconds; absent or null gives None."""
    value = body.get(key)
    if value is None:
        return None
    ms = parse_rfc3339_ms(value) if isinstance(value, str) else None
    if ms is None:
        raise InvalidEventError(index, key, NOT_A_DATE_TIME)
    return ms


def require_time(body: Mapping[str, Any], key: str, index: int | None) -> int:
    """A date-time field that must be present."""
    ms = read_time(body, key, index)
    if ms is None:
        raise InvalidEventError(index, key, "required")
    return ms


def quote(text: str, limit: int = 40) -> str:
    """`text` quoted for an error message, cut short if long (it comes from clients)."""
    return repr(text if len(text) <= limit else text[:limit] + "...")
