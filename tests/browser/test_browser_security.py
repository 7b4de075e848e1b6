"""Hostile text stays text, and outside dev the page needs the token."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from registry import escape_key
from tests.browser.conftest import TOKEN, Browsing, Watch, open_context, send, wait_folded
from tests.nodes import NodeProcess
from tests.waiting import wait_until

SCRIPT = "<script>window.pwned=1;alert('script')</script>"
IMG = '"><img src=x onerror="window.pwned=2;alert(\'img\')">'
JS_URL = "javascript:window.pwned=3;alert('url')"
# A key's dots are escaped in its column path.
IMG_COLUMN = "properties." + escape_key(IMG)
SCRIPT_COLUMN = "properties." + escape_key(SCRIPT)


def _hostile_names_are_text(page: object) -> None:
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    assert page.evaluate("window.pwned") is None
    assert page.locator("img[src=x], script:not([src])").count() == 0
    assert page.locator('a[href^="javascript:"]').count() == 0


def test_hostile_event_names_property_paths_and_traits_are_shown_as_text(browsing: Browsing) -> None:
    node = browsing.node
    n = uuid.uuid4().hex[:6]
    event = f"{SCRIPT} {n}"
    send(
        node,
        {"type": "track", "userId": f"x-{n}", "event": event, "messageId": f"{n}-1",
         "timestamp": "2026-11-22T10:00:00Z", "properties": {IMG: JS_URL, JS_URL: {SCRIPT: 1}}},
        {"type": "track", "userId": f"x-{n}", "event": JS_URL, "messageId": f"{n}-2",
         "timestamp": "2026-11-22T10:00:01Z", "properties": {"ok": True}},
        {"type": "identify", "userId": f"x-{n}", "messageId": f"{n}-3", "timestamp": "2026-11-22T10:00:02Z",
         "traits": {"name": SCRIPT, IMG: JS_URL, "website": JS_URL}},
    )
    wait_folded(node, event, version=2)
    page = browsing.new_page()

    page.goto("/schemas?source=web&q=" + n)
    expect(page.get_by_role("link", name=event, exact=True)).to_be_visible()
    _hostile_names_are_text(page)
    browsing.shot(page, "schemas")

    page.get_by_role("link", name=event, exact=True).click()
    expect(page.locator("h1")).to_contain_text(SCRIPT)
    expect(page.get_by_role("link", name=IMG_COLUMN, exact=True)).to_be_visible()
    _hostile_names_are_text(page)
    browsing.shot(page, "schema")

    page.get_by_role("link", name=IMG_COLUMN, exact=True).click()
    expect(page.locator("h1")).to_contain_text(IMG_COLUMN)
    _hostile_names_are_text(page)

    page.goto(f"/profiles?id=x-{n}")
    traits = page.locator("#traits")
    expect(traits).to_contain_text(f'"{SCRIPT}"')
    expect(traits).to_contain_text(IMG)
    expect(traits).to_contain_text(f'"{JS_URL}"')
    expect(page.locator("#timeline")).to_contain_text(JS_URL)
    _hostile_names_are_text(page)
    browsing.shot(page, "profile")

    # The live feed builds its rows in the browser: they must stay text as well.
    page.goto("/changes?source=web")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    later = f"{IMG} {n}"
    send(node, {"type": "track", "userId": f"x-{n}", "event": later, "messageId": f"{n}-4",
                "timestamp": "2026-11-22T10:00:03Z", "properties": {SCRIPT: IMG}})
    expect(page.locator("#changes tbody tr").first).to_contain_text(SCRIPT_COLUMN, timeout=30_000)
    expect(page.locator("#changes tbody tr").first).to_contain_text(later)
    _hostile_names_are_text(page)
    browsing.shot(page, "live")


def test_outside_dev_the_page_asks_for_the_token_and_keeps_it_out_of_urls(browser: Browser, node: NodeProcess) -> None:
    watch = Watch(node.url)
    context = open_context(browser, node, watch, signed_in=False)
    try:
        page = context.new_page()
        page.on("pageerror", watch.page_error)
        page.on("dialog", watch.dialog)
        page.goto("/changes?source=web")
        assert page.url.startswith(f"{node.url}/signin?next=")
        page.get_by_label("API token").fill("not-the-token")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("unknown bearer token")
        page.get_by_label("API token").fill(TOKEN)
        page.get_by_role("button", name="Sign in").click()
        wait_until(lambda: page.url == f"{node.url}/changes?source=web", timeout=15, what="the redirect back")
        assert TOKEN not in page.url
        cookie = next(c for c in context.cookies() if c["name"] == "tracklog_session")
        assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")
        assert page.evaluate("document.cookie") == ""  # scripts cannot read it
        # The live feed's WebSocket is let in by the cookie alone.
        expect(page.locator("#live")).to_have_attribute("data-state", "live")
        page.get_by_role("button", name="Sign out").click()
        assert page.url.startswith(f"{node.url}/signin")
        page.goto("/")
        assert page.url.startswith(f"{node.url}/signin")
    finally:
        context.close()
    # The first sign-in answers 401, which the browser logs as a console error: only
    # page errors, dialogs and foreign requests count here.
    watch.check()
