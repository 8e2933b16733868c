"""Runs: request bodies, options (`kwargs`), submission to the thread's workflow,
cancellation, waiting and output, and the run operations the API exposes."""
