"""The SDL of the GraphQL schema; committed next to it and checked for drift by a test."""

from __future__ import annotations

from pathlib import Path

from strawberry.printer import print_schema

from query.graphql.schema import schema

SDL_PATH = Path(__file__).with_name("schema.graphql")


def export_sdl() -> str:
    return print_schema(schema) + "\n"


if __name__ == "__main__":
    SDL_PATH.write_text(export_sdl())
