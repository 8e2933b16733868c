"""A `deepagents` agent with a scripted chat model: the main agent hands the
question to its general-purpose subagent (the `task` tool), which answers; the
main agent then answers with the subagent's reply. No API key, no network."""

from collections.abc import Sequence
from typing import Any

from deepagents import create_deep_agent
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult

QUESTION = "what is the capital of France?"
SUB_ANSWER = "Paris is the capital of France."
FINAL_ANSWER = "The subagent says: Paris is the capital of France."


class ScriptedModel(BaseChatModel):
    """Main agent: delegate, then report. Subagent (asked the task description): answer."""

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> "ScriptedModel":
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        last = messages[-1]
        humans = [m for m in messages if isinstance(m, HumanMessage)]
        if isinstance(last, ToolMessage):
            reply = AIMessage(content=FINAL_ANSWER)
        elif humans and humans[-1].content == f"Research: {QUESTION}":
            reply = AIMessage(content=SUB_ANSWER)
        else:
            reply = AIMessage(
                content="",
                tool_calls=[
                    {
                        "name": "task",
                        "id": "call_task_1",
                        "args": {
                            "description": f"Research: {QUESTION}",
                            "subagent_type": "general-purpose",
                        },
                    }
                ],
            )
        return ChatResult(generations=[ChatGeneration(message=reply)])


agent = create_deep_agent(model=ScriptedModel(), system_prompt="Delegate research.")
