"""A real browser (Debian's headless Chromium, driven by Playwright) loads a page
from another origin that uses the JS SDK, @langchain/langgraph-sdk, against
`steadygraph dev`: it creates a thread, streams a run and reads the state, and
sends a JSON body as text/plain as a browser's preflight-free fetch does.

Needs `chromium` (Debian) and `npm ci` in tests/browser; .ci/run provides both."""

from __future__ import annotations

import functools
import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from harness import DevServer
from playwright.async_api import async_playwright

from steadygraph.dev.temporal_server import free_port

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

PAGE = """<!doctype html>
<html>
<head>
<script type="importmap">
{"imports": {"@langchain/langgraph-sdk": "/langgraph-sdk.mjs"}}
</script>
</head>
<body>
<script type="module">
import { Client } from "@langchain/langgraph-sdk";

const API = API_URL;
try {
  const client = new Client({ apiUrl: API });
  const thread = await client.threads.create({ metadata: { from: "browser" } });
  const events = [];
  let last = null;
  for await (const chunk of client.runs.stream(thread.thread_id, "agent", {
    input: { messages: [{ role: "human", content: "what's the weather in sf" }] },
    streamMode: ["values", "messages-tuple"],
  })) {
    events.push(chunk.event);
    if (chunk.event === "values") last = chunk.data;
  }
  const state = await client.threads.getState(thread.thread_id);
  // No preflight: a string body goes as text/plain.
  const plain = await fetch(API + "/threads/search", {
    method: "POST",
    body: JSON.stringify({ metadata: { from: "browser" } }),
  });
  window.__result = {
    thread_id: thread.thread_id,
    events: [...new Set(events)],
    streamed_last: last.messages.at(-1).content,
    state_last: state.values.messages.at(-1).content,
    plain_status: plain.status,
    plain_found: (await plain.json()).map((t) => t.thread_id),
  };
} catch (error) {
  window.__result = { error: String(error && error.stack || error) };
}
</script>
</body>
</html>
"""


def _bundle(into: Path) -> Path:
    """The SDK as one ES module, built from tests/browser/node_modules."""
    esbuild = HERE / "node_modules" / ".bin" / "esbuild"
    if not esbuild.exists():
        pytest.fail("tests/browser/node_modules is missing: run `npm ci` in tests/browser")
    out = into / "langgraph-sdk.mjs"
    subprocess.run(
        [
            str(esbuild),
            "sdk-entry.mjs",
            "--bundle",
            "--format=esm",
            "--platform=browser",
            f"--outfile={out}",
            "--log-level=warning",
        ],
        cwd=HERE,
        check=True,
        timeout=120,
    )
    return out


@pytest.fixture
def page_origin(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static server on its own port: the page's origin differs from the API's."""
    root = tmp_path / "site"
    root.mkdir()
    _bundle(root)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", root
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript"}

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    server = DevServer(tmp_path_factory.mktemp("dev")).start()
    try:
        yield server
    finally:
        server.stop()


def test_dev_prints_the_studio_url_and_lets_studio_in(dev_server: DevServer) -> None:
    # As `langgraph dev`: LangGraph Studio's URL for this server, and an answer to
    # Chrome's Private Network Access preflight (Studio is a public site).
    studio = f"https://smith.langchain.com/studio/?baseUrl={dev_server.url}"
    # The whole log: read_log() keeps only its tail, which the worker's start-up
    # lines may fill.
    assert f"Studio:       {studio}" in dev_server.log_path.read_text(errors="replace")
    preflight = httpx.options(
        f"{dev_server.url}/threads",
        headers={
            "Origin": "https://smith.langchain.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-private-network"] == "true"


async def test_js_sdk_in_a_browser_on_another_origin(
    dev_server: DevServer, page_origin: tuple[str, Path]
) -> None:
    origin, root = page_origin
    (root / "index.html").write_text(PAGE.replace("API_URL", json.dumps(dev_server.url)))
    async with async_playwright() as playwright:
        # Debian's chromium: no browser download is possible (or wanted) here.
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            await page.goto(f"{origin}/index.html")
            await page.wait_for_function("window.__result !== undefined", timeout=90_000)
            result = await page.evaluate("window.__result")
        finally:
            await browser.close()

    assert "error" not in result, (result, console)
    assert result["events"] == ["metadata", "values", "messages"]
    answer = "The weather in San Francisco is 60 degrees and foggy."
    assert result["streamed_last"] == result["state_last"] == answer
    assert result["plain_status"] == 200
    assert result["thread_id"] in result["plain_found"]
