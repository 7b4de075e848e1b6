"""streams.adapters.rocksdict over a real RocksDB on tmp_path."""

from __future__ import annotations

from pathlib import Path

from streams.adapters.rocksdict import SharedMemory, open_db, scan, write


def test_a_scan_reads_one_prefix_in_key_order_from_its_start(tmp_path: Path) -> None:
    db = open_db(str(tmp_path / "db"), SharedMemory(16 * 2**20))
    write(db, [(b"a1", b"x"), (b"b1", b"1"), (b"b3", b"3"), (b"b2", b"2"), (b"c1", b"y")])
    assert list(scan(db, b"b")) == [(b"b1", b"1"), (b"b2", b"2"), (b"b3", b"3")]
    assert [k for k, _ in scan(db, b"b", b"b2")] == [b"b2", b"b3"]
    assert [k for k, _ in scan(db, b"b", b"a")] == [b"b1", b"b2", b"b3"]  # a start before the prefix
    assert list(scan(db, b"d")) == []


def test_a_write_batch_puts_and_deletes_at_once(tmp_path: Path) -> None:
    db = open_db(str(tmp_path / "db"))
    write(db, [(b"k1", b"1"), (b"k2", b"2")])
    write(db, [(b"k1", None), (b"k3", b"3")])
    assert [k for k, _ in scan(db, b"k")] == [b"k2", b"k3"]
