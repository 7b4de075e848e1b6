"""Adapters: the only modules that reach into a library's private parts, one per library."""
