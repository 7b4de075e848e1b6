"""Subjects' data keys against the session broker: made at once, shared, forgotten."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from streams.kafka.keys import SubjectKeys
from streams.kafka.producer import key_partition
from streams.kafka.topics import ensure_topics
from streams.ops.broker import EmbeddedBroker
from tests.nodes import fresh_prefix
from tests.topics import all_records, keys_on


@pytest.fixture
async def keys(kafka: EmbeddedBroker) -> AsyncIterator[SubjectKeys]:
    topic = f"{fresh_prefix()}.keys"
    await ensure_topics(kafka.bootstrap, [(topic, 2, {})])
    made = SubjectKeys(kafka.bootstrap, topic)
    await made.start()
    yield made
    await made.stop()


async def test_the_keys_of_new_subjects_are_made_at_once_and_on_the_topic(
    keys: SubjectKeys, kafka: EmbeddedBroker
) -> None:
    made = await keys.keys_for(["~a", "~b", "~a", "~c"])
    assert sorted(made) == ["~a", "~b", "~c"]
    assert {ref.subject for ref, _ in made.values()} == {"~a", "~b", "~c"}
    on_the_topic = await keys_on(kafka.bootstrap, keys._topic)
    assert {ref: material for ref, material in made.values()} == on_the_topic.known
    assert keys.current("~a") == made["~a"]  # the key new values are sealed under
    assert await keys.keys_for(["~a"]) == {"~a": made["~a"]}  # known: not made again


async def test_calls_that_meet_a_new_subject_at_once_get_one_key(keys: SubjectKeys, kafka: EmbeddedBroker) -> None:
    first, second = await asyncio.gather(keys.keys_for(["~d", "~e"]), keys.keys_for(["~e", "~d"]))
    assert first == second
    assert len((await keys_on(kafka.bootstrap, keys._topic)).known) == 2


async def test_a_forgotten_subject_gets_a_new_key_and_the_old_one_is_gone(
    keys: SubjectKeys, kafka: EmbeddedBroker
) -> None:
    (old, _), = (await keys.keys_for(["~f"])).values()
    old_key = f"~f:{old.key_id}".encode()
    assert await keys.forget(["~f"]) == 1
    assert keys.current("~f") is None
    (new, _), = (await keys.keys_for(["~f"])).values()
    assert new != old
    assert set((await keys_on(kafka.bootstrap, keys._topic)).known) == {new}
    # Each key's record and its tombstone share a partition (murmur2 of the record key,
    # as a Java client would pick), so compaction drops the key.
    records = await all_records(kafka.bootstrap, keys._topic)
    assert {r.partition for r in records if r.key == old_key} == {key_partition(old_key, 2)}
    assert all(r.partition == key_partition(r.key, 2) for r in records)
