"""Errors raised by the query store's pure core.

`DomainError` is this package's root under `TracklogError`; every error carries
what was wrong as fields (and a `reason`), so the GraphQL layer can map each
one to a response in one place without parsing messages. Their messages are
safe to show a caller: they never include stored data beyond what the caller
sent.
"""

from __future__ import annotations

from typing import ClassVar

from schemas.errors import TracklogError


class DomainError(TracklogError):
    """Root of the query core's errors; `reason` says what was wrong."""

    kind: ClassVar[str] = "query_error"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidCursorError(DomainError):
    """A timeline cursor that `decode_cursor` cannot read (garbage, or not ours)."""

    kind: ClassVar[str] = "invalid_cursor"

    def __init__(self, cursor: str, reason: str) -> None:
        super().__init__(f"invalid cursor {cursor[:64]!r}: {reason}")
        self.cursor = cursor
        self.detail = reason


class PageSizeError(DomainError):
    """`first` outside 0..limit."""

    kind: ClassVar[str] = "page_size"

    def __init__(self, first: int, limit: int) -> None:
        super().__init__(f"first must be between 0 and {limit}, got {first}")
        self.first = first
        self.limit = limit


class InvalidKeyError(DomainError):
    """A storage key that cannot be built (a part too long) or parsed."""

    kind: ClassVar[str] = "invalid_key"

    def __init__(self, key: bytes, reason: str) -> None:
        super().__init__(f"invalid timeline key {key[:64]!r}: {reason}")
        self.key = key
        self.detail = reason


class RecordDecodeError(DomainError):
    """A stored record that does not decode to the value `what` names."""

    kind: ClassVar[str] = "record_decode"

    def __init__(self, what: str, field: str, reason: str) -> None:
        super().__init__(f"cannot decode {what}: field {field!r}: {reason}")
        self.what = what
        self.field = field
        self.detail = reason


class InvalidGuardsError(DomainError):
    """Identity guards with a setting out of its allowed range."""

    kind: ClassVar[str] = "invalid_guards"

    def __init__(self, field: str, value: int, reason: str) -> None:
        super().__init__(f"{field}={value}: {reason}")
        self.field = field
        self.value = value
        self.detail = reason
