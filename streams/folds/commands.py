"""Schema commands (column policies): their codec on ``schema-input``.

A command record carries the ``tracklog-kind: command`` header, keyed by its schema
key (``streams.state.commands`` writes it, ``streams.folds.schemas`` applies it).
"""

from __future__ import annotations

from typing import Any

import orjson

from registry import Policy

KIND_HEADER = "tracklog-kind"
COMMAND = b"command"


def encode_policy_command(command_id: str, path: str, policy: Policy) -> bytes:
    return orjson.dumps({"command": "set_policy", "id": command_id, "path": path, "policy": policy.value})


def decode_command(value: bytes) -> dict[str, Any]:
    """The command in ``value``; raises ValueError when it is not one we know."""
    try:
        command = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"command is not JSON: {exc}") from None
    if not isinstance(command, dict) or command.get("command") != "set_policy":
        raise ValueError("unknown command")
    if not isinstance(command.get("path"), str) or not isinstance(command.get("id"), str):
        raise ValueError("set_policy needs a string path and id")
    try:
        command["policy"] = Policy(command.get("policy"))
    except ValueError:
        raise ValueError(f"unknown policy {command.get('policy')!r}") from None
    return command
