"""Reads across the cluster: every node answers every read from whichever node holds
the rows (``tables.ClusterTable``), through the internal endpoint (``endpoint``)."""
