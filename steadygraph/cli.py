"""`steadygraph dev | api | worker | migrate`.

`dev` is the all-in-one for a laptop: the embedded Temporal server, a worker
process and the API. `api` and `worker` are the separate, replicable processes
of a production deployment, pointed at TEMPORAL_ADDRESS and a database URL.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from steadygraph.config.project import ConfigError, load_project
from steadygraph.config.settings import Settings, SettingsError
from steadygraph.dev.processes import spawn, stop
from steadygraph.dev.supervisor import WorkerStartFailed, WorkerSupervisor
from steadygraph.logs import configure_logging

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger("steadygraph")


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        help="path to langgraph.json (env STEADYGRAPH_CONFIG; default ./langgraph.json)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="where SQLite files and Temporal state "
        "live (env STEADYGRAPH_DATA_DIR; default ./.steadygraph)",
    )
    parser.add_argument(
        "--database-url",
        help="PostgreSQL URL instead of SQLite (env STEADYGRAPH_DATABASE_URL or DATABASE_URL)",
    )
    parser.add_argument("--task-queue", help="Temporal task queue (env STEADYGRAPH_TASK_QUEUE)")


def _add_http(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="interface to serve on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to serve on (default 8123)")


def _at_least_one(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {number}")
    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="steadygraph", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="embedded Temporal server + worker + API, all in one")
    _add_common(dev)
    _add_http(dev)
    dev.add_argument(
        "--temporal-port",
        type=int,
        default=7233,
        help="gRPC port of the embedded Temporal server (default 7233)",
    )
    dev.add_argument(
        "--temporal-ui-port",
        type=int,
        default=8233,
        help="port of the Temporal Web UI (default 8233)",
    )
    dev.add_argument("--no-temporal-ui", action="store_true", help="run Temporal headless")
    dev.add_argument(
        "--workers",
        type=_at_least_one,
        help="worker processes (env STEADYGRAPH_DEV_WORKERS; default 2, or 1 on one core): "
        "one worker's Python runs on one core, so more use more cores",
    )

    api = commands.add_parser("api", help="the HTTP API alone (needs TEMPORAL_ADDRESS)")
    _add_common(api)
    _add_http(api)
    api.add_argument("--temporal-address", help="host:port of Temporal (env TEMPORAL_ADDRESS)")

    worker = commands.add_parser("worker", help="a Temporal worker alone (needs TEMPORAL_ADDRESS)")
    _add_common(worker)
    worker.add_argument("--temporal-address", help="host:port of Temporal (env TEMPORAL_ADDRESS)")
    worker.add_argument("--ready-file", type=Path, help=argparse.SUPPRESS)

    migrate = commands.add_parser(
        "migrate",
        help="bring the database schema up to date, then exit (API and worker also do at start)",
    )
    _add_common(migrate)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env().with_overrides(
        config_path=args.config,
        data_dir=args.data_dir,
        database_url=args.database_url,
        task_queue=args.task_queue,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        temporal_address=getattr(args, "temporal_address", None),
        dev_workers=getattr(args, "workers", None),
    )


def _serve_api(settings: Settings) -> None:
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from steadygraph.api.app import create_app

    try:
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            access_log=False,
            # JSON logs: uvicorn's own lines go through our (JSON) root handler.
            log_config=None if settings.log_format == "json" else LOGGING_CONFIG,
        )
    finally:
        # On SIGTERM/SIGINT uvicorn stops accepting, ends the open run streams
        # and drops the thread streams (sse-starlette, api/sse.py), answers the
        # requests in progress, then re-raises the signal
        # (SystemExit/KeyboardInterrupt here).
        log.info("API stopped")


def _run_worker(settings: Settings, ready_file: Path | None) -> None:
    from steadygraph.worker import load_graphs, run_worker

    graphs = load_graphs(settings)  # a bad graph entry stops here, before connecting

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_signal(sig: signal.Signals) -> None:
            if stop.is_set():
                log.info("%s again: still draining; SIGKILL stops the worker at once", sig.name)
            else:
                log.info("%s received", sig.name)
                stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal, sig)
        task = asyncio.create_task(run_worker(settings, stop=stop, graphs=graphs))
        if ready_file:
            # Polling starts as soon as the worker is entered; give it a moment.
            await asyncio.sleep(0.5)
            if not task.done():
                await asyncio.to_thread(ready_file.write_text, str(os.getpid()))
        await task

    asyncio.run(main())


def _child_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    if not settings.temporal_connect:
        # The embedded server (or a plain one): a profile's API key or TLS must not reach
        # the worker, which reads Temporal's client config from its environment again.
        env = {k: v for k, v in env.items() if not k.startswith("TEMPORAL_")}
        env["TEMPORAL_CONFIG_FILE"] = os.devnull
    env.update(
        STEADYGRAPH_CONFIG=str(settings.config_path.resolve()),
        STEADYGRAPH_DATA_DIR=str(settings.data_dir.resolve()),
        STEADYGRAPH_TASK_QUEUE=settings.task_queue,
        TEMPORAL_ADDRESS=settings.temporal_address or "",
        TEMPORAL_NAMESPACE=settings.temporal_namespace,
    )
    if settings.database_url:
        env["STEADYGRAPH_DATABASE_URL"] = settings.database_url
    if settings.temporal_ui_url:
        env["STEADYGRAPH_TEMPORAL_UI_URL"] = settings.temporal_ui_url
    return env


WORKER_PID_FILE = "worker.pid"


def worker_pid_file(index: int) -> str:
    """The pid file of dev's worker number `index` (0: the first, `worker.pid`)."""
    return WORKER_PID_FILE if index == 0 else f"worker-{index + 1}.pid"


# How much longer than its shutdown grace `dev` gives its worker to stop
# before killing it: time to hand the steps back and disconnect.
WORKER_STOP_MARGIN_S = 10.0


def _spawn_ready_worker(
    settings: Settings, index: int, cancelled: Callable[[], bool] = lambda: False
) -> subprocess.Popen[bytes]:
    """Start a worker process and return once it polls its task queue.

    Raises WorkerStartFailed when it exits first. The worker gets a session of
    its own, so a Ctrl-C in the terminal reaches only `dev`, which then stops
    the worker itself (and does not mistake its exit for a crash).
    """
    ready = settings.data_dir / f"worker-{os.getpid()}-{index}.ready"
    ready.unlink(missing_ok=True)
    process = spawn(
        [sys.executable, "-P", "-m", "steadygraph", "worker", "--ready-file", str(ready)],
        env=_child_env(settings),
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not ready.exists() and not cancelled():
        if process.poll() is not None:
            raise WorkerStartFailed(process.returncode)
        if time.monotonic() > deadline:
            stop(process)
            raise WorkerStartFailed(None)
        time.sleep(0.1)
    ready.unlink(missing_ok=True)
    return process


def _write_worker_pid(settings: Settings, index: int, process: subprocess.Popen[bytes]) -> None:
    # For operators and tests: which process is dev's worker `index` right now.
    path = settings.data_dir / worker_pid_file(index)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(f"{process.pid}\n")
    temporary.replace(path)


def _start_worker_process(settings: Settings, index: int) -> subprocess.Popen[bytes]:
    try:
        process = _spawn_ready_worker(settings, index)
    except WorkerStartFailed as exc:
        if exc.exit_code is None:
            raise SystemExit("steadygraph: the worker did not start within 120 s") from exc
        raise SystemExit(2) from exc  # the worker printed why (e.g. a bad graph entry)
    _write_worker_pid(settings, index, process)
    return process


def _supervise_worker(settings: Settings, index: int) -> WorkerSupervisor:
    return WorkerSupervisor(
        _start_worker_process(settings, index),
        start_worker=lambda cancelled: _spawn_ready_worker(settings, index, cancelled),
        on_started=lambda process: _write_worker_pid(settings, index, process),
        # The worker drains its running steps for the grace period first.
        stop_timeout_s=settings.shutdown_grace_s + WORKER_STOP_MARGIN_S,
    ).start()


def _dev(settings: Settings, args: argparse.Namespace) -> None:
    from steadygraph.dev.temporal_server import EmbeddedTemporal, TemporalServerError

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    embedded = None
    if not settings.temporal_address:
        embedded = EmbeddedTemporal(
            data_dir=settings.data_dir,
            port=args.temporal_port,
            ui_port=None if args.no_temporal_ui else args.temporal_ui_port,
            namespace=settings.temporal_namespace,
        )
        try:
            embedded.start()
        except TemporalServerError as exc:
            raise SystemExit(f"steadygraph: {exc}") from exc
        settings = settings.with_overrides(
            temporal_address=embedded.address,
            temporal_ui_url=settings.temporal_ui_url or embedded.ui_url,
            # Plain loopback gRPC: no API key or TLS of a Temporal profile applies.
            temporal_connect={},
        )
    # A laptop's dev server: LangGraph Studio, a public site, may call it.
    settings = settings.with_overrides(allow_private_network=True)
    supervisors: list[WorkerSupervisor] = []
    try:
        for index in range(settings.dev_workers):
            supervisors.append(_supervise_worker(settings, index))
        base = f"http://{settings.host}:{settings.port}"
        print(
            "\nSteadygraph is up\n"
            f"  API:          {base}\n"
            f"  Studio:       {studio_url(base)}\n"
            f"  API docs:     {base}/docs\n"
            f"  Temporal UI:  {settings.temporal_ui_url or '(headless)'}\n"
            f"  Temporal:     {settings.temporal_address}\n"
            f"  data dir:     {settings.data_dir.resolve()}\n"
            "Press Ctrl-C to stop.\n",
            flush=True,
        )
        _serve_api(settings)
    finally:
        if supervisors:
            log.info(
                "stopping the worker%s (running steps have up to %g s to finish)",
                "s" if len(supervisors) > 1 else "",
                settings.shutdown_grace_s,
            )
            # All at once: each drains its running steps for the same grace.
            stoppers = [threading.Thread(target=supervisor.shutdown) for supervisor in supervisors]
            for stopper in stoppers:
                stopper.start()
            for stopper in stoppers:
                stopper.join()
            for index in range(len(supervisors)):
                (settings.data_dir / worker_pid_file(index)).unlink(missing_ok=True)
        if embedded is not None:
            log.info("stopping the Temporal server")
            embedded.stop()
        log.info("stopped")


async def _schema_revisions(engine: AsyncEngine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: set(MigrationContext.configure(sync).get_current_heads())
        )


async def _migrate_database(settings: Settings) -> tuple[set[str], set[str]]:
    """Steadygraph's schema and LangGraph's checkpoint tables. The store's
    tables depend on langgraph.json's `store.index`, so the API and worker
    create those at start-up."""
    from steadygraph.graph.checkpointer import open_checkpointer
    from steadygraph.storage.engine import create_engine, migrate

    engine = create_engine(settings.storage_url)
    try:
        before = await _schema_revisions(engine)
        await migrate(engine)
        after = await _schema_revisions(engine)
    finally:
        await engine.dispose()
    async with open_checkpointer(settings):
        pass  # opening it runs the checkpointer's own setup()
    return before, after


def _migrate(settings: Settings) -> None:
    from sqlalchemy.engine import make_url

    where = make_url(settings.storage_url).render_as_string(hide_password=True)
    try:
        before, after = asyncio.run(_migrate_database(settings))
    except Exception as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"steadygraph: could not migrate {where}: {reason}", file=sys.stderr)
        raise SystemExit(1) from exc
    revisions = ", ".join(sorted(after)) or "(none)"
    if before == after:
        print(f"steadygraph: {where} is up to date (revision {revisions}); nothing to do")
    else:
        previous = ", ".join(sorted(before)) or "an empty database"
        print(f"steadygraph: migrated {where} from {previous} to revision {revisions}")


# Set once printed, so `dev`'s worker process (which inherits it) stays quiet.
_NOTICES_SHOWN = "STEADYGRAPH_CONFIG_NOTICES_SHOWN"


def _print_notices(notices: tuple[str, ...]) -> None:
    """langgraph.json keys accepted but without effect here: one line each."""
    if os.environ.get(_NOTICES_SHOWN) == "1":
        return
    for notice in notices:
        print(f"steadygraph: warning: {notice}", file=sys.stderr, flush=True)
    os.environ[_NOTICES_SHOWN] = "1"


def studio_url(base: str) -> str:
    """LangGraph Studio opened on this server (as `langgraph dev` prints it)."""
    return f"https://smith.langchain.com/studio/?baseUrl={base}"


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    # A stop that was asked for is a clean exit (as Ctrl-C's is).
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    # uvicorn re-raises the signal that stopped it once it has shut down; a
    # Python-level handler turns that into SystemExit so `finally` blocks still
    # stop the worker and Temporal.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        settings = _settings(args)
        configure_logging(settings.log_format)
        if args.command == "migrate":  # needs no langgraph.json
            _migrate(settings)
            return
        project = load_project(settings.config_path)  # fail fast, with the entry named
        _print_notices(project.notices)
        if args.command == "dev":
            _dev(settings, args)
        elif args.command == "api":
            _serve_api(settings)
        else:
            _run_worker(settings, args.ready_file)
    except (ConfigError, SettingsError) as exc:
        print(f"steadygraph: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    except KeyboardInterrupt:
        pass
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    if args.command != "migrate":
        _end_without_finalizing()


def _end_without_finalizing() -> None:
    """A clean stop of a process that used Temporal's client ends here, exit
    code 0. The SDK's Rust threads outlive the event loop and may call into
    Python while the interpreter finalizes, which aborts the process ("Fatal
    Python error: PyGILState_Release", SIGABRT; temporalio/sdk-python#300).
    Exit handlers (tracing and LangSmith flushes) still run first; nothing of
    ours is left to finalize."""
    atexit._run_exitfuncs()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
