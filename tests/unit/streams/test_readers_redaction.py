"""Which values a person's reads show redacted: RED columns, and a new column whose key says RED."""

from __future__ import annotations

from registry import PiiClassification
from streams.state.readers import red_paths_in

RED, NONE = PiiClassification.RED, PiiClassification.NONE


def test_a_red_column_and_an_unclassified_key_that_says_red_are_redacted() -> None:
    sections = {
        "properties": {"cardNumber": "4111 1111 1111 1111", "password": "x", "total": 3},
        "traits": {"ssn": "123-45-6789", "a.b": 1},
        "context": {},
    }
    # Nothing classified yet (the schema fold comes a moment later): the keys decide.
    assert red_paths_in(sections, {}) == {"properties.cardNumber", "properties.password", "traits.ssn"}
    # Once classified, the classification decides, overrides included.
    classes = {"properties.cardNumber": NONE, "properties.total": RED, "traits.a\\.b": RED}
    assert red_paths_in(sections, classes) == {"properties.total", "traits.a\\.b", "properties.password", "traits.ssn"}


def test_nothing_personal_is_nothing_redacted() -> None:
    assert red_paths_in({"properties": {"total": 3, "plan": "pro"}}, {"properties.total": NONE}) == set()
