"""The folds over key/value tables and the records they fold: no Faust, no broker.

The agents run them over Faust table partitions, `tracklog rebuild` over plain dicts:
the same code, so a rebuild gives the live state by construction.
"""
