"""The running system: the node, the offline commands, and what they share.

Its rooms (the README's architecture table says what each may import):
``edge`` (HTTP), ``kafka`` (the Faust app, producers, consumers, topics),
``state`` (table partitions, buffers, the read side's stores), ``folds`` (the record
folds over plain mappings: no Faust), ``agents`` (one module per agent), ``node``
(the node process), ``ops`` (the CLI and offline commands), and ``adapters`` (the
only modules that touch Faust's, aiokafka's or rocksdict's private parts).
"""
