"""Webhooks (steadygraph.webhooks.policy, activities.webhook_activities): the URL policy,
the POST against a real local HTTP server, and the activity against real SQLite
storage."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from steadygraph.activities.webhook_activities import WebhookActivities
from steadygraph.config.project import ConfigError
from steadygraph.storage import Storage, open_storage
from steadygraph.temporal.contract import WebhookInput
from steadygraph.webhooks.policy import (
    WebhookDeliveryError,
    WebhookPolicy,
    WebhookRejected,
    deliver,
)

LOOPBACK_BLOCKED = "Webhook host blocked: loopback IP range"
# What a test server on 127.0.0.1 needs: loopback and plain http allowed.
LOCAL = WebhookPolicy.from_project_raw(
    {"webhooks": {"url": {"require_https": False, "disable_loopback": False}}}
)


def rejection(policy: WebhookPolicy, url: str) -> str | None:
    try:
        policy.check(url)
    except WebhookRejected as exc:
        return str(exc)
    return None


# --- a real HTTP receiver ----------------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A ThreadingHTTPServer on 127.0.0.1 that records every request.

    It answers the statuses queued in `answers` in order, then 200; paths in
    `redirects` get a 307 to the given location instead.
    """

    answers: list[int] = field(default_factory=list)
    redirects: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.received.append(Received(self.command, self.path, headers, body))
                if self.path in receiver.redirects:
                    self.send_response(307)
                    self.send_header("Location", receiver.redirects[self.path])
                else:
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = _record
            do_GET = _record

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep pytest's output clean

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    try:
        yield receiver
    finally:
        receiver.stop()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return port


# --- policy: defaults ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "https://127.0.0.1/hook",
        "http://127.8.9.10/hook",
        "http://[::1]:8000/hook",
        # Forms a resolver turns into 127.0.0.1 although they are not dotted quads.
        "http://127.1/hook",
        "http://2130706433/hook",
        "http://0x7f.0.0.1/hook",
    ],
)
def test_loopback_is_blocked_by_default_with_the_server_message(url: str) -> None:
    assert rejection(WebhookPolicy(), url) == LOOPBACK_BLOCKED
    assert rejection(WebhookPolicy.from_project_raw({}), url) == LOOPBACK_BLOCKED


@pytest.mark.parametrize(
    "url", ["http://localhost:8000/hook", "http://LOCALHOST./hook", "http://app.localhost/x"]
)
def test_localhost_names_are_blocked_by_default(url: str) -> None:
    assert rejection(WebhookPolicy(), url) == "Webhook host blocked: localhost address"


def test_without_a_url_block_http_and_public_hosts_pass() -> None:
    policy = WebhookPolicy.from_project_raw({"graphs": {}})
    assert policy == WebhookPolicy()
    assert not policy.require_https
    for url in (
        "http://hooks.example.com/x",
        "https://hooks.example.com:8443/x?token=1",
        "http://93.184.216.34/x",
        "http://[2606:4700::1111]/x",
    ):
        assert rejection(policy, url) is None, url


def test_private_ranges_are_allowed_by_default_and_blocked_on_request() -> None:
    private = [
        "http://10.1.2.3/x",
        "http://172.16.0.9/x",
        "http://192.168.1.1/x",
        "http://[fd12::1]/x",
    ]
    for url in private:
        assert rejection(WebhookPolicy(), url) is None, url
    strict = WebhookPolicy.from_project_raw({"webhooks": {"url": {"disable_private_ips": True}}})
    for url in private:
        assert rejection(strict, url.replace("http:", "https:")) == (
            "Webhook host blocked: private IP range"
        )


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://169.254.169.254/latest/meta-data", "blocked IP range"),
        ("http://0.0.0.0:8000/", "blocked IP range"),
        ("http://224.0.0.1/", "blocked IP range"),
        ("http://[fe80::1]/", "blocked IP range"),
        ("http://[::ffff:127.0.0.1]/", "blocked IP range"),
        ("http://100.100.100.200/", "cloud metadata endpoint"),
        ("http://metadata.google.internal/", "cloud metadata endpoint"),
        ("http://api.default.svc.cluster.local/", "Kubernetes internal DNS"),
        ("ftp://hooks.example.com/x", "scheme 'ftp' not allowed"),
    ],
)
def test_always_blocked_targets(url: str, reason: str) -> None:
    assert rejection(WebhookPolicy(), url) == f"Webhook host blocked: {reason}"
    # Not even disable_loopback=false opens them.
    assert rejection(LOCAL, url) == f"Webhook host blocked: {reason}"


def test_relative_urls_are_refused() -> None:
    assert "disable_loopback" in (rejection(WebhookPolicy(), "/threads/x/runs") or "")
    assert rejection(LOCAL, "/threads/x/runs") == (
        "Relative webhook URLs are not supported; use an absolute http(s) URL"
    )


def test_hostless_urls_are_refused() -> None:
    assert rejection(WebhookPolicy(), "http:///x") == "Invalid webhook hostname ''"
    assert rejection(WebhookPolicy(), "not a url") == "Invalid webhook hostname ''"
    assert rejection(WebhookPolicy(), "http://h:99999/") is not None


# --- policy: the webhooks.url block ----------------------------------------------------


def test_a_url_block_requires_https() -> None:
    policy = WebhookPolicy.from_project_raw({"webhooks": {"url": {}}})
    assert policy.require_https
    assert rejection(policy, "http://hooks.example.com/x") == "Webhook must use https"
    assert rejection(policy, "https://hooks.example.com/x") is None
    # headers alone are not a url block
    assert not WebhookPolicy.from_project_raw({"webhooks": {"headers": {}}}).require_https
    explicit = WebhookPolicy.from_project_raw({"webhooks": {"url": {"require_https": False}}})
    assert rejection(explicit, "http://hooks.example.com/x") is None


def test_disable_loopback_false_allows_loopback() -> None:
    for url in ("http://127.0.0.1:8000/hook", "http://[::1]:1/x", "http://localhost:8000/x"):
        assert rejection(LOCAL, url) is None, url
    still_https = WebhookPolicy.from_project_raw({"webhooks": {"url": {"disable_loopback": False}}})
    assert rejection(still_https, "http://127.0.0.1/x") == "Webhook must use https"
    assert rejection(still_https, "https://127.0.0.1/x") is None


def test_allowed_domains() -> None:
    policy = WebhookPolicy.from_project_raw(
        {"webhooks": {"url": {"allowed_domains": ["hooks.example.com", "*.MyCorp.com"]}}}
    )
    assert rejection(policy, "https://hooks.example.com/x") is None
    assert rejection(policy, "https://HOOKS.example.com./x") is None
    assert rejection(policy, "https://a.b.mycorp.com/x") is None
    # The wildcard matches subdomains only, not the apex or look-alikes.
    for url in (
        "https://mycorp.com/x",
        "https://evilmycorp.com/x",
        "https://example.com/x",
        "https://hooks.example.com.evil.io/x",
    ):
        assert rejection(policy, url) == "Webhook domain not allowed", url


def test_an_allowed_domain_is_trusted_past_the_address_rules() -> None:
    policy = WebhookPolicy.from_project_raw(
        {"webhooks": {"url": {"require_https": False, "allowed_domains": ["127.0.0.1"]}}}
    )
    assert rejection(policy, "http://127.0.0.1:9000/x") is None
    assert rejection(policy, "http://127.0.0.2:9000/x") == "Webhook domain not allowed"
    assert (
        rejection(policy, "ftp://127.0.0.1/x") == "Webhook host blocked: scheme 'ftp' not allowed"
    )


def test_allowed_ports() -> None:
    policy = WebhookPolicy.from_project_raw(
        {"webhooks": {"url": {"require_https": False, "allowed_ports": [443, 8443]}}}
    )
    assert rejection(policy, "https://hooks.example.com/x") is None
    assert rejection(policy, "https://hooks.example.com:8443/x") is None
    assert rejection(policy, "http://hooks.example.com/x") == "Webhook port 80 not allowed"
    assert rejection(policy, "https://hooks.example.com:8080/x") == "Webhook port 8080 not allowed"


def test_max_url_length() -> None:
    base = "https://hooks.example.com/"
    assert WebhookPolicy().max_url_length == 4096
    block = WebhookPolicy.from_project_raw({"webhooks": {"url": {}}})
    assert block.max_url_length == 2048
    assert rejection(block, base + "a" * (2048 - len(base))) is None
    assert rejection(block, base + "a" * (2049 - len(base))) == "Webhook URL too long"
    short = WebhookPolicy.from_project_raw({"webhooks": {"url": {"max_url_length": 30}}})
    assert rejection(short, base + "a" * 4) is None
    assert rejection(short, base + "a" * 5) == "Webhook URL too long"


# --- policy: configuration ---------------------------------------------------------------


def test_headers_are_plain_strings_or_env_templates() -> None:
    raw = {
        "webhooks": {
            "headers": {
                "X-Plain": "static",
                "Authorization": "Bearer ${{ env.LG_WEBHOOK_TOKEN }}",
                "X-Two": "${{env.LG_WEBHOOK_A}}-${{ env.LG_WEBHOOK_B }}!",
            }
        }
    }
    env = {"LG_WEBHOOK_TOKEN": "s3cret", "LG_WEBHOOK_A": "a", "LG_WEBHOOK_B": "b"}
    policy = WebhookPolicy.from_project_raw(raw, environ=env)
    assert policy.headers == {
        "X-Plain": "static",
        "Authorization": "Bearer s3cret",
        "X-Two": "a-b!",
    }
    # The API checks URLs only and needs none of the secrets.
    assert WebhookPolicy.from_project_raw(raw, environ={}, with_headers=False).headers == {}


def test_custom_env_prefix() -> None:
    raw = {"webhooks": {"env_prefix": "HOOK_", "headers": {"X-K": "${{ env.HOOK_KEY }}"}}}
    assert WebhookPolicy.from_project_raw(raw, environ={"HOOK_KEY": "k"}).headers == {"X-K": "k"}


@pytest.mark.parametrize(
    "webhooks, message",
    [
        ({"headers": {"X": "${{ env.HOME }}"}}, "must start with the env_prefix 'LG_WEBHOOK_'"),
        ({"headers": {"X": "${{ env.LG_WEBHOOK_MISSING }}"}}, "'LG_WEBHOOK_MISSING' is not set"),
        ({"headers": {"X": "${{ secrets.LG_WEBHOOK_T }}"}}, "only ${{ env.VAR }} references"),
        ({"headers": {"X": "${{ env.LG_WEBHOOK_T.x }}"}}, "invalid environment reference"),
        ({"headers": {"X": 1}}, "value must be a string"),
        ({"headers": {"Bad Name": "v"}}, "not a valid HTTP header name"),
        ({"headers": {"X": "a\nInjected: yes"}}, "line break"),
        ({"env_prefix": None, "headers": {"X": "v"}}, "env_prefix: must be a string"),
        ({"url": {"require_https": "yes"}}, "require_https: must be true or false"),
        ({"url": {"allowed_domains": "example.com"}}, "array of non-empty strings"),
        ({"url": {"allowed_domains": ["hooks.*.com"]}}, "a wildcard may only lead"),
        ({"url": {"allowed_ports": [0]}}, "port numbers"),
        ({"url": {"max_url_length": 0}}, "max_url_length: must be a positive integer"),
        ({"url": []}, "webhooks.url: must be an object"),
        ({"allowed_fields": ["run_id", "secret"]}, "unknown field 'secret'"),
        ([], "webhooks: must be an object"),
    ],
)
def test_bad_configuration_names_the_entry(webhooks: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=r"^langgraph\.json: webhooks") as raised:
        WebhookPolicy.from_project_raw({"webhooks": webhooks}, environ={"LG_WEBHOOK_T": "t"})
    assert message in str(raised.value)


def test_http_disable_webhooks() -> None:
    assert WebhookPolicy.from_project_raw({"http": {"disable_webhooks": True}}).disabled
    assert not WebhookPolicy.from_project_raw({"http": {"disable_webhooks": False}}).disabled


# --- policy: resolved addresses ------------------------------------------------------------


async def test_check_resolved_applies_the_address_rules_to_dns_answers() -> None:
    # /etc/hosts answers for localhost everywhere, no network needed.
    with pytest.raises(WebhookRejected, match=LOOPBACK_BLOCKED):
        await WebhookPolicy().check_resolved("http://localhost:8000/x")
    await LOCAL.check_resolved("http://localhost:8000/x")
    trusted = WebhookPolicy.from_project_raw(
        {"webhooks": {"url": {"allowed_domains": ["localhost"]}}}
    )
    await trusted.check_resolved("https://localhost/x")
    # A name that does not resolve is left to the POST, which fails and is retried.
    await WebhookPolicy().check_resolved("http://no-such-host.invalid/x")


# --- deliver -----------------------------------------------------------------------------


async def test_deliver_posts_json_with_the_configured_headers(receiver: Receiver) -> None:
    payload = {"run_id": "r1", "values": {"messages": [{"content": "héllo"}]}, "n": 1.5}
    status = await deliver(
        f"{receiver.url}/hook?token=abc",
        payload,
        headers={"Authorization": "Bearer s3cret", "content-type": "application/json"},
    )
    assert status == 200
    [request] = receiver.received
    assert (request.method, request.path) == ("POST", "/hook?token=abc")
    assert request.json() == payload
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == "Bearer s3cret"
    assert request.headers["user-agent"].startswith("steadygraph/")


async def test_deliver_encodes_with_steadygraph_serde(receiver: Receiver) -> None:
    from langchain_core.messages import AIMessage

    await deliver(receiver.url, {"values": {"messages": [AIMessage("hi", id="m1")]}}, headers={})
    [message] = receiver.received[0].json()["values"]["messages"]
    assert (message["type"], message["content"], message["id"]) == ("ai", "hi", "m1")


@pytest.mark.parametrize("status, retryable", [(500, True), (503, True), (429, True), (404, False)])
async def test_deliver_raises_on_a_non_2xx_answer(
    receiver: Receiver, status: int, retryable: bool
) -> None:
    receiver.answers.append(status)
    with pytest.raises(WebhookDeliveryError, match=f"answered {status}") as raised:
        await deliver(f"{receiver.url}/hook?token=abc", {"a": 1}, headers={})
    assert raised.value.status_code == status
    assert raised.value.retryable is retryable
    assert "token" not in str(raised.value)  # query strings may carry secrets
    assert len(receiver.received) == 1


async def test_deliver_raises_when_nothing_listens() -> None:
    with pytest.raises(WebhookDeliveryError, match="ConnectError") as raised:
        await deliver(f"http://127.0.0.1:{closed_port()}/hook", {"a": 1}, headers={})
    assert raised.value.retryable and raised.value.status_code is None


async def test_deliver_follows_redirects_only_through_the_policy(receiver: Receiver) -> None:
    receiver.redirects["/moved"] = f"{receiver.url}/here"
    assert await deliver(f"{receiver.url}/moved", {"a": 1}, headers={}, policy=LOCAL) == 200
    assert [(r.method, r.path) for r in receiver.received] == [
        ("POST", "/moved"),
        ("POST", "/here"),
    ]
    assert receiver.received[1].json() == {"a": 1}  # 307 keeps the method and body

    # Without a policy to vet the next hop, a redirect is an answer, not followed.
    receiver.received.clear()
    with pytest.raises(WebhookDeliveryError, match="answered 307") as raised:
        await deliver(f"{receiver.url}/moved", {"a": 1}, headers={})
    assert not raised.value.retryable
    assert len(receiver.received) == 1


async def test_deliver_refuses_a_redirect_to_a_blocked_address(receiver: Receiver) -> None:
    receiver.redirects["/sneaky"] = "http://169.254.169.254/latest/meta-data"
    with pytest.raises(WebhookRejected, match="Webhook host blocked: blocked IP range"):
        await deliver(f"{receiver.url}/sneaky", {"a": 1}, headers={}, policy=LOCAL)
    # The policy vets the first request too.
    with pytest.raises(WebhookRejected, match=LOOPBACK_BLOCKED):
        await deliver(f"{receiver.url}/x", {"a": 1}, headers={}, policy=WebhookPolicy())
    assert [r.path for r in receiver.received] == ["/sneaky"]


# --- the activity ------------------------------------------------------------------------

AGENT = {"assistant_id": "a0000000-0000-0000-0000-000000000001", "graph_id": "agent"}
VALUES = {"messages": [{"type": "ai", "content": "It is foggy."}]}


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'steadygraph.sqlite'}")
    try:
        yield storage
    finally:
        await storage.close()


async def ended_run(
    storage: Storage, webhook: str, *, error: dict[str, str] | None = None, thread_id: str = ""
) -> dict[str, Any]:
    """A run as the workflow leaves it: started, with values saved, then finished."""
    import uuid

    thread_id = thread_id or str(uuid.uuid4())
    if await storage.get_thread(thread_id) is None:
        await storage.create_thread(thread_id, {})
    run_id = str(uuid.uuid4())
    run = await storage.create_run(
        run_id=run_id,
        thread_id=thread_id,
        assistant=AGENT,
        metadata={"graph_id": "agent"},
        kwargs={"input": {}, "webhook": webhook},
        multitask_strategy="enqueue",
    )
    assert run is not None
    await storage.mark_run_running(run_id)
    await storage.save_thread_state(thread_id, {"values": VALUES, "next": [], "interrupts": []})
    await storage.finish_run(run_id, status="error" if error else "success", error=error)
    return run


async def test_activity_posts_the_finished_run(storage: Storage, receiver: Receiver) -> None:
    run = await ended_run(storage, f"{receiver.url}/hook")
    activities = WebhookActivities(
        storage, LOCAL, run_view=lambda r: {**r, "temporal_ui_url": "http://ui/x"}
    )

    await ActivityEnvironment().run(
        activities.deliver_webhook, WebhookInput(run["run_id"], run["thread_id"])
    )

    [request] = receiver.received
    assert request.path == "/hook"
    body = request.json()
    stored = await storage.get_run(run["run_id"])
    assert stored is not None
    for key, value in stored.items():
        assert body[key] == value, key
    assert body["status"] == "success"
    assert body["temporal_ui_url"] == "http://ui/x"
    assert body["values"] == VALUES
    assert "error" not in body
    started, ended = await storage.get_run_times(run["run_id"])
    assert (body["run_started_at"], body["run_ended_at"]) == (started, ended)
    assert started and ended and body["webhook_sent_at"] >= ended


async def test_activity_reports_a_failed_run(storage: Storage, receiver: Receiver) -> None:
    error = {"error": "FlakyError", "message": "flaky node failed on purpose"}
    run = await ended_run(storage, "http://unused.example.com/", error=error)

    await ActivityEnvironment().run(
        WebhookActivities(storage, LOCAL).deliver_webhook,
        WebhookInput(run["run_id"], run["thread_id"], f"{receiver.url}/explicit"),
    )

    [request] = receiver.received
    assert request.path == "/explicit"  # the input's url wins over the stored one
    body = request.json()
    assert body["status"] == "error"
    assert body["values"] == {"__error__": error}
    assert body["error"] == error


async def test_activity_sends_configured_headers_and_allowed_fields(
    storage: Storage, receiver: Receiver
) -> None:
    policy = WebhookPolicy.from_project_raw(
        {
            "webhooks": {
                "url": {"require_https": False, "disable_loopback": False},
                "headers": {"X-Signature": "${{ env.LG_WEBHOOK_SIG }}"},
                "allowed_fields": ["run_id", "status", "values"],
            }
        },
        environ={"LG_WEBHOOK_SIG": "sig"},
    )
    run = await ended_run(storage, receiver.url)
    await ActivityEnvironment().run(
        WebhookActivities(storage, policy).deliver_webhook,
        WebhookInput(run["run_id"], run["thread_id"]),
    )
    [request] = receiver.received
    assert request.headers["x-signature"] == "sig"
    assert request.json() == {"run_id": run["run_id"], "status": "success", "values": VALUES}


async def test_activity_skips_deleted_runs_and_disabled_webhooks(
    storage: Storage, receiver: Receiver
) -> None:
    run = await ended_run(storage, receiver.url)
    disabled = WebhookPolicy(disable_loopback=False, disabled=True)
    await ActivityEnvironment().run(
        WebhookActivities(storage, disabled).deliver_webhook,
        WebhookInput(run["run_id"], run["thread_id"]),
    )
    await storage.delete_run_record(run["run_id"])
    await ActivityEnvironment().run(
        WebhookActivities(storage, LOCAL).deliver_webhook,
        WebhookInput(run["run_id"], run["thread_id"]),
    )
    assert receiver.received == []


async def test_activity_failures_tell_temporal_whether_to_retry(
    storage: Storage, receiver: Receiver
) -> None:
    run = await ended_run(storage, f"{receiver.url}/hook")
    ref = WebhookInput(run["run_id"], run["thread_id"])

    # The policy changed since the run was accepted: never retried.
    with pytest.raises(ApplicationError, match=LOOPBACK_BLOCKED) as raised:
        await ActivityEnvironment().run(
            WebhookActivities(storage, WebhookPolicy()).deliver_webhook, ref
        )
    assert raised.value.type == "WebhookRejected" and raised.value.non_retryable

    activities = WebhookActivities(storage, LOCAL)
    receiver.answers.append(500)
    with pytest.raises(ApplicationError, match="answered 500") as raised:
        await ActivityEnvironment().run(activities.deliver_webhook, ref)
    assert raised.value.type == "WebhookDeliveryError" and not raised.value.non_retryable

    receiver.answers.append(400)
    with pytest.raises(ApplicationError, match="answered 400") as raised:
        await ActivityEnvironment().run(activities.deliver_webhook, ref)
    assert raised.value.non_retryable

    await ActivityEnvironment().run(activities.deliver_webhook, ref)
    assert len(receiver.received) == 3
