"""schemas.sealed: events sealed for the log, rows sealed for the tables, both read back."""

from __future__ import annotations

import itertools
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


def test_a_calls_events_are_each_sealed_under_their_own_subjects_key() -> None:
    other_ref = KeyRef("~" + "b" * 32, "fedcba9876543210")
    sealer = Sealer()
    mine, theirs = sealer.event_key(REF, MATERIAL), sealer.event_key(other_ref, OTHER)
    envelopes = sealer.seal_events([mine, theirs, mine], [b"ada 1", b"bob", b"ada 2"])
    assert [read_envelope(e).ref for e in envelopes] == [REF, other_ref, REF]
    assert [Sealer().open(e, m) for e, m in zip(envelopes, (MATERIAL, OTHER, MATERIAL))] == [b"ada 1", b"bob", b"ada 2"]
    with pytest.raises(SealError, match="does not open"):
        Sealer().open(envelopes[1], MATERIAL)  # ada's key opens none of bob's


def test_events_are_sealed_under_a_new_nonce_each_rows_the_same_way_each_time() -> None:
    sealer = Sealer()
    events = {sealer.seal_event(REF, MATERIAL, b"same") for _ in range(100)}
    assert len(events) == 100
    assert Sealer().seal(REF, MATERIAL, b"same") == sealer.seal(REF, MATERIAL, b"same")  # a rebuild's rows


def test_a_sealers_nonces_count_up_from_a_random_start_another_sealer_does_not_share() -> None:
    first, second = Sealer(), Sealer()
    nonces = [read_envelope(first.seal_event(REF, MATERIAL, b"e")).ciphertext[:12] for _ in range(3)]
    key = first.event_key(REF, MATERIAL)
    nonces += [read_envelope(e).ciphertext[:12] for e in first.seal_events([key, key], [b"e", b"f"])]  # one count
    counts = [int.from_bytes(nonce, "big") for nonce in nonces]
    assert counts == list(range(counts[0], counts[0] + 5))
    other = int.from_bytes(read_envelope(second.seal_event(REF, MATERIAL, b"e")).ciphertext[:12], "big")
    assert abs(other - counts[0]) > 2**32  # 2^-63 odds of a false failure


def test_the_start_leaves_room_to_count_without_running_out_of_96_bits() -> None:
    sealer = Sealer()
    highest = 2**96 - 2**64 - 1
    sealer._nonces = itertools.count(highest)
    nonces = [read_envelope(sealer.seal_event(REF, MATERIAL, b"e")).ciphertext[:12] for _ in range(3)]
    assert nonces == [(highest + n).to_bytes(12, "big") for n in range(3)]


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
