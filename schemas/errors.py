"""The project's error root and the errors of the Segment-payload contracts.

Every error Tracklog raises on purpose derives from `TracklogError`; each package
hangs its own subtree under it (`SchemaError` here). Errors carry their data as
fields so that each protocol can map them to a response in one place, and
`to_dict()` gives the fields of the JSON error body the HTTP edge returns.
"""

from __future__ import annotations

from typing import ClassVar

#: The JSON error body: {"error", "message", "index", "field"}.
ErrorBody = dict[str, str | int | None]


class TracklogError(Exception):
    """Root of every error Tracklog raises on purpose."""


class SchemaError(TracklogError):
    """A payload breaks the Segment-spec contract."""

    kind: ClassVar[str] = "schema_error"

    def to_dict(self) -> ErrorBody:
        """The JSON error body for this error."""
        return {"error": self.kind, "message": str(self), "index": None, "field": None}


def _where(index: int | None, path: str) -> str:
    """`batch[3].timestamp`, `batch[3]`, `timestamp` or `` (the whole payload)."""
    if index is None:
        return path
    return f"batch[{index}].{path}" if path else f"batch[{index}]"


class InvalidEventError(SchemaError):
    """One field of one call is missing, of the wrong type or malformed.

    `index` is the call's position in a batch (None for a single call); `path` is
    the field relative to the call (`userId`, `properties`, `timestamp`), or ``
    for the call as a whole; `reason` says what is wrong with it.
    """

    kind: ClassVar[str] = "invalid_event"

    def __init__(self, index: int | None, path: str, reason: str) -> None:
        # Passing the fields to Exception keeps the error picklable.
        super().__init__(index, path, reason)
        self.index = index
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        where = _where(self.index, self.path)
        return f"{where}: {self.reason}" if where else self.reason

    def to_dict(self) -> ErrorBody:
        return {
            "error": self.kind,
            "message": str(self),
            "index": self.index,
            "field": self.path or None,
        }


class PayloadTooLargeError(SchemaError):
    """A request body or one call in it is over its size limit (bytes)."""

    kind: ClassVar[str] = "payload_too_large"

    def __init__(self, index: int | None, size: int, limit: int) -> None:
        super().__init__(index, size, limit)
        self.index = index
        self.size = size
        self.limit = limit

    def __str__(self) -> str:
        what = f"batch[{self.index}] is" if self.index is not None else "payload is"
        return f"{what} {self.size} bytes, over the {self.limit}-byte limit"

    def to_dict(self) -> ErrorBody:
        return {
            "error": self.kind,
            "message": str(self),
            "index": self.index,
            "field": None,
        }
