"""The record reader (``schemas.records.Reader``), raising the query core's decode error."""

from __future__ import annotations

from typing import ClassVar

from query.domain.errors import RecordDecodeError
from schemas.records import Reader as _Reader


class Reader(_Reader):
    __slots__ = ()
    error: ClassVar[type[Exception]] = RecordDecodeError
