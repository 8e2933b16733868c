"""Thread-stream positions (`seq`): one integer, durable and increasing
across all the runs of a thread.

A thread's runs are numbered 1, 2, ... in creation order (its `ordinal`); a
run's log events 1, 2, ... (0 is the run's start, the last one plus one its
end); each log event translates to a few protocol events (`part`). So

    seq = ordinal * RUN_SPAN + log_seq * PART_SPAN + part

is the same for the same event whoever reads the log, and a client that
reconnects with `since` resumes right after the last event it had. Values stay
below 2**53 (safe for JavaScript clients) up to nine million runs per thread.
"""

from __future__ import annotations

RUN_SPAN = 1_000_000_000
PART_SPAN = 1_000


def seq_of(ordinal: int, log_seq: int, part: int) -> int:
    # A log event that translates to more than PART_SPAN events (never seen in
    # practice) shares its last seq; event ids stay distinct.
    return ordinal * RUN_SPAN + log_seq * PART_SPAN + min(part, PART_SPAN - 1)


def ordinal_of(seq: int) -> int:
    return seq // RUN_SPAN


def before_run(ordinal: int) -> int:
    """The position just before a run's first event."""
    return ordinal * RUN_SPAN - 1
