"""``route-commands``: forwards each schema command into ``schema-input``."""

from __future__ import annotations

from streams.agents.steps import Stream
from streams.folds.commands import COMMAND, KIND_HEADER
from streams.kafka.app import Tracklog

NAME = "route-commands"


class RouteCommands:
    def __init__(self, tracklog: Tracklog) -> None:
        self._tracklog = tracklog

    def install(self) -> None:
        self._tracklog.app.agent(self._tracklog.schema_commands_topic, name=NAME)(self.run)

    async def run(self, stream: Stream) -> None:
        async for event in stream.events():
            await self._tracklog.schema_input_topic.send(
                key=event.key, value=event.value, headers=[(KIND_HEADER, COMMAND)]
            )
