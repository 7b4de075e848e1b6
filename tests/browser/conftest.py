"""The browser tier: Debian's Chromium driven by Playwright against a real node.

One embedded Kafka, one node (outside dev: a token is needed) and one browser per
session; each test gets a fresh browser context, signed in, that refuses every
request outside the node's origin and fails the test on any page error, console
error, dialog or refused request. Tests keep apart by naming their own events.
Screenshots of each view go to one directory per session (printed at the end).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Error, Page, Playwright, Route, sync_playwright

from query.web.security import SESSION_COOKIE, encode_session
from streams.ops.broker import EmbeddedBroker
from tests.brokers import running_broker
from tests.nodes import NodeProcess, fresh_prefix
from tests.waiting import wait_until

CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage"]
TOKEN = "browser-token"
WRITE_KEY = "web-key"


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    with running_broker(tmp_path_factory.mktemp("kafka")) as broker:
        yield broker


@pytest.fixture(scope="session")
def node(kafka: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    """One node outside dev mode: write key ``web-key`` names the source ``web``."""
    process = NodeProcess(
        "node",
        tmp_path_factory.mktemp("node"),
        {
            "TRACKLOG_BROKER": kafka.url,
            "TRACKLOG_TOPIC_PREFIX": fresh_prefix(),
            "TRACKLOG_PARTITIONS": "2",
            "TRACKLOG_WRITE_KEYS": f"{WRITE_KEY}=web,ios-key=ios",
            "TRACKLOG_API_TOKENS": TOKEN,
            "TRACKLOG_GRAPHIQL": "true",
            "TRACKLOG_LOG_LEVEL": "warning",
        },
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # Never `playwright install`: there is no download here. No browser fails the tier.
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test` installs it (apt-get install chromium)")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = Path(os.environ.get("TRACKLOG_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    directory.mkdir(parents=True, exist_ok=True)
    yield directory
    print(f"\nscreenshots of the analyst's page: {directory}")


@dataclass
class Watch:
    """What went wrong in the browser during a test."""

    origin: str
    errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def route(self, route: Route) -> None:
        url = route.request.url
        if url == self.origin or url.startswith(self.origin + "/"):
            route.continue_()
        else:
            self.refused.append(url)
            route.abort()

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def page_error(self, error: Error) -> None:
        self.errors.append(f"pageerror: {error}")

    def dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def check(self) -> None:
        assert not self.errors, self.errors
        assert not self.refused, f"requests outside {self.origin}: {self.refused}"
        assert not self.dialogs, f"dialogs opened: {self.dialogs}"


@dataclass
class Browsing:
    """A test's browser context on the node, and where its screenshots go."""

    node: NodeProcess
    context: BrowserContext
    watch: Watch
    shots: Path
    test: str

    def new_page(self) -> Page:
        page = self.context.new_page()
        page.on("console", self.watch.console)
        page.on("pageerror", self.watch.page_error)
        page.on("dialog", self.watch.dialog)
        return page

    def shot(self, page: Page, name: str) -> Path:
        path = self.shots / f"{self.test}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def open_context(browser: Browser, node: NodeProcess, watch: Watch, *, signed_in: bool) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1360, "height": 860}, base_url=node.url)
    context.set_default_timeout(15_000)
    context.route("**/*", watch.route)
    if signed_in:
        context.add_cookies(
            [{"name": SESSION_COOKIE, "value": encode_session(TOKEN), "url": node.url, "httpOnly": True, "sameSite": "Strict"}]
        )
    return context


@pytest.fixture
def browsing(browser: Browser, node: NodeProcess, shots: Path, request: pytest.FixtureRequest) -> Iterator[Browsing]:
    """A signed-in browser context; the test fails on anything `Watch` saw."""
    watch = Watch(node.url)
    context = open_context(browser, node, watch, signed_in=True)
    try:
        yield Browsing(node, context, watch, shots, request.node.name)
    finally:
        context.close()
    watch.check()


def unique(name: str) -> str:
    """`name` with a suffix no other test uses."""
    return f"{name} {uuid.uuid4().hex[:6]}"


def send(node: NodeProcess, *calls: dict[str, Any], key: str = WRITE_KEY) -> None:
    response = node.post("/v1/batch", {"batch": list(calls)}, key=key)
    assert response.status_code == 200, response.text


SCHEMA = """query ($source: String!, $event: String) {
  eventSchema(source: $source, type: TRACK, event: $event) { version eventCount } }"""


def wait_folded(node: NodeProcess, event: str, *, version: int, source: str = "web") -> None:
    """Wait until the node has folded schema `event` up to `version`."""

    def check() -> bool:
        found = node.graphql(SCHEMA, source=source, event=event)["eventSchema"]
        return found is not None and found["version"] >= version

    wait_until(check, timeout=60, what=f"{event!r} at version {version}")
