"""What streams.adapters.aiokafka assumes of the installed aiokafka."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer


async def test_a_consumer_can_be_asked_to_refresh_its_metadata() -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers="127.0.0.1:9")
    try:
        refresh = getattr(getattr(consumer, "_client", None), "force_metadata_update", None)
        assert callable(refresh), (
            "aiokafka's consumer no longer has _client.force_metadata_update: "
            "change streams.adapters.aiokafka.refresh_metadata"
        )
    finally:
        await consumer.stop()
