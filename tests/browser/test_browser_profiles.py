"""Profile lookup by any identifier: identities, traits, merges and the timeline."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser.conftest import Browsing, send
from tests.waiting import wait_until

PROFILE = 'query ($id: String!) { profile(id: $id) { eventCount merges { messageId } } }'
IDENTITIES = 'query ($id: String!) { profile(id: $id, idType: "email") { identities { value } } }'


def test_a_profile_is_found_by_email_with_its_traits_merges_and_timeline(browsing: Browsing) -> None:
    node = browsing.node
    n = uuid.uuid4().hex[:6]
    user, anon, email = f"user-{n}", f"anon-{n}", f"ada-{n}@example.com"
    calls: list[dict[str, object]] = [
        {"type": "page", "anonymousId": anon, "name": "Home", "messageId": f"{n}-p",
         "timestamp": "2026-11-20T09:00:00Z"},
        {"type": "identify", "anonymousId": anon, "messageId": f"{n}-i",
         "traits": {"email": email.upper(), "plan": "pro"}, "timestamp": "2026-11-20T09:01:00Z"},
    ]
    send(node, *calls)
    wait_until(lambda: len((node.graphql(IDENTITIES, id=email)["profile"] or {}).get("identities", [])) == 2,
               timeout=60, what="the anonymous profile with its email")
    # Signing up, later, joins the anonymous profile to the user's: a merge.
    calls = [
        {"type": "identify", "userId": user, "anonymousId": anon, "messageId": f"{n}-s",
         "traits": {"signed_up": True}, "timestamp": "2026-11-20T09:02:00Z"},
    ]
    calls += [
        {"type": "track", "userId": user, "event": "Song Played" if k % 2 else "Ad Seen",
         "messageId": f"{n}-t{k:02d}", "properties": {"k": k}, "timestamp": f"2026-11-20T10:{k:02d}:00Z"}
        for k in range(55)
    ]
    send(node, *calls)
    wait_until(lambda: (node.graphql(PROFILE, id=user)["profile"] or {}).get("merges"),
               timeout=60, what="the merge")
    wait_until(lambda: (node.graphql(PROFILE, id=user)["profile"] or {}).get("eventCount") == 58,
               timeout=60, what="the profile's 58 events")

    page = browsing.new_page()
    page.goto("/profiles")
    page.get_by_role("searchbox", name="Identifier").fill(email)
    page.get_by_label("Identifier kind").fill("email")
    page.get_by_role("button", name="Look up").click()
    assert "id_type=email" in page.url
    expect(page.locator("#identities")).to_contain_text(user)
    expect(page.locator("#identities")).to_contain_text(anon)
    expect(page.locator("#identities")).to_contain_text(email)
    plan = page.locator("#traits tr", has_text="plan")
    expect(plan).to_contain_text('"pro"')
    expect(plan).to_contain_text(f"{n}-i")  # the messageId that set it
    expect(plan).to_contain_text("2026-11-20 09:01:00")
    expect(page.locator("#merges")).to_contain_text(f"{n}-s")
    expect(page.locator("#timeline tbody tr")).to_have_count(50)
    expect(page.locator("#timeline tbody tr").first).to_contain_text(f"{n}-t54")
    browsing.shot(page, "profile")

    page.locator("#older").click()
    expect(page.locator("#timeline tbody tr")).to_have_count(8)
    expect(page.locator("#timeline tbody tr").last).to_contain_text(f"{n}-p")

    # Filter by type and event, and by time.
    page.goto(f"/profiles?id={user}")
    page.locator("#timeline-filter input[value=track]").check()
    page.locator("#timeline-filter input[name=events]").fill("Song Played")
    page.locator("#timeline-filter input[name=from]").fill("2026-11-20T10:10:00")
    page.locator("#timeline-filter input[name=to]").fill("2026-11-20T10:20:00")
    page.locator("#timeline-filter button").click()
    rows = page.locator("#timeline tbody tr")
    expect(rows).to_have_count(5)  # 11, 13, 15, 17, 19
    expect(rows.first).to_contain_text(f"{n}-t19")
    expect(rows.last).to_contain_text(f"{n}-t11")
    browsing.shot(page, "timeline-filtered")

    # An identity links to its own lookup, which finds the same profile.
    profile_id = page.locator(".profile h2 .mono").inner_text()
    page.locator("#identities").get_by_role("link", name=anon).click()
    expect(page.locator(".profile h2 .mono")).to_have_text(profile_id)
