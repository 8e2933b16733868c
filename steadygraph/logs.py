"""The process' log: text lines by default, or one JSON object per line
(`STEADYGRAPH_LOG_FORMAT=json`) for a log collector to index."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

# Fields a log call may pass as `extra=` that an operator filters on.
CONTEXT_FIELDS = ("run_id", "thread_id", "graph_id", "status", "duration_s")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(log_format: str) -> None:
    if log_format == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logging.basicConfig(level=logging.INFO, handlers=[handler])
    else:
        logging.basicConfig(level=logging.INFO, format=TEXT_FORMAT)
    for noisy in ("temporalio", "alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
