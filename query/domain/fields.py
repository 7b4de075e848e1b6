"""Typed reads of decoded records, for the `from_dict` / `from_bytes` functions.

Stored rows come back as plain JSON values; each method reads one field and
raises `RecordDecodeError` naming the record and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from query.domain.errors import RecordDecodeError


class Reader:
    """Reads fields of one record `d`, described as `what` in errors."""

    __slots__ = ("d", "what")

    def __init__(self, d: object, what: str) -> None:
        if not isinstance(d, Mapping):
            raise RecordDecodeError(what, "", f"expected an object, got {type(d).__name__}")
        self.d: Mapping[str, Any] = d
        self.what = what

    def fail(self, key: str, reason: str) -> RecordDecodeError:
        return RecordDecodeError(self.what, key, reason)

    def raw(self, key: str) -> object:
        if key not in self.d:
            raise self.fail(key, "missing")
        return self.d[key]

    def get(self, key: str, default: object) -> object:
        return self.d.get(key, default)

    def get_int(self, key: str) -> int:
        value = self.raw(key)
        # bool is an int to Python, never to us.
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(key, f"expected an integer, got {type(value).__name__}")
        return value

    def get_str(self, key: str) -> str:
        value = self.raw(key)
        if not isinstance(value, str):
            raise self.fail(key, f"expected a string, got {type(value).__name__}")
        return value

    def get_opt_str(self, key: str) -> str | None:
        """A string that may be null or absent."""
        value = self.d.get(key)
        if value is not None and not isinstance(value, str):
            raise self.fail(key, f"expected a string, got {type(value).__name__}")
        return value

    def get_list(self, key: str, default: list[Any] | None = None) -> list[Any]:
        if default is not None and key not in self.d:
            return default
        value = self.raw(key)
        if not isinstance(value, list):
            raise self.fail(key, f"expected an array, got {type(value).__name__}")
        return value

    def get_object(self, key: str, default: dict[str, Any] | None = None) -> dict[str, Any]:
        if default is not None and key not in self.d:
            return default
        value = self.raw(key)
        if not isinstance(value, dict):
            raise self.fail(key, f"expected an object, got {type(value).__name__}")
        return value
