"""Every node's copy of the regulations topic, against the session broker.

Two copies stand for two nodes: one writes a suppression, the other must hold it for
the very next call it answers, without having been told.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from query.domain import USER_ID, Identifier
from query.domain.regulations import Regulation, RegulationType, SubjectType
from streams.kafka.follow import clock
from streams.kafka.topics import ensure_topics
from streams.ops.broker import EmbeddedBroker
from streams.regulations.log import RegulationLog
from tests.nodes import fresh_prefix

CAROL = Identifier(USER_ID, "pseudonym-of-carol")


def _suppression(n: int) -> Regulation:
    member = Identifier(USER_ID, f"pseudonym-{n}")
    return Regulation(f"r-{n}", RegulationType.SUPPRESS_ONLY, SubjectType.USER_ID, (member,), (member,), 0)


@pytest.fixture
async def two_copies(kafka: EmbeddedBroker) -> AsyncIterator[tuple[RegulationLog, RegulationLog]]:
    topic = f"{fresh_prefix()}.regulations"
    await ensure_topics(kafka.bootstrap, [(topic, 1, {})])
    writer, reader = RegulationLog(kafka.bootstrap, topic), RegulationLog(kafka.bootstrap, topic)
    await writer.start()
    await reader.start(write=False)
    yield writer, reader
    await asyncio.gather(writer.stop(), reader.stop())


async def test_a_suppression_written_by_one_node_is_in_force_on_another_once_it_is_fresh(
    two_copies: tuple[RegulationLog, RegulationLog],
) -> None:
    writer, reader = two_copies
    for n in range(20):  # each round: written, acknowledged, then at once asked of the other copy
        await writer.append(_suppression(n))
        await reader.fresh()
        assert reader.suppressions.blocks([f"pseudonym-{n}"]), f"suppression {n} was not in force"
    assert not reader.suppressions.blocks([CAROL.value])


async def test_callers_waiting_at_once_share_one_answer(two_copies: tuple[RegulationLog, RegulationLog]) -> None:
    writer, reader = two_copies
    await writer.append(*(_suppression(n) for n in range(5)))
    await asyncio.gather(*(reader.fresh() for _ in range(200)))
    assert len(reader.suppressions) == 5


async def test_a_copy_found_complete_lately_answers_at_once_and_one_asked_now_sees_everything(
    two_copies: tuple[RegulationLog, RegulationLog],
) -> None:
    writer, reader = two_copies
    await reader.fresh()  # a round: complete as of now
    as_of = reader.follower.fresh_as_of
    await writer.append(_suppression(1))
    # Within a minute of that round the copy is fresh enough: answered from it, no round
    # asked (the edge asks with IN_FORCE_WITHIN).
    await reader.fresh(within=60)
    assert reader.follower.fresh_as_of == as_of
    await reader.fresh()  # a round asked now, which the suppression written before is in
    assert reader.follower.fresh_as_of > as_of
    assert reader.suppressions.blocks(["pseudonym-1"])


async def test_past_half_the_lease_the_caller_is_answered_at_once_and_a_round_is_asked_ahead(
    two_copies: tuple[RegulationLog, RegulationLog],
) -> None:
    writer, reader = two_copies
    await reader.fresh()
    await writer.append(_suppression(2))
    stale = reader.follower.fresh_as_of = clock() - 30  # as if that round were 30 s old
    await reader.fresh(within=40)
    assert reader.follower.fresh_as_of == stale  # answered from the copy as it was
    ahead = reader.follower._ahead
    assert ahead is not None, "no round was asked ahead"
    await ahead
    assert reader.follower.fresh_as_of > stale
    assert reader.suppressions.blocks(["pseudonym-2"])
    await reader.fresh(within=40)  # fresh again: nothing more to ask
    assert reader.follower._ahead is None
