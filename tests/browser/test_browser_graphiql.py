"""GraphiQL is served by the node: it loads and answers with no request elsewhere."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.conftest import TOKEN, Browsing, Watch


def test_graphiql_loads_from_the_node_and_runs_a_query(browser: Browser, browsing: Browsing) -> None:
    node = browsing.node
    # GraphQL over HTTP takes a bearer header, not the page's cookie.
    context = browser.new_context(base_url=node.url, extra_http_headers={"authorization": f"Bearer {TOKEN}"})
    watch = Watch(node.url)
    context.route("**/*", watch.route)
    try:
        page = context.new_page()
        page.on("console", watch.console)
        page.on("pageerror", watch.page_error)
        page.goto("/graphql?q=" + "%7B%20sources%20%7B%20name%20eventCount%20%7D%20%7D")
        expect(page.locator(".graphiql-container")).to_be_visible()
        page.locator(".graphiql-execute-button").click()
        expect(page.locator(".result-window")).to_contain_text('"sources"')
        browsing.shot(page, "graphiql")
    finally:
        context.close()
    watch.check()
