"""Side effects of a run: load the graph, execute super-steps against the
durable checkpointer, and record run and thread status."""

from steadygraph.activities.run_activities import RunActivities

__all__ = ["RunActivities"]
