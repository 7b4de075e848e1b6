"""The ``tracklog`` command: ``dev``, ``node``, ``broker``, ``rebuild``, ``import``,
``generate`` and ``sdl`` (``tracklog --help`` says what each does).

The settings are built here, once, and passed down; logging is configured here too.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from schemas.errors import TracklogError
from streams.settings import Settings

if TYPE_CHECKING:
    from streams.ops.broker import EmbeddedBroker

logger = logging.getLogger("tracklog")


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="[%(asctime)s] %(levelname)s %(name)s: %(message)s",
    )
    # aiokafka logs every subscription and metadata update at INFO.
    logging.getLogger("aiokafka").setLevel(max(logging.WARNING, logging.getLogger().level))


def _run_node(settings: Settings) -> int:
    from streams.node import Node

    try:
        Node(settings).run()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _embedded_broker(settings: Settings) -> EmbeddedBroker:
    from streams.ops.broker import EmbeddedBroker

    return EmbeddedBroker(
        Path(settings.data_dir) / "kafka", settings.kafka_libs, heap=settings.kafka_heap
    )


@contextlib.contextmanager
def _broker_for(settings: Settings) -> Iterator[Settings]:
    """The settings with a broker: TRACKLOG_BROKER's, or the embedded one of the data dir."""
    if settings.broker:
        yield settings
        return
    broker = _embedded_broker(settings)
    bootstrap = broker.start()
    logger.info("embedded Kafka on %s, log in %s", bootstrap, broker.data_dir)
    try:
        yield settings.model_copy(update={"broker": f"kafka://{bootstrap}"})
    finally:
        logger.info("stopping the embedded Kafka")
        broker.stop()


def dev_settings(settings: Settings) -> Settings:
    """``settings`` in dev mode, which accepts any write key and needs no API token:
    so it serves on loopback only, whatever TRACKLOG_HTTP_HOST says."""
    if settings.http_host not in ("127.0.0.1", "localhost", "::1"):
        logger.warning("dev mode serves on loopback only; ignoring TRACKLOG_HTTP_HOST=%s", settings.http_host)
        settings = settings.model_copy(update={"http_host": "127.0.0.1"})
    return settings.model_copy(update={"dev": True})


def cmd_dev(settings: Settings) -> int:
    """The embedded default: a broker of our own (unless TRACKLOG_BROKER), then one node."""
    with _broker_for(dev_settings(settings)) as settings:
        return _run_dev(settings)


def _run_dev(settings: Settings) -> int:
    base = f"http://{settings.http_host}:{settings.http_port}"
    keys = settings.write_keys.get_secret_value()
    logger.info(
        "Tracklog dev node starting on %s (GraphiQL: %s/graphql). Write key: %s",
        base,
        base,
        "one of TRACKLOG_WRITE_KEYS" if keys else "any key; e.g. 'dev' (the key names the source)",
    )
    return _run_node(settings)


def cmd_node(settings: Settings) -> int:
    """The production entry: the broker always comes from TRACKLOG_BROKER."""
    if not settings.broker:
        logger.error("TRACKLOG_BROKER is not set; e.g. TRACKLOG_BROKER=kafka://kafka:9092")
        return 2
    return _run_node(settings)


def cmd_broker(settings: Settings) -> int:
    """The embedded Kafka alone, until Ctrl-C (for several nodes against one broker)."""
    broker = _embedded_broker(settings)
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


def cmd_rebuild(settings: Settings, check: bool = False) -> int:
    """Refold the tables from the log (node stopped); --check only compares digests."""
    import asyncio

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    from streams.kafka.app import Tracklog
    from streams.ops.rebuild import rebuild

    with _broker_for(settings) as settings:
        tracklog = Tracklog(settings)
        with Progress(
            TextColumn("refolding {task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            MofNCompleteColumn(),
            TextColumn("messages"),
            TimeRemainingColumn(),
        ) as bar:

            def progress(name: str) -> Callable[[int, int], None]:
                task = bar.add_task(name, total=None)
                return lambda done, total: bar.update(task, completed=done, total=total)

            report = asyncio.run(rebuild(tracklog, check_only=check, progress=progress))
    logger.info(
        "refolded %d messages into %d rows; live digest %s, rebuilt digest %s (%s)",
        report.messages,
        report.rows,
        report.live_digest,
        report.rebuilt_digest,
        "equal" if report.equal else "DIFFERENT",
    )
    if not check:
        logger.info("rewrote %d changelog rows; the next node start recovers the rebuilt tables", report.written)
    return 0 if report.equal or not check else 1


def cmd_import(settings: Settings, files: list[Path], source: str, batch: int) -> int:
    """Backfill JSONL(.gz) Segment calls through the log, with a progress bar."""
    import asyncio

    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    from streams.ops.importer import ImportReport, import_files

    if not settings.broker:
        from streams.ops.broker import EmbeddedBroker

        running = EmbeddedBroker.running_url(Path(settings.data_dir) / "kafka")
        if running is None:
            logger.error(
                "no broker: set TRACKLOG_BROKER, or run `tracklog dev` on this TRACKLOG_DATA_DIR"
            )
            return 2
        settings = settings.model_copy(update={"broker": running})
    report = ImportReport()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    ) as bar:
        started = time.monotonic()

        def progress(path: Path) -> Callable[[int, int], None]:
            task = bar.add_task(path.name, total=path.stat().st_size, rate="")

            def update(done: int, events: int) -> None:
                rate = events / max(time.monotonic() - started, 1e-9)
                bar.update(task, completed=done, rate=f"{events:,} events, {rate:,.0f}/s")

            return update

        asyncio.run(import_files(settings, files, source=source, batch_size=batch, report=report, progress=progress))
    for error in report.errors:
        logger.warning("skipped %s", error)
    logger.info(
        "imported %d events; skipped %d bad lines; left out %d events of suppressed people",
        report.events,
        report.skipped,
        report.suppressed,
    )
    return 1 if report.skipped else 0


def cmd_generate(settings: Settings, out: Path, seed: int, users: int, events: int) -> int:
    """Write deterministic Segment traffic (JSONL, gzip if .gz) for benchmarks and import."""
    from streams.ops.loadgen import generate, write_jsonl

    count = write_jsonl(out, generate(seed=seed, users=users, events=events))
    logger.info("wrote %d calls for %d users to %s (seed %d)", count, users, out, seed)
    return 0


def cmd_sdl(settings: Settings) -> int:
    """Print the GraphQL SDL (committed as query/graphql/schema.graphql)."""
    from query.graphql.sdl import export_sdl

    sys.stdout.write(export_sdl())
    return 0


# Each takes the settings, then its own arguments (see main).
COMMANDS: dict[str, Callable[..., int]] = {
    "dev": cmd_dev,
    "node": cmd_node,
    "broker": cmd_broker,
    "rebuild": cmd_rebuild,
    "import": cmd_import,
    "generate": cmd_generate,
    "sdl": cmd_sdl,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tracklog",
        description="Tracklog: schema registry and query store for customer events. "
        "Configured by TRACKLOG_* environment variables.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    parsers = {
        name: sub.add_parser(name, help=(command.__doc__ or "").strip().splitlines()[0])
        for name, command in COMMANDS.items()
    }
    parsers["rebuild"].add_argument(
        "--check",
        action="store_true",
        help="only compare the digests of the live and the refolded tables (exit 1 if they differ)",
    )
    parsers["import"].add_argument("files", nargs="+", type=Path, metavar="FILE")
    parsers["import"].add_argument("--source", default="import", help="source name of the events")
    parsers["import"].add_argument("--batch", type=int, default=1000, help="events per produce batch")
    parsers["generate"].add_argument("out", type=Path, metavar="FILE")
    parsers["generate"].add_argument("--seed", type=int, default=1)
    parsers["generate"].add_argument("--users", type=int, default=1000)
    parsers["generate"].add_argument("--events", type=int, default=100_000)
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValueError as exc:
        parser.error(f"invalid settings: {exc}")
    _configure_logging(settings)
    try:
        if args.command == "rebuild":
            return cmd_rebuild(settings, check=args.check)
        if args.command == "import":
            return cmd_import(settings, args.files, args.source, args.batch)
        if args.command == "generate":
            return cmd_generate(settings, args.out, args.seed, args.users, args.events)
        return COMMANDS[args.command](settings)
    except TracklogError as exc:
        logger.error("%s", exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
