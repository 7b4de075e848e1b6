"""An analyst finds a type conflict, its cause and the diff from `/`, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import Browsing, send, unique, wait_folded


def _track(event: str, message_id: str, second: int, properties: dict[str, object]) -> dict[str, object]:
    return {
        "type": "track",
        "userId": "analyst-journey",
        "event": event,
        "messageId": message_id,
        "timestamp": f"2026-11-20T10:00:{second:02d}Z",
        "properties": properties,
    }


def test_a_string_column_that_saw_a_number_is_found_in_three_clicks(browsing: Browsing) -> None:
    node = browsing.node
    event = unique("Price Set")
    # v1 currency, v2 items, v3 items[].sku, v4 price (STRING); then a number: v5, a
    # TYPE_CONFLICT that keeps the type STRING.
    send(node, _track(event, f"{event}-1", 1, {"price": "12.00", "currency": "EUR", "items": [{"sku": "A-1"}]}))
    send(node, _track(event, f"{event}-2", 2, {"price": 12, "currency": "EUR", "items": [{"sku": "A-1"}]}))
    wait_folded(node, event, version=5)

    page = browsing.new_page()
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Sources")
    browsing.shot(page, "1-sources")

    clicks = 0
    page.get_by_role("link", name="web", exact=True).first.click()
    clicks += 1
    expect(page.locator("h1")).to_have_text("web")
    row = page.locator("#schemas tr", has=page.get_by_role("link", name=event, exact=True))
    expect(row).to_have_class(re.compile(r"\btrouble\b"))
    expect(row.locator(".badge.bad")).to_have_text("1 conflict")
    browsing.shot(page, "2-schemas")

    row.get_by_role("link", name=event, exact=True).click()
    clicks += 1
    price = page.locator("#columns tr", has=page.get_by_role("link", name="properties.price", exact=True))
    expect(price).to_have_class(re.compile(r"\btrouble\b"))
    expect(price.locator(".type").first).to_have_text("STRING")
    expect(price.locator("td.counts")).to_contain_text("INTEGER 1")
    currency = page.locator("#columns tr", has=page.get_by_role("link", name="properties.currency", exact=True))
    expect(currency).not_to_have_class(re.compile(r"\btrouble\b"))
    browsing.shot(page, "3-schema")
    schema_url = page.url

    price.get_by_role("link", name="properties.price", exact=True).click()
    clicks += 1
    assert clicks <= 3
    history = page.locator("#history tbody tr")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("column added")
    conflict = history.nth(1)
    expect(conflict).to_have_class(re.compile(r"\btrouble\b"))
    expect(conflict).to_contain_text("type conflict")
    expect(conflict).to_contain_text(f"{event}-2")  # the causing messageId
    expect(conflict.locator(".type")).to_have_text(["INTEGER", "STRING", "STRING"])
    expect(conflict).to_contain_text("v5")
    browsing.shot(page, "4-column")

    # The back button returns to the schema; one click compares the two latest versions.
    page.go_back()
    assert page.url == schema_url
    page.locator("#compare-latest").click()
    assert "from=4" in page.url and "to=5" in page.url
    diff = page.locator("#diff tbody tr")
    changed = diff.filter(has=page.get_by_role("link", name="properties.price", exact=True))
    expect(changed.locator(".dk")).to_have_text("CHANGED")
    expect(changed).to_contain_text("INTEGER")  # the type that conflicted in between
    browsing.shot(page, "5-diff")

    # Any two versions: v0 → v2 adds currency and items.
    page.locator("#diff-form select[name=from]").select_option("0")
    page.locator("#diff-form select[name=to]").select_option("2")
    page.locator("#diff-form button").click()
    expect(page.locator("#diff tbody tr .dk")).to_have_text(["ADDED", "ADDED"])

    # As of version 2, only currency and items existed.
    page.goto(schema_url)
    page.locator("#as-of select[name=version]").select_option("2")
    page.locator("#as-of button").click()
    expect(page.locator("#columns tbody tr")).to_have_count(2)
    expect(page.locator("h2 .asof")).to_contain_text("as of v2")
    browsing.shot(page, "6-as-of")


def test_the_schemas_filter_matches_event_names_and_column_paths(browsing: Browsing) -> None:
    node = browsing.node
    first, second = unique("Checkout Started"), unique("Coupon Applied")
    send(
        node,
        _track(first, f"{first}-1", 3, {"cart_total": 10}),
        _track(second, f"{second}-1", 4, {"coupon_code_xyz": "WELCOME"}),
    )
    wait_folded(node, second, version=1)
    page = browsing.new_page()
    page.goto("/schemas?source=web")
    search = page.get_by_role("searchbox", name="Filter")
    search.fill("coupon_code_xyz")
    search.press("Enter")
    expect(page.locator("#schemas tbody tr")).to_have_count(1)
    expect(page.locator("#schemas tbody tr .hit")).to_have_text("properties.coupon_code_xyz")
    assert "q=coupon_code_xyz" in page.url
    search = page.get_by_role("searchbox", name="Filter")
    search.fill(first.split()[-1])
    search.press("Enter")
    expect(page.locator("#schemas tbody tr")).to_have_count(1)
    expect(page.locator("#schemas tbody")).to_contain_text(first)
    page.go_back()
    expect(page.locator("#schemas tbody tr .hit")).to_have_text("properties.coupon_code_xyz")


def test_the_json_schema_downloads(browsing: Browsing) -> None:
    node = browsing.node
    event = unique("Exported")
    send(node, _track(event, f"{event}-1", 5, {"amount": 1.5, "when": "2026-11-20T10:00:00Z"}))
    wait_folded(node, event, version=2)
    page = browsing.new_page()
    page.goto("/schemas?source=web")
    page.get_by_role("link", name=event, exact=True).click()
    with page.expect_download() as download:
        page.locator("#json-schema").click()
    path = download.value.path()
    text = path.read_text()
    assert '"$schema":"https://json-schema.org/draft/2020-12/schema"' in text
    assert '"when":{"type":"string","format":"date-time"}' in text
