"""The node process: one Faust worker serving HTTP from inside its event loop."""

from streams.node.wiring import Node

__all__ = ["Node"]
