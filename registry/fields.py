"""The record reader (``schemas.reader.Reader``), raising the registry's decode error."""

from __future__ import annotations

from typing import ClassVar

from registry.errors import StateDecodeError
from schemas.reader import Reader as _Reader


class Reader(_Reader):
    __slots__ = ()
    error: ClassVar[type[Exception]] = StateDecodeError
