"""Tracking plans on the node: every node's copy of the plans topic, and the store
GraphQL reads and writes them through (``registry.plans`` is the pure part)."""
