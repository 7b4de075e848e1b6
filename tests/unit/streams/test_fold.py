"""The fold step the agent and rebuild share, over plain dicts (no broker)."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from registry import SchemaKey
from schemas import Event, EventType, encode_event
from streams.folds.commands import encode_policy_command
from streams.folds.schemas import SchemaFold
from streams.ops.rebuild import Image, digest

KEY = SchemaKey("web", "track", "Order Completed").encode()

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["x", "2026-11-20T10:00:00Z", ""]),
    st.lists(st.integers(0, 3), max_size=3),
)
properties = st.dictionaries(st.sampled_from(["a", "b", "c.d", "items"]), values, max_size=4)


def _event(message_id: str, props: dict[str, Any], ts: int) -> bytes:
    return encode_event(
        Event(
            type=EventType.TRACK,
            message_id=message_id,
            source="web",
            user_id="u1",
            anonymous_id=None,
            event="Order Completed",
            timestamp_ms=ts,
            received_at_ms=ts,
            sent_at_ms=None,
            original_timestamp_ms=None,
            properties=props,
            traits={},
            context={},
            previous_id=None,
            group_id=None,
            integrations={},
        )
    )


def _fold_all(
    messages: list[bytes], *, deliveries: int = 1, step: int | None = None, keep: int = 0
) -> tuple[Image, list[str]]:
    """Fold the log ``messages``, each delivered ``deliveries`` times (at-least-once),
    writing back after every ``step`` messages (or once, at the end), keeping up to
    ``keep`` rows decoded from step to step."""
    image: Image = {("columns", 0): {}, ("schemas", 0): {}, ("dedupe", 0): {}}
    fold = SchemaFold(
        image[("columns", 0)], image[("schemas", 0)], image[("dedupe", 0)], keep=keep
    )
    ids: list[str] = []
    for offset, value in enumerate(messages):
        for _ in range(deliveries):
            ids.extend(c.id for c in fold.fold(KEY, value, partition=0, offset=offset))
        if step is not None and (offset + 1) % step == 0:
            fold.write_back()
    fold.write_back()
    return image, ids


events = st.lists(properties, min_size=1, max_size=8).map(
    lambda ps: [_event(f"m{i}", p, 1_700_000_000_000 + i) for i, p in enumerate(ps)]
)


@settings(max_examples=60, deadline=None)
@given(events)
def test_folding_a_message_twice_equals_once(messages: list[bytes]) -> None:
    once, once_ids = _fold_all(messages)
    twice, twice_ids = _fold_all(messages, deliveries=2)
    assert digest(twice) == digest(once)
    assert twice_ids == once_ids


@settings(max_examples=60, deadline=None)
@given(events)
def test_a_replay_of_the_same_log_gives_the_same_tables_and_change_ids(messages: list[bytes]) -> None:
    live, live_ids = _fold_all(messages)
    replayed, replayed_ids = _fold_all(list(messages))
    assert digest(replayed) == digest(live)
    assert replayed_ids == live_ids


@settings(max_examples=60, deadline=None)
@given(events, st.integers(min_value=1, max_value=4), st.sampled_from([0, 2, 1000]))
def test_the_tables_do_not_depend_on_steps_or_kept_rows(
    messages: list[bytes], step: int, keep: int
) -> None:
    whole, whole_ids = _fold_all(messages)
    stepped, stepped_ids = _fold_all(messages, step=step, keep=keep)
    assert digest(stepped) == digest(whole)
    assert stepped_ids == whole_ids


def test_nothing_is_written_until_write_back() -> None:
    image: Image = {("columns", 0): {}, ("schemas", 0): {}, ("dedupe", 0): {}}
    fold = SchemaFold(image[("columns", 0)], image[("schemas", 0)], image[("dedupe", 0)])
    fold.fold(KEY, _event("m1", {"a": 1}, 1), partition=0, offset=0)
    assert image[("schemas", 0)] == {}
    fold.write_back()
    assert set(image[("schemas", 0)]) == {KEY}
    assert len(image[("columns", 0)]) == 1


def test_a_policy_command_locks_the_column_for_later_events() -> None:
    image, _ = _fold_all([_event("m1", {"a": 1}, 1)])
    fold = SchemaFold(image[("columns", 0)], image[("schemas", 0)], image[("dedupe", 0)])
    from registry import Policy

    assert fold.apply_command(KEY, encode_policy_command("c1", "properties.a", Policy.LOCK)) == "c1"
    fold.write_back()
    [change] = fold.fold(KEY, _event("m2", {"a": "x"}, 2), partition=0, offset=1)
    assert change.change.kind.value == "VIOLATION"
    assert change.change.to_type.value == "INTEGER"


def test_digest_changes_when_any_row_differs() -> None:
    image, _ = _fold_all([_event("m1", {"a": 1}, 1)])
    before = digest(image)
    key = next(iter(image[("schemas", 0)]))
    image[("schemas", 0)][key] = orjson.dumps({"tampered": True})
    assert digest(image) != before
