"""The one module that reaches into aiokafka's private parts.

- ``refresh_metadata``: a group-less consumer knows only the topics it was told of;
  asking the broker about one more goes through its client (``consumer._client``),
  which aiokafka does not expose.

``tests/unit/streams/adapters/test_aiokafka.py`` fails loudly when the installed
aiokafka no longer has what this assumes.
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer


async def refresh_metadata(consumer: AIOKafkaConsumer) -> None:
    """Ask the broker for every topic's metadata now (a started consumer)."""
    await consumer._client.force_metadata_update()
