"""Column paths: dotted, escaped, with `[]` for array items.

A path names one column inside an event, starting at its section:
`properties.plan`, `context.device.type`, `properties.items[].sku` (a field of
the objects in an array), `properties.tags[]` (the items of an array of
scalars), `properties.matrix[][]` (the items of nested arrays).

Keys are escaped so that no key is ever mangled or confused with structure:
`\\`, `.`, `[` and `]` get a backslash in front (`a.b` is written `a\\.b`), and
the empty key is written `\\_` (so a key that is literally `\\_` is `\\\\_`).

As segment lists, array steps are the segment `"[]"`. A key that is literally
`[]` therefore has no segment-list form; code that must tell the two apart
works on escaped segments (`split_escaped`, `unescape_key`), where that key is
`\\[\\]`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from registry.errors import InvalidPathError

ARRAY_STEP: Final = "[]"
"""The segment that stands for "each item of the array"."""

EMPTY_KEY: Final = "\\_"
"""How the empty key is written in a path."""

_SPECIAL: Final = frozenset(".[]\\")
_ESCAPES: Final = str.maketrans({c: "\\" + c for c in _SPECIAL})


def escape_key(key: str) -> str:
    """The path form of one object key."""
    if not key:
        return EMPTY_KEY
    return key.translate(_ESCAPES)


def unescape_key(escaped: str) -> str:
    """The object key that `escape_key` wrote as `escaped`."""
    segments = split_escaped(escaped)
    if len(segments) != 1 or segments[0] == ARRAY_STEP:
        raise InvalidPathError(escaped, 0, "not a single escaped key")
    return _unescape(segments[0])


def child_path(parent: str, escaped_key: str) -> str:
    """`parent` extended by a key already escaped with `escape_key`."""
    return f"{parent}.{escaped_key}" if parent else escaped_key


def join_path(segments: Iterable[str]) -> str:
    """The path of raw `segments`; `"[]"` is an array step, anything else a key."""
    path = ""
    for segment in segments:
        if segment == ARRAY_STEP:
            path += ARRAY_STEP
        else:
            path = child_path(path, escape_key(segment))
    return path


def split_path(path: str) -> list[str]:
    """The raw segments of `path`: the inverse of `join_path`."""
    return [s if s == ARRAY_STEP else _unescape(s) for s in split_escaped(path)]


def split_escaped(path: str) -> list[str]:
    """The segments of `path`, keys still escaped (`"[]"` is an array step).

    Raises `InvalidPathError` for anything `join_path` would not write.
    """
    segments: list[str] = []
    i, n = 0, len(path)
    while i < n:
        c = path[i]
        if c == "[":
            if not path.startswith(ARRAY_STEP, i):
                raise InvalidPathError(path, i, "'[' must be followed by ']'")
            segments.append(ARRAY_STEP)
            i += 2
            continue
        if segments:
            if c != ".":
                raise InvalidPathError(path, i, "expected '.' or '[]' after a segment")
            i += 1
        start = i
        i = _scan_key(path, i)
        if i == start:
            raise InvalidPathError(path, i, "empty key (the empty key is written \\_)")
        segments.append(path[start:i])
    return segments


def _scan_key(path: str, i: int) -> int:
    """The index just past the escaped key that starts at `i`."""
    n = len(path)
    if path.startswith(EMPTY_KEY, i):
        end = i + len(EMPTY_KEY)
        if end < n and path[end] not in ".[":
            raise InvalidPathError(path, i, "\\_ (the empty key) must stand alone")
        return end
    while i < n:
        c = path[i]
        if c == "\\":
            if i + 1 >= n or path[i + 1] not in _SPECIAL:
                raise InvalidPathError(path, i, "'\\' must escape one of . [ ] \\")
            i += 2
        elif c in ".[":
            return i
        elif c == "]":
            raise InvalidPathError(path, i, "unescaped ']'")
        else:
            i += 1
    return i


def _unescape(escaped: str) -> str:
    if escaped == EMPTY_KEY:
        return ""
    if "\\" not in escaped:
        return escaped
    out: list[str] = []
    i = 0
    while i < len(escaped):
        if escaped[i] == "\\":
            i += 1
        out.append(escaped[i])
        i += 1
    return "".join(out)
