"""registry.pii: a column's classification suggested from its key, then precise value patterns."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.pii import NOT_PERSONAL, PiiClassification, PiiSuggestion, classify, classify_path, classify_value, string_values

RED, YELLOW, NONE = PiiClassification.RED, PiiClassification.YELLOW, PiiClassification.NONE


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("traits.email", PiiSuggestion(YELLOW, "email")),
        ("properties.user.Email_Address", PiiSuggestion(YELLOW, "email")),
        ("context.ip", PiiSuggestion(YELLOW, "ip_address")),
        ("traits.phone_number", PiiSuggestion(YELLOW, "phone")),
        ("properties.password", PiiSuggestion(RED, "password")),
        ("properties.auth.accessToken", PiiSuggestion(RED, "token")),
        ("properties.api-key", PiiSuggestion(RED, "token")),
        ("properties.client_secret", PiiSuggestion(RED, "secret")),
        ("properties.card.number", NOT_PERSONAL),  # "number" alone says nothing
        ("properties.card_number", PiiSuggestion(RED, "credit_card")),
        ("traits.ssn", PiiSuggestion(RED, "national_id")),
        ("properties.items[].cvv", PiiSuggestion(RED, "credit_card")),
        ("properties.zip", NOT_PERSONAL),
        ("properties.trip", NOT_PERSONAL),
        ("properties.tokens_used", NOT_PERSONAL),
    ],
)
def test_the_key_decides_first(path: str, expected: PiiSuggestion) -> None:
    assert classify_path(path) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ada@example.com", PiiSuggestion(YELLOW, "email")),
        ("4111 1111 1111 1111", PiiSuggestion(RED, "credit_card")),
        (4111111111111111, PiiSuggestion(RED, "credit_card")),
        ("4111 1111 1111 1112", NOT_PERSONAL),  # fails the Luhn check: no guess
        ("+14155550123", PiiSuggestion(YELLOW, "phone")),
        ("192.168.1.20", PiiSuggestion(YELLOW, "ip_address")),
        ("2001:db8::1", PiiSuggestion(YELLOW, "ip_address")),
        ("1.2", NOT_PERSONAL),
        ("Order Completed", NOT_PERSONAL),
        (True, NOT_PERSONAL),
        (12.5, NOT_PERSONAL),
    ],
)
def test_values_decide_only_where_a_pattern_is_precise(value: object, expected: PiiSuggestion) -> None:
    assert classify_value(value) == expected


def test_a_key_that_says_nothing_leaves_it_to_the_values() -> None:
    assert classify("properties.contact", ["n/a", "ada@example.com"]) == PiiSuggestion(YELLOW, "email")
    assert classify("properties.password", ["hunter2"]) == PiiSuggestion(RED, "password")
    assert classify("properties.note", ["hello"]) == NOT_PERSONAL


def test_values_are_found_at_their_column_paths() -> None:
    sections = {"properties": {"a.b": "x@y.io", "items": [{"sku": "4111111111111111"}], "n": 3, "f": True}}
    found = string_values(sections, ["properties.a\\.b", "properties.items[].sku", "properties.f", "properties.none"])
    assert found == {"properties.a\\.b": ["x@y.io"], "properties.items[].sku": ["4111111111111111"]}


@given(st.text(max_size=80))
def test_any_text_classifies_without_error(text: str) -> None:
    assert classify_value(text).classification in (NONE, YELLOW, RED)
    assert classify_path(f"properties.{text}").classification in (NONE, YELLOW, RED)
