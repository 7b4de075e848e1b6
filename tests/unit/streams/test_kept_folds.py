"""The folds an agent keeps between steps, and when it lets them go."""

from __future__ import annotations

import pytest

from streams.state.buffers import KeptFolds, PartitionBuffers


class _Fold:
    def __init__(self) -> None:
        self.written_back = 0

    def write_back(self) -> None:
        self.written_back += 1


def _kept() -> KeptFolds[_Fold]:
    return KeptFolds(lambda buffers, partition: _Fold())


async def test_a_fold_is_kept_from_step_to_step() -> None:
    kept = _kept()
    with kept.step():
        first = kept.of(0)
        await kept.flush(None)
    with kept.step():
        assert kept.of(0) is first
        assert kept.of(1) is not first
    assert first.written_back == 1


async def test_partitions_revoked_mid_step_still_flush_that_step_then_start_afresh() -> None:
    kept = _kept()
    with kept.step():
        fold = kept.of(0)
        kept.forget()  # a rebalance while the step awaits
        assert kept.of(0) is fold
        await kept.flush(None)
    assert fold.written_back == 1
    with kept.step():
        assert kept.of(0) is not fold


async def test_a_failed_step_drops_what_it_kept() -> None:
    kept = _kept()
    with pytest.raises(RuntimeError):
        with kept.step():
            fold = kept.of(0)
            raise RuntimeError("broker gone")
    with kept.step():
        assert kept.of(0) is not fold
    assert fold.written_back == 0


def test_buffers_are_made_once_per_table_and_partition() -> None:
    class _Table:
        name = "t"

    buffers = PartitionBuffers()
    [a] = buffers.of(0, _Table())
    [b] = buffers.of(0, _Table())
    [c] = buffers.of(1, _Table())
    assert a is b and a is not c
