"""A deterministic load generator: realistic Segment traffic from a seed, as JSONL.

N users browse anonymously on one or two devices, identify, sometimes alias a second
device, join groups, and send track/page/screen calls drawn from an event catalog with
nested properties and arrays. A share of columns changes type over time (a price that
starts as a string and becomes a number), so schema history has something to record.
The same seed always gives the same bytes; every benchmark and ``tracklog import``
reads these files.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import orjson

START = datetime(2026, 1, 1, tzinfo=UTC)

_PLANS = ["free", "starter", "pro", "enterprise"]
_COUNTRIES = ["US", "DE", "FR", "BR", "IN", "JP", "GB", "NG"]
_PAGES = ["Home", "Pricing", "Docs", "Blog", "Checkout", "Account"]
_SCREENS = ["Feed", "Profile", "Settings", "Cart", "Search"]


def _catalog(rng: random.Random, progress: float) -> tuple[str, dict[str, Any]]:
    """One track call's name and properties; ``progress`` in [0, 1) shifts some types."""
    kind = rng.randrange(8)
    price = round(rng.uniform(1, 500), 2)
    if kind == 0:
        items = [
            {"sku": f"SKU-{rng.randrange(1000)}", "qty": rng.randrange(1, 5), "price": round(rng.uniform(1, 99), 2)}
            for _ in range(rng.randrange(1, 4))
        ]
        return "Order Completed", {
            "order_id": f"o-{rng.randrange(10**9)}",
            # Months of strings, then numbers: the schema history records the change.
            "total": f"{price:.2f}" if progress < 0.5 else price,
            "currency": "USD",
            "items": items,
            "coupon": rng.choice([None, "WELCOME", "SPRING"]),
        }
    if kind == 1:
        return "Product Viewed", {
            "product_id": rng.randrange(10_000),
            "name": f"Product {rng.randrange(100)}",
            "price": price,
            "category": rng.choice(["shoes", "hats", "bags"]),
            "tags": rng.sample(["new", "sale", "eco", "gift"], rng.randrange(0, 3)),
        }
    if kind == 2:
        return "Search Performed", {"query": rng.choice(["red shoes", "hat", "bag"]), "results": rng.randrange(50)}
    if kind == 3:
        return "Cart Updated", {
            "cart": {"size": rng.randrange(10), "value": price, "currency": "USD"},
            "source": rng.choice(["web", "email"]),
        }
    if kind == 4:
        # An id that is an integer early on and a string later.
        return "Coupon Applied", {"coupon_id": rng.randrange(100) if progress < 0.3 else f"c-{rng.randrange(100)}"}
    if kind == 5:
        return "Video Played", {"video": {"id": rng.randrange(500), "length_s": rng.randrange(30, 900)}, "autoplay": rng.random() < 0.3}
    if kind == 6:
        return "Signed Up", {"plan": rng.choice(_PLANS), "trial": rng.random() < 0.5, "referrer": None}
    return "Settings Changed", {"setting": rng.choice(["theme", "lang"]), "value": rng.choice(["dark", "en", 1, True])}


@dataclass
class _User:
    index: int
    user_id: str
    devices: list[str]
    identified: bool = False
    aliased: bool = False


def generate(*, seed: int, users: int, events: int) -> Iterator[dict[str, Any]]:
    """``events`` Segment calls (dicts, as an SDK would send them) for ``users`` users."""
    rng = random.Random(seed)
    people = [
        _User(i, f"user-{seed}-{i}", [f"anon-{seed}-{i}-{d}" for d in range(1 + (rng.random() < 0.3))])
        for i in range(max(1, users))
    ]
    for n in range(events):
        person = people[rng.randrange(len(people))]
        progress = n / max(1, events)
        device = rng.choice(person.devices)
        timestamp = START + timedelta(seconds=n * 7 + rng.randrange(5))
        base: dict[str, Any] = {
            "messageId": f"msg-{seed}-{n}",
            "timestamp": timestamp.isoformat().replace("+00:00", "Z"),
            "anonymousId": device,
            "context": {
                "library": {"name": "tracklog-loadgen", "version": "1"},
                "device": {"id": device, "type": rng.choice(["ios", "android", "web"])},
                "locale": "en-US",
            },
        }
        if person.identified:
            base["userId"] = person.user_id
        roll = rng.random()
        if not person.identified and roll < 0.08:
            person.identified = True
            yield {
                **base,
                "type": "identify",
                "userId": person.user_id,
                "traits": {
                    "email": f"{person.user_id}@example.com",
                    "plan": rng.choice(_PLANS),
                    "age": rng.randrange(18, 80),
                    "address": {"country": rng.choice(_COUNTRIES)},
                },
            }
        elif person.identified and not person.aliased and len(person.devices) > 1 and roll < 0.05:
            person.aliased = True
            yield {**base, "type": "alias", "previousId": person.devices[-1], "userId": person.user_id}
        elif roll < 0.12:
            yield {
                **base,
                "type": "identify" if person.identified else "page",
                **(
                    {"userId": person.user_id, "traits": {"plan": rng.choice(_PLANS), "seats": rng.randrange(1, 50)}}
                    if person.identified
                    else {"name": rng.choice(_PAGES), "properties": {"url": "https://example.com/"}}
                ),
            }
        elif roll < 0.15 and person.identified:
            yield {**base, "type": "group", "groupId": f"org-{person.index % 97}", "traits": {"name": f"Org {person.index % 97}"}}
        elif roll < 0.30:
            yield {**base, "type": "page", "name": rng.choice(_PAGES), "properties": {"path": f"/{rng.randrange(50)}", "referrer": None}}
        elif roll < 0.35:
            yield {**base, "type": "screen", "name": rng.choice(_SCREENS), "properties": {"shown_ms": rng.randrange(10, 5000)}}
        else:
            name, properties = _catalog(rng, progress)
            yield {**base, "type": "track", "event": name, "properties": properties}


def write_jsonl(path: Path, calls: Iterator[dict[str, Any]]) -> int:
    """Write ``calls`` one JSON object a line (gzip when the name ends in .gz)."""
    count = 0
    opener: Any = gzip.open if path.suffix == ".gz" else open
    out: IO[bytes]
    with opener(path, "wb") as out:
        for call in calls:
            out.write(orjson.dumps(call))
            out.write(b"\n")
            count += 1
    return count
