"""Typed reads of decoded records, for the `from_dict` functions.

Stored state and published events come back as plain JSON values; these read
one field each and raise `StateDecodeError` naming the record and field.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, TypeVar

from registry.errors import StateDecodeError

E = TypeVar("E", bound=enum.Enum)


class Reader:
    """Reads fields of one record `d`, described as `what` in errors."""

    __slots__ = ("d", "what")

    def __init__(self, d: object, what: str) -> None:
        if not isinstance(d, Mapping):
            raise StateDecodeError(what, "", f"expected an object, got {type(d).__name__}")
        self.d: Mapping[str, Any] = d
        self.what = what

    def fail(self, key: str, reason: str) -> StateDecodeError:
        return StateDecodeError(self.what, key, reason)

    def raw(self, key: str) -> object:
        if key not in self.d:
            raise self.fail(key, "missing")
        return self.d[key]

    def get_int(self, key: str) -> int:
        value = self.raw(key)
        # bool is an int to Python, never to us.
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(key, f"expected an integer, got {value!r}")
        return value

    def get_bool(self, key: str) -> bool:
        value = self.raw(key)
        if not isinstance(value, bool):
            raise self.fail(key, f"expected a boolean, got {value!r}")
        return value

    def get_str(self, key: str) -> str:
        value = self.raw(key)
        if not isinstance(value, str):
            raise self.fail(key, f"expected a string, got {value!r}")
        return value

    def get_opt_str(self, key: str) -> str | None:
        return None if self.raw(key) is None else self.get_str(key)

    def get_enum(self, key: str, cls: type[E]) -> E:
        value = self.raw(key)
        try:
            return cls(value)
        except ValueError:
            raise self.fail(key, f"not a {cls.__name__}: {value!r}") from None

    def get_opt_enum(self, key: str, cls: type[E]) -> E | None:
        return None if self.raw(key) is None else self.get_enum(key, cls)

    def get_list(self, key: str) -> list[Any]:
        value = self.raw(key)
        if not isinstance(value, list):
            raise self.fail(key, f"expected an array, got {type(value).__name__}")
        return value

    def get_mapping(self, key: str) -> Mapping[str, Any]:
        value = self.raw(key)
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected an object, got {type(value).__name__}")
        return value
