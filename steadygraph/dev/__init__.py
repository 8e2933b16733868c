"""What only `steadygraph dev` and tests use: the embedded Temporal server,
child processes, a deterministic local embedding."""
