"""One user's events across two devices, for the profile and timeline API tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from query.domain import USER_ID, Identifier, profile_id_for
from schemas.event import Event, EventType
from tests.unit.query.domain.builders import make_event
from tests.unit.query.fakes import MemoryProfiles

T0: Final = 1_700_000_000_000
USER: Final = "u1"
DEVICE_1: Final = "anon-1"
DEVICE_2: Final = "anon-2"
GA_TYPE: Final = "ga_client_id"
GA_ID: Final = "ga-2"
PROFILE_ID: Final = profile_id_for(Identifier(USER_ID, USER))
# Device 2's profile before the alias: its external id is its smallest member.
DEVICE_2_PROFILE_ID: Final = profile_id_for(Identifier(GA_TYPE, GA_ID))


def iso(ms: int) -> str:
    """A time as the DateTime scalar writes it."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def two_devices() -> list[Event]:
    """Anonymous browsing, identify, more browsing on a second device, then an alias.

    m08 and m09 share a time (on different identifiers), so ties are exercised.
    """
    ga = {"externalIds": [{"type": GA_TYPE, "id": GA_ID, "collection": "users"}]}
    return [
        make_event(EventType.PAGE, message_id="m01", anonymous_id=DEVICE_1, event="Home",
                   timestamp_ms=T0 + 1_000),
        make_event(message_id="m02", anonymous_id=DEVICE_1, event="Viewed Product",
                   timestamp_ms=T0 + 2_000, properties={"sku": "A-1"}),
        make_event(EventType.IDENTIFY, message_id="m03", user_id=USER, anonymous_id=DEVICE_1,
                   timestamp_ms=T0 + 3_000,
                   traits={"email": " Ada@Example.COM ", "plan": "pro", "name": "Ada"}),
        make_event(message_id="m04", user_id=USER, anonymous_id=DEVICE_1, event="Signed Up",
                   timestamp_ms=T0 + 4_000),
        make_event(EventType.PAGE, message_id="m05", anonymous_id=DEVICE_2, event="Pricing",
                   timestamp_ms=T0 + 5_000, context=ga),
        make_event(message_id="m06", anonymous_id=DEVICE_2, event="Viewed Product",
                   timestamp_ms=T0 + 6_000, properties={"sku": "B-2"}),
        make_event(EventType.ALIAS, message_id="m07", user_id=USER, anonymous_id=DEVICE_2,
                   previous_id=DEVICE_2, timestamp_ms=T0 + 7_000),
        make_event(message_id="m08", user_id=USER, anonymous_id=DEVICE_2,
                   event="Order Completed", timestamp_ms=T0 + 8_000,
                   properties={"total": 42.5}, source="ios"),
        make_event(message_id="m09", anonymous_id=DEVICE_1, event="Viewed Product",
                   timestamp_ms=T0 + 8_000, properties={"sku": "C-3"}),
    ]


def newest_first(events: list[Event]) -> list[str]:
    """The messageIds in timeline order: newest first, then by messageId."""
    return [e.message_id for e in sorted(events, key=lambda e: (-e.timestamp_ms, e.message_id))]


def journey_store(events: list[Event] | None = None) -> MemoryProfiles:
    store = MemoryProfiles()
    store.observe(*(two_devices() if events is None else events))
    return store
