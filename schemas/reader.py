"""Typed reads of decoded records: the one reader behind every ``from_dict``.

Stored rows and published records come back as plain JSON values; each method reads
one field and raises the reader's ``error`` naming the record and the field. Each
package binds its own error (``registry.fields``, ``query.domain.fields``), so a
caller catches what it knows. Messages name types, never stored values.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

E = TypeVar("E", bound=enum.Enum)

class RecordError(ValueError):
    """A record that does not decode (the reader's default error)."""

    def __init__(self, what: str, field: str, reason: str) -> None:
        super().__init__(f"cannot decode {what}: field {field!r}: {reason}")
        self.what = what
        self.field = field
        self.reason = reason


class Reader:
    """Reads fields of one record ``d``, described as ``what`` in errors."""

    __slots__ = ("d", "what")
    error: ClassVar[type[Exception]] = RecordError  # raised as error(what, field, reason)

    def __init__(self, d: object, what: str) -> None:
        if not isinstance(d, Mapping):
            raise self.error(what, "", f"expected an object, got {type(d).__name__}")
        self.d: Mapping[str, Any] = d
        self.what = what

    def fail(self, key: str, reason: str) -> Exception:
        return self.error(self.what, key, reason)

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

    def get_bool(self, key: str) -> bool:
        value = self.raw(key)
        if not isinstance(value, bool):
            raise self.fail(key, f"expected a boolean, got {type(value).__name__}")
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

    def get_enum(self, key: str, cls: type[E]) -> E:
        value = self.raw(key)
        try:
            return cls(value)
        except ValueError:
            raise self.fail(key, f"not a {cls.__name__}") from None

    def get_opt_enum(self, key: str, cls: type[E]) -> E | None:
        """An enum value that may be null or absent."""
        return None if self.d.get(key) is None else self.get_enum(key, cls)

    def get_list(self, key: str, default: list[Any] | None = None) -> list[Any]:
        """An array; absent gives ``default`` when one is given."""
        if default is not None and key not in self.d:
            return default
        value = self.raw(key)
        if not isinstance(value, list):
            raise self.fail(key, f"expected an array, got {type(value).__name__}")
        return value

    def get_object(self, key: str, default: dict[str, Any] | None = None) -> dict[str, Any]:
        """An object; absent gives ``default`` when one is given."""
        if default is not None and key not in self.d:
            return default
        value = self.raw(key)
        if not isinstance(value, dict):
            raise self.fail(key, f"expected an object, got {type(value).__name__}")
        return value
