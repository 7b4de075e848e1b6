"""The pipeline benchmark's baseline: a Faust app whose one agent does nothing.

``python -m bench.noop_agent --broker kafka://... --topic T --events N --out F`` reads
topic T from the start in a consumer group of its own, with the node's Faust settings
and its batching (``take_events`` of the agents' size), and counts. Once it has seen N
events it writes ``{"events", "seconds", "last_at"}`` to F (measured like the node: from
the first batch seen to the last; ``last_at`` is the wall clock then) and waits to be
stopped.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import faust
import orjson

logger = logging.getLogger("bench.noop_agent")

BATCH = 500  # as streams.agents
BATCH_WAIT = 0.05


def build(args: argparse.Namespace, datadir: str) -> faust.App:
    app = faust.App(
        args.app_id,
        broker=args.broker,
        datadir=datadir,
        web_enabled=False,
        topic_partitions=args.partitions,
        topic_replication_factor=1,
        consumer_auto_offset_reset="earliest",
        stream_wait_empty=False,
        broker_commit_every=1000,
        broker_commit_interval=1.0,
        autodiscover=False,
        key_serializer="raw",
        value_serializer="raw",
    )
    topic = app.topic(
        args.topic,
        partitions=args.partitions,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )
    seen = 0
    first: tuple[float, int] | None = None

    @app.agent(topic, name="noop")
    async def noop(stream: Any) -> None:
        nonlocal seen, first
        async for events in stream.take_events(BATCH, within=BATCH_WAIT):
            seen += len(events)
            if first is None:
                first = (time.monotonic(), seen)
            if seen >= args.events and not args.out.exists():
                started_at, started_count = first
                seconds = time.monotonic() - started_at
                result: dict[str, object]
                if started_count > args.events // 2 and not args.end_to_end:
                    result = {"error": f"the first batch held {started_count} of {seen} events: run a larger load"}
                else:
                    # last_at: the wall clock when the last event was seen (end to end).
                    result = {"events": seen - started_count, "seconds": seconds, "last_at": time.time()}
                partial = args.out.with_suffix(".partial")
                partial.write_bytes(orjson.dumps(result))
                partial.rename(args.out)  # whole, or not there: the parent polls for it
                logger.warning("no-op agent: %s", result)

    if args.end_to_end:

        @app.on_partitions_assigned.connect
        async def ready(sender: Any, /, *assigned: Any, signal: Any = None, **_: Any) -> None:
            if assigned and assigned[0]:
                args.out.with_suffix(".ready").touch()  # the parent sends once this is there

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.noop_agent")
    parser.add_argument("--broker", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--partitions", type=int, required=True)
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--end-to-end", action="store_true", help="started before the events are sent: any first batch is fine"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="noop-agent-") as datadir:
        worker = faust.Worker(build(args, datadir), loglevel="warning", redirect_stdouts=False)
        worker.execute_from_commandline()


if __name__ == "__main__":
    main()
