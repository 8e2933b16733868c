"""Runs: the request body, submission to the thread's workflow, cancellation, output."""
