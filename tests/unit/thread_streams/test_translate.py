"""Thread streams' pure parts: reading a run's event log as protocol events,
positions, and subscription filters."""

from __future__ import annotations

from typing import Any

from steadygraph.thread_streams.positions import before_run, ordinal_of, seq_of
from steadygraph.thread_streams.subscriptions import BadSubscription, Subscription
from steadygraph.thread_streams.translate import RunTranslator

RUN = {"run_id": "r1", "assistant_id": "a1", "kwargs": {"config": {"configurable": {}}}}


def _chunk(text: str, *, last: bool = False) -> dict[str, Any]:
    return {
        "type": "AIMessageChunk",
        "id": "m1",
        "content": text,
        "chunk_position": "last" if last else None,
    }


def _shape(items: list[Any]) -> list[tuple[str, list[str], str | None]]:
    return [(i.method, i.namespace, (i.data or {}).get("event")) for i in items]


def test_token_chunks_become_one_message_lifecycle() -> None:
    translator = RunTranslator(RUN)
    meta = {"langgraph_node": "agent"}
    first = translator.feed("messages", [_chunk("Hello "), meta])
    second = translator.feed("messages", [_chunk("world"), meta])
    last = translator.feed("messages", [_chunk("", last=True), meta])
    events = [i.data for i in first + second + last]
    assert [e["event"] for e in events] == [
        "message-start",
        "content-block-start",
        "content-block-delta",
        "content-block-delta",
        "content-block-finish",
        "message-finish",
    ]
    assert events[0]["metadata"]["langgraph_node"] == "agent"
    assert [e["delta"]["text"] for e in events if e["event"] == "content-block-delta"] == [
        "Hello ",
        "world",
    ]
    assert events[4]["content"] == {"type": "text", "text": "Hello world"}
    assert {e["message_id"] for e in events} == {"m1"}
    # The node's whole message, sent again when it returns, is not repeated.
    assert translator.feed("messages", [{**_chunk("Hello world"), "type": "ai"}, meta]) == []


def test_a_message_left_open_is_finished_by_its_nodes_update() -> None:
    translator = RunTranslator(RUN)
    translator.feed("messages", [_chunk("partial"), {"langgraph_node": "agent"}])
    out = translator.feed("updates", {"agent": {"messages": []}})
    assert _shape(out) == [
        ("messages", [], "content-block-finish"),
        ("messages", [], "message-finish"),
        ("updates", [], None),
    ]
    assert out[-1].data == {"node": "agent", "values": {"messages": []}} and out[-1].node == "agent"


def test_subgraph_lifecycle_interrupts_and_the_runs_end() -> None:
    translator = RunTranslator(RUN)
    assert _shape(translator.start()) == [("lifecycle", [], "running")]
    inside = translator.feed("updates|child:t1", {"__interrupt__": [{"id": "i1", "value": "?"}]})
    assert _shape(inside) == [
        ("lifecycle", ["child:t1"], "started"),
        ("input.requested", ["child:t1"], None),
    ]
    assert inside[0].data == {"event": "started", "graph_name": "child", "trigger_call_id": "t1"}
    assert inside[1].data == {"interrupt_id": "i1", "payload": "?", "value": "?"}
    # The same interrupt bubbling up to the root is not asked twice.
    assert translator.feed("updates", {"__interrupt__": [{"id": "i1", "value": "?"}]}) == []
    ended = translator.feed("tasks", {"id": "t1", "name": "child", "result": {}, "interrupts": [1]})
    assert _shape(ended) == [("tasks", [], None), ("lifecycle", ["child:t1"], "interrupted")]
    final = translator.finish({"status": "success"})
    assert [i.data for i in final] == [{"event": "interrupted", "graph_name": "a1"}]


def test_custom_payloads_and_checkpoints() -> None:
    translator = RunTranslator(RUN)
    [named] = translator.feed("custom", {"name": "progress", "payload": {"step": 1}})
    assert named.data == {"name": "progress", "payload": {"step": 1}}
    [plain] = translator.feed("custom", {"progress": "x"})
    assert plain.data == {"payload": {"progress": "x"}}
    [checkpoint] = translator.feed(
        "checkpoints",
        {
            "config": {"configurable": {"checkpoint_id": "c2"}},
            "parent_config": {"configurable": {"checkpoint_id": "c1"}},
            "metadata": {"step": 3, "source": "loop"},
        },
    )
    assert checkpoint.data == {"id": "c2", "step": 3, "source": "loop", "parent_id": "c1"}


def test_a_failed_or_cancelled_run_fails_its_open_subgraphs() -> None:
    translator = RunTranslator(RUN)
    translator.feed("values|child:t1", {})
    translator.feed("error", {"error": "ValueError", "message": "boom"})
    assert [i.data for i in translator.finish({"status": "error"})] == [
        {"event": "failed", "error": "boom"},
        {"event": "failed", "graph_name": "a1", "error": "boom"},
    ]
    cancelled = RunTranslator(RUN).finish({"status": "interrupted"})
    assert cancelled[-1].data["error"] == "Run was cancelled"


def test_positions_order_runs_then_events() -> None:
    assert seq_of(1, 0, 0) < seq_of(1, 5, 2) < seq_of(1, 6, 0) < before_run(2) < seq_of(2, 0, 0)
    assert ordinal_of(seq_of(7, 123, 4)) == 7
    assert ordinal_of(before_run(2) + 1) == 2
    assert seq_of(9_000_000, 999_999, 999) < 2**53


def _event(method: str, namespace: list[str], data: Any = None) -> dict[str, Any]:
    return {"method": method, "params": {"namespace": namespace, "data": data or {}}}


def test_subscriptions_filter_channels_namespaces_and_depth() -> None:
    root_only = Subscription.parse({"channels": ["values"], "namespaces": [[]], "depth": 0})
    assert root_only.matches(_event("values", []))
    assert not root_only.matches(_event("values", ["child:1"]))
    assert not root_only.matches(_event("updates", []))
    child = Subscription.parse(
        {"channels": ["custom:progress", "input"], "namespaces": [["child"]]}
    )
    assert child.matches(_event("custom", ["child:1", "inner:2"], {"name": "progress"}))
    assert not child.matches(_event("custom", ["child:1"], {"name": "other"}))
    assert not child.matches(_event("custom", ["other:1"], {"name": "progress"}))
    assert child.matches(_event("input.requested", ["child:1"]))
    assert Subscription.parse({"channels": ["lifecycle"], "since": 5}).since == 5
    assert Subscription.parse({"channels": ["lifecycle"], "since": True}).since is None
    for bad in ({"channels": []}, {"channels": ["nope"]}, {"channels": ["custom:"]}, []):
        try:
            Subscription.parse(bad)
        except BadSubscription:
            continue
        raise AssertionError(f"accepted {bad}")
