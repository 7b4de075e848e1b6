"""The analyst's pages over in-memory readers: what each answers, and its errors."""

from __future__ import annotations

import re

import pytest

from registry import SchemaKey
from tests.unit.query.fakes import MemoryProfiles, MemorySchemas
from registry.plans import ConnectSettings
from tests.unit.query.fakes import MemoryPlans, MemoryViolations
from registry.plans import ViolationType
from registry.plans.judge import ViolationCount
from tests.unit.web.pages import client, event, loaded

PRICE_SET = "source=web&type=track&event=Price%20Set"


async def test_the_sources_page_lists_each_source_with_its_counts_and_trouble() -> None:
    async with client() as c:
        response = await c.get("/")
    assert response.status_code == 200
    html = response.text
    assert 'href="/schemas?source=web"' in html and 'href="/schemas?source=ios"' in html
    assert "1 conflict" in html
    assert "type conflict" in html  # the latest changes


async def test_the_schemas_table_filters_by_event_name_and_by_column_path() -> None:
    async with client() as c:
        everything = (await c.get("/schemas?source=web")).text
        by_path = (await c.get("/schemas?source=web&q=CURRENCY")).text
        by_name = (await c.get("/schemas?source=web&q=signed")).text
        trouble = (await c.get("/schemas?source=web&trouble=1")).text
    assert "Price Set" in everything and "Signed Up" in everything
    assert "Price Set" in by_path and "Signed Up" not in by_path
    assert 'class="hit"' in by_path and "properties.currency" in by_path
    assert "Signed Up" in by_name and "Price Set" not in by_name
    assert "Price Set" in trouble and "Signed Up" not in trouble


async def test_a_schema_highlights_its_conflicting_columns() -> None:
    async with client() as c:
        html = (await c.get(f"/schema?{PRICE_SET}")).text
    rows = re.findall(r"<tr( class=\"trouble\")?>\s*<td class=\"path\"><a [^>]*>([^<]*)</a>", html)
    assert rows == [("", "properties.currency"), (' class="trouble"', "properties.price")]
    assert "Compare v2 → v3" in html


async def test_the_columns_show_their_pii_classification() -> None:
    schemas = MemorySchemas()
    key = SchemaKey("web", "track", "Checkout")
    schemas.observe(key, {"email": "ada@example.com", "cardNumber": "4111 1111 1111 1111", "total": 3}, 1_000, "m1")
    async with client(schemas) as c:
        table = (await c.get("/schema?source=web&type=track&event=Checkout")).text.split('id="columns"')[1]
        card = (await c.get("/column?source=web&type=track&event=Checkout&path=properties.cardNumber")).text
    chips = dict(re.findall(r'<td class="path"><a [^>]*>([^<]*)</a>.*?<span class="pii ([^"]*)"', table, re.S))
    assert chips == {"properties.cardNumber": "pii-red", "properties.email": "pii-yellow", "properties.total": "pii-none"}
    assert "YELLOW · email" in table
    assert "RED · credit_card" in card.split('class="facts"')[1].split("</dl>")[0]


async def test_a_connected_sources_page_shows_its_plan_and_where_the_events_differ() -> None:
    schemas, profiles = loaded()
    plans = MemoryPlans(schemas)
    price = {"properties": {"properties": {"properties": {"price": {"type": "number"}}}}}
    rules = [
        {"type": "TRACK", "key": "Price Set", "jsonSchema": price},
        {"type": "TRACK", "key": "Never <Sent>", "jsonSchema": {}},
    ]
    await plans.upsert("web plan", rules)
    await plans.publish("web plan")
    await plans.connect("web", "web plan", ConnectSettings())
    violations = MemoryViolations()
    violations.counts["web"] = [
        ViolationCount("track", "Price <Set>", ViolationType.TYPE_MISMATCH, "/properties/price", 3, 1_000, 2_000, ("m-<1>", "m-2")),
    ]
    async with client(schemas, profiles, plans=plans, violations=violations) as c:
        connected = (await c.get("/schemas?source=web")).text
        other = (await c.get("/schemas?source=ios")).text
    section = connected.split('id="plan"')[1].split("</section>")[0]
    assert "web plan" in section and "v1, published · 2 rules" in section
    assert "1 of 2 event schemas planned · 1 unplanned · 1 column drifting" in section
    found = connected.split('id="violations"')[1].split("</section>")[0]
    assert "Price &lt;Set&gt;" in found and "type mismatch" in found and "/properties/price" in found
    assert '<td class="num">3</td>' in found and "<code>m-&lt;1&gt;</code> <code>m-2</code>" in found
    rows = re.findall(r"<tr( class=\"trouble\")?>\s*<td><span class=\"kind [^\"]*\">([^<]*)</span>", section)
    assert rows == [("", "planned not seen"), (' class="trouble"', "type drift"), ("", "seen not planned")]
    assert "properties.price" in section and "Never &lt;Sent&gt;" in section and "Signed Up" in section
    assert 'id="plan"' not in other


async def test_a_diff_lists_a_conflict_that_kept_the_type_as_changed() -> None:
    async with client() as c:
        html = (await c.get(f"/schema?{PRICE_SET}&from=2&to=3")).text
        added = (await c.get(f"/schema?{PRICE_SET}&from=0&to=2")).text
    diff = html.split('id="diff"')[1].split("</section>")[0]
    assert "CHANGED" in diff and "properties.price" in diff and "INTEGER" in diff
    assert added.split('id="diff"')[1].count("ADDED") == 2


async def test_as_of_a_version_shows_only_the_columns_then() -> None:
    async with client() as c:
        html = (await c.get(f"/schema?{PRICE_SET}&version=1")).text
    columns = html.split('id="columns"')[1]
    assert "properties.currency" in columns and "properties.price" not in columns
    assert "as of v1" in html


async def test_a_column_shows_every_history_entry_with_its_cause() -> None:
    async with client() as c:
        html = (await c.get(f"/column?{PRICE_SET}&path=properties.price")).text
    history = html.split('id="history"')[1]
    assert history.count("<tr") == 3  # the heading and two entries
    assert "column added" in history and "type conflict" in history
    assert ">m1<" in history and ">m2<" in history


async def test_the_json_schema_is_a_download() -> None:
    async with client() as c:
        response = await c.get(f"/schema.json?{PRICE_SET}")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="web-track-Price_Set.schema.json"'
    assert response.json()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


async def test_the_changes_feed_is_newest_first_and_pages_back() -> None:
    schemas = MemorySchemas()
    key = SchemaKey("web", "track", "Wide")
    schemas.observe(key, {f"p{n:02d}": n for n in range(60)}, 1_000, "m1")
    async with client(schemas, MemoryProfiles()) as c:
        first = (await c.get("/changes")).text
        older = re.search(r'id="older" href="([^"]+)"', first)
        assert older is not None
        second = (await c.get(older.group(1).replace("&amp;", "&"))).text
    assert first.count("<tr class=") == 50 and second.count("<tr class=") == 10
    assert first.index("properties.p59") < first.index("properties.p58")
    assert "properties.p09" in second and "properties.p10" not in second
    assert 'data-live="1"' in first and 'data-live="1"' not in second


async def test_a_profile_shows_identities_traits_and_timeline() -> None:
    async with client() as c:
        by_email = (await c.get("/profiles?id=ada@example.com&id_type=email")).text
        by_user = (await c.get("/profiles?id=u1")).text
        identifies = (await c.get("/profiles?id=u1&types=identify")).text
    for html in (by_email, by_user):
        assert "ada@example.com" in html and ">a1<" in html and ">u1<" in html
        assert "&#34;pro&#34;" in html and ">i1<" in html
    timeline = identifies.split('id="timeline"')[1]
    assert ">i1<" in timeline and ">t1<" not in timeline


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/schema?source=web&type=track&event=Nope", 404, "was not found"),
        (f"/column?{PRICE_SET}&path=properties.nope", 404, "was not found"),
        ("/schemas?source=nowhere", 404, "was not found"),
        ("/profiles?id=nobody", 404, "was not found"),
        ("/schema?source=web&type=purchase&event=x", 400, "not a call type"),
        ("/schema?source=web&type=track", 400, "named by its event"),
        ("/schemas", 400, "is required"),
        (f"/schema?{PRICE_SET}&version=99", 400, "between 0 and 3"),
        (f"/schema?{PRICE_SET}&time=yesterday", 400, "not a time"),
        ("/changes?before=nope", 400, "not a schemaChanges cursor"),
        ("/profiles?id=u1&after=nope", 400, "invalid cursor"),
        ("/profiles?id=u1&types=purchase", 400, "not a call type"),
        ("/schema?source=we%1Fb&type=track&event=x", 400, "0x1F"),
    ],
)
async def test_what_a_page_cannot_show_is_a_clear_4xx_page(path: str, status: int, says: str) -> None:
    async with client() as c:
        response = await c.get(path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert says in response.text


async def test_hostile_text_is_escaped_everywhere() -> None:
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    schemas = MemorySchemas()
    key = SchemaKey("web", "track", hostile)
    schemas.observe(key, {hostile: "javascript:alert(3)"}, 1_000, hostile)
    schemas.observe(key, {hostile: 1}, 2_000, "m2")
    profiles = MemoryProfiles()
    profiles.observe(event({"type": "identify", "userId": "x", "messageId": hostile, "traits": {hostile: hostile},
                            "timestamp": "2026-11-20T10:00:00Z"}))
    async with client(schemas, profiles) as c:
        column = "properties." + hostile.replace(".", "\\.")
        pages = [
            await c.get("/"),
            await c.get("/schemas", params={"source": "web", "q": hostile}),
            await c.get("/schema", params={"source": "web", "type": "track", "event": hostile, "from": "1", "to": "2"}),
            await c.get("/column", params={"source": "web", "type": "track", "event": hostile, "path": column}),
            await c.get("/changes"),
            await c.get("/profiles", params={"id": "x"}),
            await c.get("/profiles", params={"id": hostile}),  # a 404 naming it
        ]
    for response in pages:
        assert "<script>alert" not in response.text and "<img src=x" not in response.text, response.url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text, response.url
        assert 'href="javascript:' not in response.text


async def test_a_large_source_pages_its_schemas_table() -> None:
    schemas = MemorySchemas()
    for n in range(450):
        schemas.observe(SchemaKey("big", "track", f"E{n:03d}"), {"x": 1}, 1_000 + n, f"m{n}")
    async with client(schemas, MemoryProfiles()) as c:
        first = (await c.get("/schemas?source=big")).text
        third = (await c.get("/schemas?source=big&page=3")).text
        beyond = await c.get("/schemas?source=big&page=4")
        filtered = (await c.get("/schemas?source=big&q=E44")).text
    assert first.count('<tr><td><span class="call">') == 200 and ">E199<" in first and ">E200<" not in first
    assert 'href="/schemas?page=2&amp;source=big"' in first
    assert third.count('<tr><td><span class="call">') == 50 and ">E449<" in third
    assert beyond.status_code == 400
    assert filtered.count('<tr><td><span class="call">') == 10 and "10 of 450 match" in filtered
