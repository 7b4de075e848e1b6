"""The ``tracklog`` command: ``dev``, ``node``, ``broker``, ``sdl``.

The settings are built here, once, and passed down.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from schemas.errors import TracklogError
from streams.settings import Settings

logger = logging.getLogger("tracklog")


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="[%(asctime)s] %(levelname)s %(name)s: %(message)s",
    )


def _run_node(settings: Settings) -> int:
    from streams.node import Node

    try:
        Node(settings).run()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def cmd_dev(settings: Settings) -> int:
    """The embedded default: a broker of our own (unless TRACKLOG_BROKER), then one node."""
    settings = settings.model_copy(update={"dev": True})
    broker = None
    if not settings.broker:
        from streams.broker import EmbeddedBroker

        broker = EmbeddedBroker(
            Path(settings.data_dir) / "kafka", settings.kafka_libs, heap=settings.kafka_heap
        )
        bootstrap = broker.start()
        settings = settings.model_copy(update={"broker": f"kafka://{bootstrap}"})
        logger.info("embedded Kafka on %s, log in %s", bootstrap, broker.data_dir)
    base = f"http://{settings.http_host}:{settings.http_port}"
    keys = settings.write_keys.get_secret_value()
    logger.info(
        "Tracklog dev node starting on %s (GraphiQL: %s/graphql). Write key: %s",
        base,
        base,
        "one of TRACKLOG_WRITE_KEYS" if keys else "any key; e.g. 'dev' (the key names the source)",
    )
    try:
        return _run_node(settings)
    finally:
        if broker is not None:
            logger.info("stopping the embedded Kafka")
            broker.stop()


def cmd_node(settings: Settings) -> int:
    """The production entry: the broker always comes from TRACKLOG_BROKER."""
    if not settings.broker:
        logger.error("TRACKLOG_BROKER is not set; e.g. TRACKLOG_BROKER=kafka://kafka:9092")
        return 2
    return _run_node(settings)


def cmd_broker(settings: Settings) -> int:
    """The embedded Kafka alone, until Ctrl-C (for several nodes against one broker)."""
    from streams.broker import EmbeddedBroker

    broker = EmbeddedBroker(
        Path(settings.data_dir) / "kafka", settings.kafka_libs, heap=settings.kafka_heap
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    bootstrap = broker.start()
    logger.info("embedded Kafka ready: TRACKLOG_BROKER=kafka://%s", bootstrap)
    try:
        stop.wait()
    finally:
        broker.stop()
    return 0


def cmd_sdl(settings: Settings) -> int:
    """Print the GraphQL SDL (committed as query/graphql/schema.graphql)."""
    from query.graphql.sdl import export_sdl

    sys.stdout.write(export_sdl())
    return 0


COMMANDS = {"dev": cmd_dev, "node": cmd_node, "broker": cmd_broker, "sdl": cmd_sdl}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tracklog",
        description="Tracklog: schema registry and query store for customer events. "
        "Configured by TRACKLOG_* environment variables.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        sub.add_parser(name, help=(command.__doc__ or "").strip().splitlines()[0])
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValueError as exc:
        parser.error(f"invalid settings: {exc}")
    _configure_logging(settings)
    try:
        return COMMANDS[args.command](settings)
    except TracklogError as exc:
        logger.error("%s", exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
