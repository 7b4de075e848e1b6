"""Errors raised by the schema registry core.

Every error carries the data that explains it as fields, so callers (an agent
routing a message to the dead-letter topic, an HTTP handler) can report *what*
was wrong and *where* without parsing messages.

Limit violations found while inferring a schema are not errors: they are
recorded as `registry.infer.Finding` values and never raised.
"""

from __future__ import annotations

from schemas.errors import TracklogError


class RegistryError(TracklogError):
    """Root of the registry's errors (under the project's root); `reason` says what was wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidPathError(RegistryError):
    """A column path that `registry.paths.split_path` cannot parse."""

    def __init__(self, path: str, position: int, reason: str) -> None:
        super().__init__(f"invalid column path {path!r} at {position}: {reason}")
        self.path = path
        self.position = position


class InvalidSchemaKeyError(RegistryError):
    """A schema key that cannot be built, encoded or decoded."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"invalid schema key {key}: {reason}")
        self.key = key


class UnsupportedValueError(RegistryError):
    """A value that is not JSON (as decoded by orjson or json) was inferred."""

    def __init__(self, path: str, type_name: str) -> None:
        super().__init__(f"value at {path!r} is a {type_name}, not a JSON value")
        self.path = path
        self.type_name = type_name


class InvalidLimitsError(RegistryError):
    """Inference limits out of their allowed range."""

    def __init__(self, field: str, value: int, reason: str) -> None:
        super().__init__(f"{field}={value}: {reason}")
        self.field = field
        self.value = value


class StateDecodeError(RegistryError):
    """A stored or published record that does not decode to registry state."""

    def __init__(self, what: str, field: str, reason: str) -> None:
        super().__init__(f"cannot decode {what}: field {field!r}: {reason}")
        self.what = what
        self.field = field


class InconsistentStateError(RegistryError):
    """The caller's stored states disagree: a schema lists a column it has no state for."""

    def __init__(self, key: str, path: str) -> None:
        super().__init__(f"schema {key} lists column {path!r} but no state for it was given")
        self.key = key
        self.path = path
