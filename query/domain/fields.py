"""The record reader (``schemas.reader.Reader``), raising the query core's decode error."""

from __future__ import annotations

from typing import ClassVar

from query.domain.errors import RecordDecodeError
from schemas.reader import Reader as _Reader


class Reader(_Reader):
    __slots__ = ()
    error: ClassVar[type[Exception]] = RecordDecodeError
