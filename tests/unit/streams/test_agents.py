"""Each agent's step over plain dicts: what it folds, what it sends on, what it dead-letters."""

from __future__ import annotations

import base64
from types import SimpleNamespace
from typing import Any

import orjson

from query.domain import GraphView, Identifier
from query.domain.regulations import Ack
from registry import Policy, SchemaKey
from schemas import Event, EventType, encode_event
from schemas.log import event_records
from streams.agents.fold_identities import fold_links
from streams.agents.fold_schemas import fold_records
from streams.agents.outbox import DeadLetters, ListOutbox
from streams.agents.route_events import route, send_routed
from streams.agents.steps import no_pace
from streams.folds.commands import COMMAND, KIND_HEADER, encode_policy_command
from streams.folds.events import EventFold
from streams.folds.forget import FORGET, encode_forget
from streams.folds.links import GraphTables, LinkFold, link_records
from streams.folds.rows import RowDict
from streams.folds.observations import OBSERVATIONS, decode_observations, encode_observations
from streams.folds.schemas import SchemaFold
from streams.kafka.app import TopicNames
from streams.metrics import Metrics
from tests.keys import MemoryKeys, privacy, seal

NAMES = TopicNames.for_prefix("t")
ORDER = SchemaKey("web", "track", "Order Completed").encode()
PRIVACY = privacy(MemoryKeys())
U1 = PRIVACY.pseudonyms.of(Identifier("user_id", "u1"))
A1 = PRIVACY.pseudonyms.of(Identifier("anonymous_id", "a1"))


def _fold(tables: dict[str, RowDict] | None = None) -> EventFold:
    t = tables if tables is not None else _tables()
    return EventFold(t["dedupe"], t["profiles"], t["timeline"], PRIVACY)


def _tables() -> dict[str, RowDict]:
    return {"dedupe": RowDict(), "profiles": RowDict(), "timeline": RowDict()}


def _event(n: int, *, user: str | None = "u1", anon: str | None = "a1", name: str = "Order Completed") -> bytes:
    return encode_event(
        Event(
            type=EventType.TRACK,
            message_id=f"m{n}",
            source="web",
            user_id=user,
            anonymous_id=anon,
            event=name,
            timestamp_ms=1_700_000_000_000 + n,
            received_at_ms=1_700_000_000_000 + n,
            sent_at_ms=None,
            original_timestamp_ms=None,
            properties={"n": n},
            traits={},
            context={},
            previous_id=None,
            group_id=None,
            integrations={},
        )
    )


def _message(value: bytes, offset: int, *, key: bytes = b"u1", partition: int = 0, headers: Any = ()) -> Any:
    return SimpleNamespace(topic="t.events", partition=partition, offset=offset, key=key, value=value, headers=headers)


def _record(*events: bytes) -> bytes:
    """The log record of ``events``, each sealed as the edge seals it."""
    [record] = event_records([seal(PRIVACY, e) for e in events])
    return record


async def test_route_events_groups_a_steps_observations_by_schema_and_sets_a_bad_event_aside() -> None:
    tables: dict[int, dict[str, RowDict]] = {}
    folds: dict[int, EventFold] = {}

    def fold_of(partition: int) -> EventFold:
        if partition not in folds:
            folds[partition] = _fold(tables.setdefault(partition, _tables()))
        return folds[partition]

    bad_event = seal(PRIVACY, b'{"type": "track", "messageId": "m-bad"}', subject=U1.value)
    [first] = event_records([seal(PRIVACY, _event(0)), bad_event, seal(PRIVACY, _event(1, name="Product Viewed"))])
    messages = [
        _message(first, 10),
        _message(b"{not a record", 11),
        _message(_record(_event(2)), 12),
        _message(_record(_event(3, user="u2", anon=None)), 14, key=b"u2", partition=1),
    ]
    routed = await route(messages, fold_of, PRIVACY, no_pace)
    for fold in folds.values():
        fold.write_back()

    # The bad event alone is set aside, named by its index; its neighbours are folded.
    assert [(d.message.offset, d.index, d.reason.split(":")[0]) for d in routed.dead] == [
        (10, 1, "events[1]"),
        (11, None, "events"),
    ]
    assert routed.events == 5
    assert [o.offset for o in routed.observed[ORDER]] == [10, 12, 14]  # log order
    assert [o.message_id for o in routed.observed[SchemaKey("web", "track", "Product Viewed").encode()]] == ["m1"]
    # u1's link to a1 is stated once, however many of its events carry it.
    assert [{link.a, link.b} for link, _, _ in routed.links] == [{U1, A1}]  # pseudonyms only
    assert len(tables[0]["timeline"]) == 3 and len(tables[1]["timeline"]) == 1

    outbox, metrics = ListOutbox(), Metrics()
    await send_routed(routed, NAMES, outbox, DeadLetters(outbox, NAMES.dead_letter, metrics))
    topics = [(topic, key) for topic, key, _, _ in outbox.sent]
    assert topics.count((NAMES.schema_input, ORDER)) == 1
    assert (NAMES.identity_links, b"links") in topics
    dead = [orjson.loads(value) for topic, _, value, _ in outbox.sent if topic == NAMES.dead_letter]
    assert [(d["agent"], d["offset"], d.get("index")) for d in dead] == [("route-events", 10, 1), ("route-events", 11, None)]
    assert base64.b64decode(dead[0]["valueBase64"]) == bad_event  # the event alone, still sealed
    [(_, _, record, headers)] = [sent for sent in outbox.sent if sent[1] == ORDER]
    assert headers == [(KIND_HEADER, OBSERVATIONS)]
    assert [o.message_id for o in decode_observations(record)] == ["m0", "m2", "m3"]


async def test_a_replayed_step_folds_nothing_again() -> None:
    tables = _tables()
    fold = _fold(tables)
    messages = [_message(_record(_event(n)), n) for n in range(3)]
    await route(messages, lambda _: fold, PRIVACY, no_pace)
    fold.write_back()
    profile = dict(tables["profiles"])
    again = await route(messages, lambda _: fold, PRIVACY, no_pace)
    fold.write_back()
    assert tables["profiles"] == profile
    assert again.links == []  # and the observations go on: fold-schemas dedupes them itself


def test_fold_identities_applies_a_records_good_links_and_names_the_bad_one() -> None:
    identities: dict[bytes, bytes] = {}
    members: dict[bytes, bytes] = {}
    fold = LinkFold(identities, members, {})
    good = orjson.loads(_links_record())["links"]
    record = orjson.dumps({"links": [good[0], {"l": {}}, *good[1:]]})
    step = fold_links([_message(record, 0), _message(b"[]", 1)], lambda _: fold)
    assert step.links == len(good) + 1
    assert [(d.message.offset, d.reason.split(":")[0]) for d in step.dead] == [(0, "links[1]"), (1, "links")]
    graph: GraphView = GraphTables(identities, members)
    assert graph.profile_of(U1) == graph.profile_of(A1) is not None


def _links_record() -> bytes:
    routed = _routed([_message(_record(_event(0)), 0)])
    [record] = link_records(routed.links)
    return record


def _routed(messages: list[Any]) -> Any:
    """``route`` run to its end outside a loop: over a key book in memory it never waits."""
    fold = _fold()
    step = route(messages, lambda _: fold, PRIVACY, no_pace)
    try:
        step.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the step waited on something")


async def test_a_forget_record_deletes_its_members_rows_where_it_falls_and_is_acked() -> None:
    tables = _tables()
    fold = _fold(tables)
    forget = _message(encode_forget("r1", [U1, A1]), 1, headers=[(KIND_HEADER, FORGET)])
    routed = await route(
        [_message(_record(_event(0)), 0), forget, _message(_record(_event(2)), 2)], lambda _: fold, PRIVACY, no_pace
    )
    fold.write_back()
    assert routed.acks == [Ack("r1", "events", 0)]
    # m0 went with the forget; m2 came after it and is kept (DELETE_ONLY lets new calls in).
    assert [k for k in tables["timeline"]] == [k for k in tables["timeline"] if k.endswith(b"m2")] != []
    assert len(tables["dedupe"]) == 1


async def test_an_event_whose_key_was_deleted_is_skipped_as_forgotten() -> None:
    keys = MemoryKeys()
    mine = privacy(keys)
    [record] = event_records([seal(mine, _event(0))])
    keys.forget(U1.value)
    tables = _tables()
    fold = EventFold(tables["dedupe"], tables["profiles"], tables["timeline"], mine)
    routed = await route([_message(record, 0)], lambda _: fold, mine, no_pace)
    fold.write_back()
    assert (routed.forgotten, routed.dead, routed.links) == (1, [], [])
    assert not any(tables.values())


def test_fold_identities_forgets_the_whole_profile_of_a_member_and_acks() -> None:
    identities: dict[bytes, bytes] = {}
    members: dict[bytes, bytes] = {}
    names: dict[bytes, bytes] = {}
    fold = LinkFold(identities, members, names)
    forget = _message(encode_forget("r1", [A1]), 1, headers=[(KIND_HEADER, FORGET)])
    step = fold_links([_message(_links_record(), 0), forget], lambda _: fold)
    assert len(names) == 0 and identities == {} and members == {}
    assert step.acks == [Ack("r1", "graph", 0)]


async def test_fold_schemas_folds_records_applies_commands_and_sets_a_bad_record_aside() -> None:
    tables: list[dict[bytes, bytes]] = [{}, {}, {}, {}]
    fold = SchemaFold(*tables)
    routed = await route([_message(_record(_event(0), _event(1)), 0)], lambda _: _fold(), PRIVACY, no_pace)
    record = encode_observations(routed.observed[ORDER])
    command = encode_policy_command("c1", "properties.n", Policy.LOCK)
    messages = [
        _message(record, 0, key=ORDER, headers=[(KIND_HEADER, OBSERVATIONS)]),
        _message(b"garbage", 1, key=ORDER, headers=[(KIND_HEADER, OBSERVATIONS)]),
        _message(command, 2, key=ORDER, headers=[(KIND_HEADER, COMMAND)]),
    ]
    step = await fold_records(messages, lambda _: fold, no_pace)
    assert step.events == 2
    assert [c.path for _, c in step.changes] == ["properties.n"]
    assert step.commands == ["c1"]
    assert [(d.message.offset, d.reason.split(":")[0]) for d in step.dead] == [(1, "observations")]
