"""The schema changes feed: newest first, paged, by source, and live without a reload."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import Browsing, send, unique, wait_folded


def _track(event: str, message_id: str, properties: dict[str, object]) -> dict[str, object]:
    return {"type": "track", "userId": "feed-user", "event": event, "messageId": message_id,
            "timestamp": "2026-11-21T09:00:00Z", "properties": properties}


def test_a_change_made_while_the_feed_is_open_appears_without_a_reload(browsing: Browsing) -> None:
    node = browsing.node
    event = unique("Live Event")
    send(node, _track(event, f"{event}-1", {"first": 1}))
    wait_folded(node, event, version=1)

    page = browsing.new_page()
    page.goto("/changes?source=web")
    first_row = page.locator("#changes tbody tr").first
    expect(first_row).to_contain_text(event)
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    # A reload would drop this mark.
    page.evaluate("window.stillHere = true")

    send(node, _track(event, f"{event}-2", {"first": "one", "second": True}))
    rows = page.locator("#changes tbody tr")
    expect(rows.nth(0)).to_contain_text("properties.second", timeout=30_000)
    expect(rows.nth(1)).to_contain_text("properties.first")
    conflict = page.locator("#changes tbody tr.trouble", has_text=event).first
    expect(conflict).to_contain_text("type conflict")
    assert page.evaluate("window.stillHere") is True
    browsing.shot(page, "live")

    # The live rows are the ones a reload renders, in the same order.
    live = rows.all_inner_texts()[:3]
    page.reload()
    expect(page.locator("#changes tbody tr").first).to_contain_text("properties.second")
    assert page.locator("#changes tbody tr").all_inner_texts()[:3] == live


def test_the_feed_pages_back_and_filters_by_source(browsing: Browsing) -> None:
    node = browsing.node
    event = unique("Wide Event")
    send(node, _track(event, f"{event}-1", {f"p{n:02d}": n for n in range(60)}))
    send(node, {**_track("iOS Only", f"{event}-ios", {"screen_x": 1}), "userId": "ios-user"}, key="ios-key")
    wait_folded(node, event, version=60)
    wait_folded(node, "iOS Only", version=1, source="ios")

    page = browsing.new_page()
    page.goto("/changes")
    page.locator("#source-filter select").select_option("web")
    page.locator("#source-filter button").click()
    assert "source=web" in page.url
    rows = page.locator("#changes tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator("#changes")).not_to_contain_text("iOS Only")
    newest = rows.first.inner_text()
    page.locator("#older").click()
    assert "before=" in page.url
    expect(page.locator("#live")).to_have_count(0)  # only the newest page is live
    assert newest not in page.locator("#changes tbody").inner_text()
    browsing.shot(page, "older")
    page.go_back()
    expect(page.locator("#changes tbody tr").first).to_have_text(newest)
    page.locator("#source-filter select").select_option("ios")
    page.locator("#source-filter button").click()
    expect(page.locator("#changes tbody tr")).to_have_count(1)
    expect(page.locator("#changes tbody tr")).to_contain_text("properties.screen_x")
