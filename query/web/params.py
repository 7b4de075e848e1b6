"""Query parameters of the pages: every view is a URL, read here into typed values.

A parameter a page cannot use is a `BadParameterError` naming it, shown as a 400 page,
never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final
from urllib.parse import quote, urlencode

from query.graphql.registry_reads import schema_key
from query.store import QueryError
from registry import SchemaKey
from schemas import EventType

# Longer values than any key or cursor a page links to are refused before any read.
MAX_VALUE: Final = 4096


class BadParameterError(QueryError):
    """A query parameter a page refuses: `name` says which, `reason` why."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"parameter {name!r}: {reason}")
        self.name = name
        self.reason = reason


class NotFoundError(QueryError):
    """What a page names does not exist (a 404 page)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} was not found")
        self.what = what


class Params:
    """The query parameters of one request."""

    def __init__(self, query: Mapping[str, str], multi: Mapping[str, list[str]] | None = None) -> None:
        self._query = query
        self._multi = multi or {}

    def text(self, name: str) -> str | None:
        """The parameter as given (present but empty is ""), or None when absent."""
        value = self._query.get(name)
        if value is not None and len(value) > MAX_VALUE:
            raise BadParameterError(name, f"longer than {MAX_VALUE} characters")
        return value

    def words(self, name: str) -> str | None:
        """The parameter stripped; None when absent or blank."""
        value = self.text(name)
        return value.strip() or None if value is not None else None

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise BadParameterError(name, "is required")
        return value

    def all(self, name: str) -> list[str]:
        """Every value of a repeated parameter (checkboxes), blank ones dropped."""
        values = self._multi.get(name, [])
        for value in values:
            if len(value) > MAX_VALUE:
                raise BadParameterError(name, f"longer than {MAX_VALUE} characters")
        return [v for v in values if v.strip()]

    def integer(self, name: str, *, low: int = 0, high: int = 2**62) -> int | None:
        value = self.words(name)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            raise BadParameterError(name, f"not a whole number: {value[:40]!r}") from None
        if not low <= number <= high:
            raise BadParameterError(name, f"must be between {low} and {high}")
        return number

    def time_ms(self, name: str) -> int | None:
        """An ISO 8601 time (a datetime-local field's value is UTC) as epoch ms."""
        value = self.words(name)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise BadParameterError(name, f"not a time like 2026-11-20T10:00: {value[:40]!r}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp() * 1000)

    def event_type(self, name: str = "type") -> EventType:
        value = self.required(name)
        try:
            return EventType(value.lower())
        except ValueError:
            raise BadParameterError(name, f"not a call type: {value[:40]!r}") from None

    def schema(self) -> SchemaKey:
        """The schema named by `source`, `type` and (for track) `event`."""
        type_ = self.event_type()
        event = self.text("event")
        if type_ is EventType.TRACK and event is None:
            raise BadParameterError("event", "a track schema is named by its event")
        return schema_key(self.required("source"), type_, event)


def url(target: str, /, **params: str | int | None) -> str:
    """`target` with the given parameters (None ones left out), every value quoted; a
    trailing underscore is dropped from a name (`from_` for `from`)."""
    given = {k.rstrip("_"): v for k, v in params.items() if v is not None}
    return f"{target}?{urlencode(given, quote_via=quote)}" if given else target


def schema_params(key: SchemaKey) -> dict[str, str | None]:
    """The parameters that name `key` (see `Params.schema`)."""
    return {"source": key.source, "type": key.type, "event": key.event}
