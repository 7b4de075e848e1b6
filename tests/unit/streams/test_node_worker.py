"""NodeWorker's override of mode's Worker: what it replaces is still there and used."""

from __future__ import annotations

import inspect

import mode

from streams.node.worker import NodeWorker


def test_the_stop_sentinel_it_shortens_is_the_one_mode_runs_on_stop() -> None:
    assert "self._sentinel_task()" in inspect.getsource(mode.Worker._shutdown_loop)
    assert "asyncio.sleep(1.0)" in inspect.getsource(mode.Worker._sentinel_task)
    assert NodeWorker._sentinel_task is not mode.Worker._sentinel_task
