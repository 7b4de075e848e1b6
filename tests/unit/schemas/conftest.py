"""Fixtures shared by the schemas tests."""

from collections.abc import Callable

import pytest


@pytest.fixture
def new_id() -> Callable[[], str]:
    """A deterministic messageId generator: id-1, id-2, ..."""
    count = 0

    def next_id() -> str:
        nonlocal count
        count += 1
        return f"id-{count}"

    return next_id
