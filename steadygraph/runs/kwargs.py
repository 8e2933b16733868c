"""A run's options (`kwargs`): what it was asked to do, fixed when it is created.

Stored with the run and shown in run responses as LangGraph Server shows them,
so the field names and their order are its `kwargs` shape; built from the
request by `steadygraph.runs.submission` and read back with `RunKwargs.of`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from steadygraph.runs.request import Durability, InterruptNodes


class RunKwargs(BaseModel):
    # Keys a later version adds are kept, not dropped, when an older one reads them.
    model_config = ConfigDict(extra="allow", frozen=True)

    input: Any = None
    command: dict[str, Any] | None = None
    # The RunnableConfig: the request's, with the run's ids in `configurable`
    # (and `checkpoint_id` there when the run forks from a checkpoint).
    config: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    stream_mode: list[str] = Field(default_factory=list)
    interrupt_before: InterruptNodes | None = None
    interrupt_after: InterruptNodes | None = None
    webhook: str | None = None
    feedback_keys: list[str] | None = None
    # A stateless run whose thread is deleted once its output was read.
    temporary: bool = False
    subgraphs: bool = False
    resumable: bool = False
    checkpoint_during: bool = True
    durability: Durability = "async"

    @classmethod
    def of(cls, run: dict[str, Any]) -> RunKwargs:
        """The options of a stored run."""
        return cls.model_validate(run.get("kwargs") or {})

    def stored(self) -> dict[str, Any]:
        """The JSON stored with the run (and answered as the run's `kwargs`)."""
        return self.model_dump()

    @property
    def fork_checkpoint_id(self) -> str | None:
        """The checkpoint the run's input is applied to, if not the thread's head."""
        return (self.config.get("configurable") or {}).get("checkpoint_id")
