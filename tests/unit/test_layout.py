"""The layout the README's architecture table promises: what each room may import,
and modules and functions small enough for one person to hold in mind.

Each rule lists what a room may import beyond the standard library; a module that
imports anything else fails here, naming the module and the import.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("schemas", "registry", "query", "streams")

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# The one function kept longer: faust-streaming's drain loop, copied as it is.
LONG_ON_PURPOSE = {("streams.adapters.faust", "_drain_messages")}

PURE = {"schemas", "registry", "query.domain", "orjson", "msgspec"}
# Room (a module path prefix) -> what its modules may import (module path prefixes).
RULES: dict[str, set[str]] = {
    # A package's own __init__ (docstrings and re-exports).
    "query": set(),
    "streams": set(),
    "schemas": {"schemas", "orjson", "msgspec", "cryptography"},
    "registry": {"registry", "schemas"},
    # Tracking plans compile their rules' JSON Schemas (pure: nothing is fetched).
    "registry.plans": {"registry", "schemas", "jsonschema_rs"},
    "query.domain": PURE,
    "query.store": PURE,
    "query.graphql": PURE | {"query.store", "query.graphql", "strawberry", "graphql"},
    "query.web": PURE | {"query.store", "query.graphql", "query.web", "starlette", "jinja2"},
    "streams.settings": {"pydantic", "pydantic_settings"},
    "streams.errors": {"schemas"},
    "streams.signals": set(),
    "streams.pacing": set(),
    "streams.metrics": {"prometheus_client", "starlette"},
    "streams.adapters": {"streams.adapters", "streams.pacing", "faust", "mode", "aiokafka", "rocksdict"},
    "streams.folds": PURE | {"streams.folds", "msgspec"},
    "streams.kafka": PURE
    | {"streams.kafka", "streams.adapters", "streams.settings", "streams.errors", "streams.signals", "aiokafka"},
    "streams.cluster": PURE
    | {"query.store", "streams.cluster", "streams.adapters", "faust", "aiohttp", "starlette", "strawberry.dataloader"},
    "streams.state": PURE
    | {
        "query.store",
        "streams.state",
        "streams.cluster",
        "streams.folds",
        "streams.kafka",
        "streams.adapters",
        "faust",
        "aiokafka",
    },
    "streams.agents": PURE
    | {
        "streams.agents",
        "streams.folds",
        "streams.state",
        "streams.kafka",
        "streams.adapters",
        "streams.metrics",
        "streams.pacing",
        "aiokafka",
    },
    "streams.plans": PURE
    | {
        "query.store",
        "streams.plans",
        "streams.kafka",
        "streams.folds",
        "streams.state",
        "streams.cluster",
        "streams.errors",
        "aiokafka",
    },
    "streams.regulations": PURE
    | {"streams.regulations", "streams.kafka", "streams.folds", "streams.errors", "streams.signals", "aiokafka"},
    "streams.edge": PURE
    | {
        "query.store",
        "query.graphql",
        "query.web",
        "streams.edge",
        "streams.kafka.producer",
        "streams.errors",
        "streams.metrics",
        "streams.pacing",
        "starlette",
        "strawberry",
    },
    "streams.node": {"query", "registry", "schemas", "streams", "faust", "mode", "uvicorn"},
    "streams.ops": {"query", "registry", "schemas", "streams", "orjson", "aiokafka", "rich"},
}
# Rooms that are only the package's own __init__, not a prefix of other modules.
EXACT = {"query", "streams"}
# What only one module may import: the library's adapter.
ONLY = {"rocksdict": "streams.adapters.rocksdict"}


def _modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def _within(name: str, prefixes: set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _room(module: str) -> str:
    matches = [room for room in RULES if module == room or (module.startswith(room + ".") and room not in EXACT)]
    assert matches, f"{module} is in no room of tests/unit/test_layout.py RULES: give it one"
    return max(matches, key=len)


MODULES = list(_modules())


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_a_module_imports_only_what_its_room_may(module: str, path: Path) -> None:
    allowed = RULES[_room(module)]
    for name in _imports(path):
        if name.split(".")[0] in sys.stdlib_module_names:
            continue
        assert _within(name, allowed), f"{module} imports {name}, which its room may not"
        owner = ONLY.get(name.split(".")[0])
        assert owner is None or module == owner, f"{module} imports {name}: only {owner} may"


def test_every_module_and_function_is_small() -> None:
    too_long = []
    for module, path in MODULES:
        source = path.read_text()
        if (lines := len(source.splitlines())) > MAX_MODULE_LINES:
            too_long.append(f"{module}: {lines} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES and (module, node.name) not in LONG_ON_PURPOSE:
                    too_long.append(f"{module}.{node.name}: {length} lines")
    assert too_long == []


def test_the_rules_name_only_rooms_that_exist() -> None:
    rooms = {_room(module) for module, _ in MODULES}
    assert rooms == set(RULES)
