"""streams.edge.sealing: what the edge writes of a call, judged by the suppressions as
they are once the call's ``in_force`` answered, each event under its subject's key."""

from __future__ import annotations

import orjson

from query.domain import EMAIL, USER_ID, Identifier
from query.domain.pseudonyms import Pseudonyms
from query.domain.regulations import Regulation, RegulationType, SubjectType, Suppressions
from schemas import Event, Limits, parse_batch, parse_body
from schemas.sealed import Sealer, read_envelope
from streams.edge.sealing import Sealing
from tests.keys import TEST_SECRET, MemoryKeys

PSEUDONYMS = Pseudonyms(TEST_SECRET.encode())


def _events(*calls: dict[str, object]) -> list[Event]:
    body = parse_body(orjson.dumps({"batch": list(calls)}))
    return parse_batch(body, source="web", received_at_ms=0, new_id=lambda: "id", limits=Limits(), from_json=True)


def _track(user: str, n: int) -> dict[str, object]:
    return {"type": "track", "userId": user, "event": "Viewed", "messageId": f"{user}-{n}"}


def _suppress(suppressions: Suppressions, kind: str, value: str) -> None:
    member = Identifier(kind, PSEUDONYMS.value(kind, value))
    suppressions.apply(Regulation(f"r-{value}", RegulationType.SUPPRESS_ONLY, SubjectType.USER_ID, (member,), (member,), 0))


def _opened(keys: MemoryKeys, records: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """(partition key, messageId) of each record, its envelope opened with its subject's key."""
    opened = []
    for key, envelope in records:
        ref = read_envelope(envelope).ref
        assert ref.subject == key.decode()
        opened.append((ref.subject, orjson.loads(Sealer().open(envelope, keys.known[ref]))["messageId"]))
    return opened


async def test_a_call_is_sealed_under_each_subjects_key_and_known_people_keep_theirs() -> None:
    keys, suppressions = MemoryKeys(), Suppressions()
    sealing = Sealing(keys, PSEUDONYMS, suppressions)
    ada, bob = PSEUDONYMS.value(USER_ID, "ada"), PSEUDONYMS.value(USER_ID, "bob")
    first = await sealing.seal(_events(_track("ada", 1), _track("bob", 1), _track("ada", 2)))
    assert _opened(keys, first.records) == [(ada, "ada-1"), (bob, "bob-1"), (ada, "ada-2")]
    made = dict(keys.known)
    again = await sealing.seal(_events(_track("bob", 2), _track("ada", 3)))
    assert _opened(keys, again.records) == [(bob, "bob-2"), (ada, "ada-3")]
    assert keys.known == made and again.suppressed == 0  # no key made twice


async def test_a_suppression_that_comes_while_the_call_waits_for_in_force_drops_its_events() -> None:
    keys, suppressions = MemoryKeys(), Suppressions()
    sealing = Sealing(keys, PSEUDONYMS, suppressions)
    await sealing.seal(_events(_track("ada", 0), _track("bob", 0)))  # both known: sealed before the wait

    async def regulation_meanwhile() -> None:
        _suppress(suppressions, USER_ID, "ada")

    sealed = await sealing.seal(_events(_track("ada", 1), _track("bob", 1), _track("ada", 2)), regulation_meanwhile())
    assert sealed.suppressed == 2
    assert _opened(keys, sealed.records) == [(PSEUDONYMS.value(USER_ID, "bob"), "bob-1")]


async def test_no_key_is_made_for_a_suppressed_person_named_by_their_email_alone() -> None:
    keys, suppressions = MemoryKeys(), Suppressions()
    _suppress(suppressions, EMAIL, "ada@example.com")
    sealing = Sealing(keys, PSEUDONYMS, suppressions)
    identify = {"type": "identify", "userId": "new-ada", "traits": {"email": "ada@example.com"}, "messageId": "i"}
    sealed = await sealing.seal(_events(identify, _track("carol", 1), _track("new-ada", 1)))
    # The identify names a suppressed email; the track of new-ada alone names nobody suppressed.
    carol, new_ada = PSEUDONYMS.value(USER_ID, "carol"), PSEUDONYMS.value(USER_ID, "new-ada")
    assert sealed.suppressed == 1
    assert _opened(keys, sealed.records) == [(carol, "carol-1"), (new_ada, "new-ada-1")]
