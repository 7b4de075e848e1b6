"""Rows kept decoded between reads while their bytes are unchanged."""

from __future__ import annotations

from streams.state.decoded import DecodedRows


def test_a_row_is_decoded_again_only_when_its_bytes_changed() -> None:
    calls: list[bytes] = []

    def decode(raw: bytes) -> str:
        calls.append(raw)
        return raw.decode()

    rows = DecodedRows(decode, keep=10)
    first = rows.decode(b"k", b"v1")
    assert rows.decode(b"k", b"v1") is first
    assert rows.decode(b"k", b"v2") == "v2"
    assert calls == [b"v1", b"v2"]


def test_it_keeps_the_rows_read_last_and_no_more() -> None:
    calls: list[bytes] = []
    rows = DecodedRows(lambda raw: calls.append(raw) or raw, keep=2)
    for key in (b"a", b"b", b"a", b"c"):  # b is the least recently read when c comes
        rows.decode(key, key)
    calls.clear()
    rows.decode(b"a", b"a")
    rows.decode(b"c", b"c")
    assert calls == []
    rows.decode(b"b", b"b")
    assert calls == [b"b"]
