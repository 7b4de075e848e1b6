"""Forgetting a person through the log: regulations, their executor, their API.

``log`` is every node's copy of the ``regulations`` topic (statuses and the suppressions
the edge applies); ``executor`` carries regulations out on the node that holds the
identity graph; ``store`` is the GraphQL side (``query.store.RegulationStore``).
"""
