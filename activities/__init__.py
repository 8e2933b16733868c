"""Steadygraph's Temporal activities: the side effects the workflows order.
Each class holds its clients and exposes `@activity.defn` methods named by
`steadygraph.temporal.contract`.

- RunActivities: load the graph, execute super-steps against the durable
  checkpointer, record run and thread status.
- WebhookActivities: POST a finished run to its webhook.
- CronActivities: create the run of one cron firing.
- MaintenanceActivities: apply thread TTLs.
- ThreadActivities: what a thread's workflow asks about runs started without it.
"""

from steadygraph.activities.cron_activities import CronActivities
from steadygraph.activities.maintenance_activities import MaintenanceActivities
from steadygraph.activities.run_activities import RunActivities
from steadygraph.activities.thread_activities import ThreadActivities
from steadygraph.activities.webhook_activities import WebhookActivities

__all__ = [
    "CronActivities",
    "MaintenanceActivities",
    "RunActivities",
    "ThreadActivities",
    "WebhookActivities",
]
