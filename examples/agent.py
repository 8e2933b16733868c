"""Example tool-calling agent: "what's the weather in sf".

Works offline with no API key: unless a real provider is selected through
``config["configurable"]["model_name"]`` ("anthropic" / "openai") *and* its key and
integration package are available, the agent uses ``FakeWeatherChatModel``, a
deterministic chat model that streams token chunks like a real one.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

FAKE_MODEL_NAME = "fake-weather-model"
TOOL_CALL_ID = "call_weather_1"
SF_WEATHER = "It's 60 degrees and foggy in San Francisco."
OTHER_WEATHER = "It's 90 degrees and sunny."
SF_ANSWER = "The weather in San Francisco is 60 degrees and foggy."
SYSTEM_PROMPT = "Be a helpful assistant. Use the search tool to look up the weather."


@tool
def search(query: str) -> str:
    """Look up the current weather for a place."""
    if re.search(r"\bsf\b|san francisco", query.lower()):
        return SF_WEATHER
    return OTHER_WEATHER


class FakeWeatherChatModel(BaseChatModel):
    """A deterministic stand-in for an LLM: asks `search` once, then answers.

    Streaming yields one chunk per word so LangGraph's "messages" stream mode shows
    token-by-token output, as it would with a real provider.
    """

    # Read by BaseChatModel for the run's ls_model_name metadata, as with real providers.
    model_name: str = FAKE_MODEL_NAME

    @property
    def _llm_type(self) -> str:
        return FAKE_MODEL_NAME

    def bind_tools(
        self, tools: Sequence[Any], **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        # The fake model's only tool is `search`; it needs no schema to call it.
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=_reply(messages))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        # Pure computation: no need for the default thread-pool hop.
        return self._generate(messages, stop, **kwargs)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in _reply_chunks(messages):
            if run_manager is not None:
                run_manager.on_llm_new_token(str(chunk.content), chunk=chunk)
            yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in _reply_chunks(messages):
            if run_manager is not None:
                await run_manager.on_llm_new_token(str(chunk.content), chunk=chunk)
            yield chunk


def _reply(messages: Sequence[BaseMessage]) -> AIMessage:
    """The full (non-streamed) answer to the conversation so far."""
    metadata = {"model_name": FAKE_MODEL_NAME}
    if _wants_tool_call(messages):
        return AIMessage(
            content="",
            tool_calls=[_weather_tool_call()],
            response_metadata=metadata,
        )
    return AIMessage(content=_final_answer(messages), response_metadata=metadata)


def _reply_chunks(messages: Sequence[BaseMessage]) -> Iterator[ChatGenerationChunk]:
    # response_metadata goes on the first chunk only: chunk merging concatenates strings,
    # so repeating it would yield "fake-weather-modelfake-weather-model...".
    metadata = {"model_name": FAKE_MODEL_NAME}
    if _wants_tool_call(messages):
        call = _weather_tool_call()
        chunk = AIMessageChunk(
            content="",
            response_metadata=metadata,
            tool_call_chunks=[
                {
                    "name": call["name"],
                    "args": json.dumps(call["args"]),
                    "id": call["id"],
                    "index": 0,
                }
            ],
        )
        yield ChatGenerationChunk(message=chunk)
        return
    words = _final_answer(messages).split(" ")
    for i, word in enumerate(words):
        text = word if i == len(words) - 1 else f"{word} "
        chunk = AIMessageChunk(content=text, response_metadata=metadata if i == 0 else {})
        yield ChatGenerationChunk(message=chunk)


def _wants_tool_call(messages: Sequence[BaseMessage]) -> bool:
    return bool(messages) and isinstance(messages[-1], HumanMessage)


def _weather_tool_call() -> dict[str, Any]:
    return {"name": "search", "args": {"query": "weather in sf"}, "id": TOOL_CALL_ID}


def _final_answer(messages: Sequence[BaseMessage]) -> str:
    last = messages[-1] if messages else None
    if not isinstance(last, ToolMessage):
        return "Ask me about the weather and I will look it up."
    result = last.text
    if "San Francisco" in result:
        return SF_ANSWER
    return f"According to my search: {result}"


def _real_model(model_name: str | None) -> BaseChatModel | None:
    """A provider model when asked for, its key is set and its package installed."""
    if model_name == "anthropic" and os.environ.get("ANTHROPIC_API_KEY"):
        try:
            from langchain_anthropic import ChatAnthropic
        except ImportError:
            return None
        model = os.environ.get("STEADYGRAPH_ANTHROPIC_MODEL", "claude-3-5-sonnet-latest")
        return ChatAnthropic(model=model)
    if model_name == "openai" and os.environ.get("OPENAI_API_KEY"):
        try:
            from langchain_openai import ChatOpenAI
        except ImportError:
            return None
        return ChatOpenAI(model=os.environ.get("STEADYGRAPH_OPENAI_MODEL", "gpt-4o-mini"))
    return None


def call_model(state: MessagesState, config: RunnableConfig) -> dict[str, list[BaseMessage]]:
    model_name = (config.get("configurable") or {}).get("model_name")
    model = _real_model(model_name) or FakeWeatherChatModel()
    prompt = [SystemMessage(content=SYSTEM_PROMPT), *state["messages"]]
    response = model.bind_tools([search]).invoke(prompt)
    return {"messages": [response]}


def _build() -> StateGraph:
    builder = StateGraph(MessagesState)
    builder.add_node("agent", call_model)
    builder.add_node("tools", ToolNode([search]))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition, ["tools", END])
    builder.add_edge("tools", "agent")
    return builder


# No checkpointer: the server binds its own for every run.
graph = _build().compile()
