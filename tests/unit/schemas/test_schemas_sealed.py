"""schemas.sealed: events sealed for the log, rows sealed for the tables, both read back."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.sealed import (
    KeyRef,
    SealError,
    Sealer,
    from_json_envelope,
    json_envelope,
    read_envelope,
)

REF, MATERIAL = KeyRef("~" + "a" * 32, "0123456789abcdef"), os.urandom(64)
OTHER = os.urandom(64)


@given(st.binary(max_size=2_000))
def test_an_event_opens_to_what_was_sealed_and_names_its_key(plaintext: bytes) -> None:
    sealer = Sealer()
    envelope = sealer.seal_event(REF, MATERIAL, plaintext)
    assert read_envelope(envelope).ref == REF
    assert Sealer().open(envelope, MATERIAL) == plaintext  # another sealer, as a fold is


def test_an_event_does_not_open_under_another_key_nor_once_changed() -> None:
    envelope = Sealer().seal_event(REF, MATERIAL, b'{"userId": "ada"}')
    assert b"ada" not in envelope
    with pytest.raises(SealError, match="does not open"):
        Sealer().open(envelope, OTHER)
    changed = envelope[:-1] + bytes([envelope[-1] ^ 1])
    with pytest.raises(SealError, match="does not open"):
        Sealer().open(changed, MATERIAL)


def test_events_are_sealed_under_a_new_nonce_each_rows_the_same_way_each_time() -> None:
    sealer = Sealer()
    events = {sealer.seal_event(REF, MATERIAL, b"same") for _ in range(100)}
    assert len(events) == 100
    assert Sealer().seal(REF, MATERIAL, b"same") == sealer.seal(REF, MATERIAL, b"same")  # a rebuild's rows


def test_no_nonce_repeats_across_the_count_wrapping() -> None:
    sealer = Sealer()
    nonces = sealer._nonces
    nonces._count = iter(range(0xFFFF_FFFE, 0x1_0000_0001))  # type: ignore[assignment]
    drawn = [nonces.next() for _ in range(4)]
    assert len(set(drawn)) == 4
    assert drawn[0][:8] == drawn[1][:8] != drawn[2][:8]  # a fresh random field past the wrap


def test_a_row_is_the_json_envelope_a_log_written_before_held() -> None:
    envelope = Sealer().seal(REF, MATERIAL, b"grace")
    assert envelope.startswith(b'{"s":"' + REF.subject.encode() + b'","k":"' + REF.key_id.encode() + b'","c":"')
    assert read_envelope(envelope).ref == REF
    assert Sealer().open(envelope, MATERIAL) == b"grace"


def test_both_forms_travel_inside_json_and_come_back_as_they_were() -> None:
    sealer = Sealer()
    for envelope in (sealer.seal_event(REF, MATERIAL, b"e"), sealer.seal(REF, MATERIAL, b"r")):
        carried = json_envelope(envelope)
        assert carried[:1] in (b'"', b"{")
        assert from_json_envelope(carried) == envelope


@pytest.mark.parametrize(
    ("envelope", "names"),
    [
        (b"\x01", "cut short"),
        (b"\x01\x00\x05abc", "cut short"),
        (b"\x01\x00\x01a\x01k" + b"x" * 20, "no subject, key id, nonce or tag"),
        (b"\x01\x00\x00\x01k" + b"x" * 40, "no subject, key id, nonce or tag"),
        (b'{"s": "a"}', "not a sealed value"),
        (b'"AQ!!"', "not a sealed value"),
    ],
)
def test_what_is_no_envelope_is_refused_naming_why(envelope: bytes, names: str) -> None:
    with pytest.raises(SealError, match=names):
        read_envelope(from_json_envelope(envelope))
