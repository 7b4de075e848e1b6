"""The log: the Faust app (its topics and tables), producers, consumers and topic set-up."""
