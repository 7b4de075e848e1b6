"""Table state on this node: partition databases, step buffers, and the read side's stores."""
