"""Personal columns through a running node: suggested on first sight, overridden through
the log, and a RED column's values shown redacted wherever a person is read."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import StartNode
from tests.nodes import NodeProcess
from tests.waiting import wait_until

CARD = "4111 1111 1111 1111"
COLUMNS = '{ eventSchema(source: "web", type: IDENTIFY) { columns { path classification piiKind } } }'
PERSON = """query { profile(id: "ivy-5") { traits plan: trait(name: "plan") { value }
  timeline { edges { node { traits } } } } }"""
CLASSIFY = """mutation ($path: String!, $classification: PiiClassification!) {
  setColumnClassification(source: "web", type: IDENTIFY, path: $path, classification: $classification) {
    path classification piiKind } }"""


def _person(node: NodeProcess) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    profile = node.graphql(PERSON)["profile"]
    return profile["traits"], [edge["node"]["traits"] for edge in profile["timeline"]["edges"]]


def test_a_red_columns_values_read_redacted_and_a_classification_set_through_the_log_holds(
    start_node: StartNode,
) -> None:
    node = start_node()
    call = {"type": "identify", "userId": "ivy-5", "traits": {"email": "ivy@example.com", "cardNumber": CARD, "plan": "pro"}}
    assert node.post("/v1/identify", call).status_code == 200
    wait_until(lambda: node.graphql(PERSON)["profile"], timeout=60, what="ivy's profile")
    # Read before the schema fold may have classified anything: the key alone says RED.
    traits, timeline = _person(node)
    assert traits["cardNumber"] == "[redacted]" and [t["cardNumber"] for t in timeline] == ["[redacted]"]

    wait_until(lambda: node.graphql(COLUMNS)["eventSchema"], timeout=30, what="the identify schema")
    columns = {c["path"]: (c["classification"], c["piiKind"]) for c in node.graphql(COLUMNS)["eventSchema"]["columns"]}
    assert columns == {
        "traits.cardNumber": ("RED", "credit_card"),
        "traits.email": ("YELLOW", "email"),
        "traits.plan": ("NONE", None),
    }
    traits, timeline = _person(node)
    assert traits["cardNumber"] == "[redacted]" and timeline == [{**call["traits"], "cardNumber": "[redacted]"}]
    assert traits["email"] == "ivy@example.com"  # YELLOW is personal, and shown to who may read profiles

    # An owner decides the plan is secret too: through the log, and every read follows.
    answer = node.graphql(CLASSIFY, path="traits.plan", classification="RED")["setColumnClassification"]
    assert answer == {"path": "traits.plan", "classification": "RED", "piiKind": None}
    # Reads redact by classifications at most a second old (streams.state.readers.CLASSES_EVERY).
    def redacted() -> bool:
        traits, timeline = _person(node)
        return traits["plan"] == "[redacted]" and timeline[0]["plan"] == "[redacted]"

    wait_until(redacted, timeout=30, what="the plan to read redacted in the profile and its timeline")
    traits, timeline = _person(node)
    assert node.graphql(PERSON)["profile"]["plan"] == {"value": "[redacted]"}
    assert timeline[0]["plan"] == "[redacted]" and timeline[0]["cardNumber"] == "[redacted]"
