"""Schema commands (a column's policy, its personal-data classification): their codec
on ``schema-input``.

A command record carries the ``tracklog-kind: command`` header, keyed by its schema
key (``streams.state.commands`` writes it, ``streams.folds.schemas`` applies it).
"""

from __future__ import annotations

from typing import Any

import orjson

from registry import PiiClassification, Policy

KIND_HEADER = "tracklog-kind"
COMMAND = b"command"


def encode_policy_command(command_id: str, path: str, policy: Policy) -> bytes:
    return orjson.dumps({"command": "set_policy", "id": command_id, "path": path, "policy": policy.value})


def encode_classification_command(
    command_id: str, path: str, classification: PiiClassification, kind: str | None
) -> bytes:
    return orjson.dumps(
        {
            "command": "set_classification",
            "id": command_id,
            "path": path,
            "classification": classification.value,
            "kind": kind,
        }
    )


def decode_command(value: bytes) -> dict[str, Any]:
    """The command in ``value``; raises ValueError when it is not one we know."""
    try:
        command = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"command is not JSON: {exc}") from None
    if not isinstance(command, dict):
        raise ValueError("unknown command")
    name = command.get("command")
    if name not in ("set_policy", "set_classification"):
        raise ValueError("unknown command")
    if not isinstance(command.get("path"), str) or not isinstance(command.get("id"), str):
        raise ValueError(f"{name} needs a string path and id")
    if name == "set_policy":
        try:
            command["policy"] = Policy(command.get("policy"))
        except ValueError:
            raise ValueError(f"unknown policy {command.get('policy')!r}") from None
        return command
    try:
        command["classification"] = PiiClassification(command.get("classification"))
    except ValueError:
        raise ValueError(f"unknown classification {command.get('classification')!r}") from None
    if command.get("kind") is not None and not isinstance(command["kind"], str):
        raise ValueError("set_classification: kind must be a string or null")
    return command
