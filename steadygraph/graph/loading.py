"""Importing and binding the graphs declared in langgraph.json (worker side only).

The API process must not import this module's targets: it only needs
:mod:`steadygraph.config.project`. Workers build one :class:`GraphRegistry`, call
:meth:`GraphRegistry.load_all` once at startup, then per run ask for a graph bound to
the run's checkpointer with :meth:`GraphRegistry.get` or :meth:`GraphRegistry.open_graph`.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import importlib.util
import inspect
import logging
import os
import re
import sys
import typing
from collections.abc import AsyncIterator, Callable
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    asynccontextmanager,
    contextmanager,
)
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import StateGraph
from langgraph.pregel import Pregel
from langgraph.store.base import BaseStore
from langgraph_sdk.auth.types import BaseUser
from langgraph_sdk.runtime import AccessContext, ServerRuntime, _ExecutionRuntime, _ReadRuntime

from steadygraph.config.project import ConfigError, GraphSpec, ProjectConfig

__all__ = ["GraphLoadError", "GraphRegistry", "UnknownGraphError"]

logger = logging.getLogger(__name__)

_RUNTIME_CLASSES = (_ExecutionRuntime, _ReadRuntime)

# Name LangGraph gives a compiled graph when the user did not pick one. Like LangGraph
# Server we rename such graphs to their graph id, so run/event names read "agent".
_DEFAULT_GRAPH_NAME = "LangGraph"


class GraphLoadError(ConfigError):
    """A graph could not be imported, resolved or built; the message names the graph id."""


class UnknownGraphError(GraphLoadError, KeyError):
    """Raised for a graph id that langgraph.json does not declare."""

    def __str__(self) -> str:
        # KeyError.__str__ would repr() the message and wrap it in quotes.
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class _Factory:
    """A graph factory and the arguments it declares: the run's config (by name,
    or positionally through *args) and/or LangGraph Server's `ServerRuntime`."""

    fn: Callable[..., Any]
    config_param: str | None = None  # "*" for a bare *args
    runtime_param: str | None = None
    positional_only: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Entry:
    spec: GraphSpec
    # A compiled graph (StateGraphs are compiled once at load) or a factory called per run.
    target: Pregel | _Factory


class GraphRegistry:
    """The graphs of one project, imported once per worker process."""

    def __init__(self, project: ProjectConfig) -> None:
        self.project = project
        self._entries: dict[str, _Entry] = {}
        self._loaded = False

    @property
    def graph_ids(self) -> list[str]:
        return list(self.project.graphs)

    def spec(self, graph_id: str) -> GraphSpec:
        try:
            return self.project.graphs[graph_id]
        except KeyError:
            raise self._unknown(graph_id) from None

    def is_factory(self, graph_id: str) -> bool:
        return isinstance(self._entry(graph_id).target, _Factory)

    def load_all(self) -> None:
        """Apply env, extend sys.path and import every graph. Idempotent."""
        if self._loaded:
            return
        apply_env(self.project.env)
        add_project_to_sys_path(self.project)
        entries = {gid: _load_entry(spec) for gid, spec in self.project.graphs.items()}
        self._entries = entries
        self._loaded = True
        for graph_id, entry in entries.items():
            if isinstance(entry.target, Pregel):  # a factory's nodes are known only per run
                self._warn_unknown_policy_nodes(graph_id, list(entry.target.nodes))

    def _warn_unknown_policy_nodes(self, graph_id: str, nodes: list[str]) -> None:
        # The API cannot check node names (it imports no graph); a misspelt
        # one would silently keep the graph's step policy.
        for node in self.project.run_policy.unknown_nodes(graph_id, nodes):
            logger.warning(
                "%s: steadygraph.graphs.%s.nodes: graph %r has no node %r; its entry "
                "applies to nothing (nodes: %s)",
                self.project.path.name,
                graph_id,
                graph_id,
                node,
                ", ".join(n for n in nodes if not n.startswith("__")),
            )

    async def get(
        self,
        graph_id: str,
        config: dict[str, Any] | None = None,
        *,
        checkpointer: BaseCheckpointSaver | None,
        store: BaseStore | None = None,
        access: AccessContext = "threads.create_run",
        context: Any = None,
    ) -> Pregel:
        """Return the graph bound to `checkpointer` (and `store` if given).

        The shared compiled graph is never mutated: a shallow copy carries the binding.
        Factories are called on every call, since they may build per-run graphs,
        with what they declare: `config` and/or a ServerRuntime for `access` (why the
        graph is wanted; `context` is the run's, for execution). Context-manager
        factories need :meth:`open_graph` (they must be exited).
        """
        entry = self._entry(graph_id)
        if isinstance(entry.target, Pregel):
            return _bind(entry.target, graph_id, checkpointer, store)
        produced = await _call_factory(entry.target, config, store, access, context)
        if isinstance(produced, AbstractAsyncContextManager | AbstractContextManager):
            raise GraphLoadError(
                f"{_label(entry.spec)}: factory {entry.spec.import_path} returns a context "
                "manager; use GraphRegistry.open_graph() so it can be exited after the run"
            )
        return _bind(_as_pregel(produced, entry.spec), graph_id, checkpointer, store)

    @asynccontextmanager
    async def open_graph(
        self,
        graph_id: str,
        config: dict[str, Any] | None = None,
        *,
        checkpointer: BaseCheckpointSaver | None,
        store: BaseStore | None = None,
        access: AccessContext = "threads.create_run",
        context: Any = None,
    ) -> AsyncIterator[Pregel]:
        """Like :meth:`get`, and also supports factories that are (async) context managers.

        The context manager is exited when the ``async with`` block ends.
        """
        entry = self._entry(graph_id)
        if isinstance(entry.target, Pregel):
            yield _bind(entry.target, graph_id, checkpointer, store)
            return
        produced = await _call_factory(entry.target, config, store, access, context)
        if isinstance(produced, AbstractAsyncContextManager):
            async with produced as value:
                yield _bind(_as_pregel(value, entry.spec), graph_id, checkpointer, store)
        elif isinstance(produced, AbstractContextManager):
            with produced as value:
                yield _bind(_as_pregel(value, entry.spec), graph_id, checkpointer, store)
        else:
            yield _bind(_as_pregel(produced, entry.spec), graph_id, checkpointer, store)

    def _entry(self, graph_id: str) -> _Entry:
        if graph_id not in self.project.graphs:
            raise self._unknown(graph_id)
        # Lazy so callers that forget load_all() still work; load_all() is idempotent.
        self.load_all()
        return self._entries[graph_id]

    def _unknown(self, graph_id: str) -> UnknownGraphError:
        known = ", ".join(repr(g) for g in self.graph_ids)
        return UnknownGraphError(
            f"{self.project.path.name}: no graph {graph_id!r} (declared graphs: {known})"
        )


# --- environment and import path ----------------------------------------------------


def apply_env(env: dict[str, str]) -> None:
    """Export langgraph.json's `env` into os.environ; variables already set win.

    langgraph-api's dev server overwrites existing variables with the file's values. We
    deliberately do the opposite: Steadygraph is run by an operator (systemd, Docker,
    Kubernetes secrets) and langgraph.json/.env usually hold checked-in dev defaults; a
    default must never silently replace a key or URL the operator set for this process.
    This is the convention of python-dotenv (override=False) and docker compose.
    """
    for key, value in env.items():
        os.environ.setdefault(key, value)


def add_project_to_sys_path(project: ProjectConfig) -> None:
    """Make the project's modules importable the way LangGraph Server does: its
    `dependencies`, then its own directory, ahead of installed packages (so the
    project's code shadows a stale installed copy of itself; first dependency wins).

    Our own code cannot be shadowed by this: every module of ours lives under the
    `steadygraph` package, which is already imported, so its submodules resolve
    through `steadygraph.__path__`, never through sys.path. A project may have its
    own `api`, `workflows` or `activities` packages.
    """
    for path in reversed([*project.dependencies, project.base_dir]):
        entry = str(path)
        if entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)
    # Finders cache directory listings; files created after startup (tests, dev reload)
    # would otherwise be invisible.
    importlib.invalidate_caches()


# --- importing ----------------------------------------------------------------------


def _label(spec: GraphSpec) -> str:
    return f"langgraph.json: graphs[{spec.graph_id!r}]"


def _load_entry(spec: GraphSpec) -> _Entry:
    module = _import_module(spec)
    value = _resolve_attr(module, spec)
    return _classify(value, spec)


def _import_module(spec: GraphSpec) -> ModuleType:
    try:
        if spec.file is not None:
            return import_file(spec.file)
        return importlib.import_module(spec.module)
    except Exception as exc:  # user code may raise anything while importing
        raise GraphLoadError(
            f"{_label(spec)}: failed to import {spec.module}: {type(exc).__name__}: {exc}"
        ) from exc


def _module_name_for(file: Path) -> str:
    # Unique per absolute path: two projects may both have an "agent.py", and a name
    # like "agent" could shadow a real package.
    digest = hashlib.sha1(str(file).encode(), usedforsecurity=False).hexdigest()[:10]
    stem = re.sub(r"\W", "_", file.stem)
    return f"_steadygraph_graph_{stem}_{digest}"


def import_file(file: Path) -> ModuleType:
    """Import a project's Python file once, under a name unique to its path."""
    name = _module_name_for(file)
    cached = sys.modules.get(name)
    if cached is not None:
        # Several graph ids may point into the same file; execute it only once.
        return cached
    module_spec = importlib.util.spec_from_file_location(name, file)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot build an import spec for {file}")
    module = importlib.util.module_from_spec(module_spec)
    # Registered before executing, as the import system does: dataclasses, pydantic and
    # pickling look the module up in sys.modules while it runs.
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _resolve_attr(module: ModuleType, spec: GraphSpec) -> Any:
    value: Any = module
    for part in spec.attr.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise GraphLoadError(
                f"{_label(spec)}: attribute {spec.attr!r} not found in {spec.module}"
                f"{_suggestion(module)}"
            ) from None
    return value


def _suggestion(module: ModuleType) -> str:
    candidates = [
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and isinstance(value, Pregel | StateGraph)
    ]
    return f" (graphs defined there: {', '.join(candidates)})" if candidates else ""


# --- classifying --------------------------------------------------------------------


def _classify(value: Any, spec: GraphSpec) -> _Entry:
    if isinstance(value, Pregel):
        _warn_if_persistence_attached(value, spec)
        return _Entry(spec=spec, target=value)
    if isinstance(value, StateGraph):
        return _Entry(spec=spec, target=_compile(value, spec))
    if callable(value) and not inspect.isclass(value):
        return _Entry(spec=spec, target=_make_factory(value, spec))
    raise GraphLoadError(
        f"{_label(spec)}: attribute {spec.attr!r} of {spec.module} is a "
        f"{type(value).__name__}, not a LangGraph graph, StateGraph or graph factory"
    )


def _compile(builder: StateGraph, spec: GraphSpec) -> Pregel:
    try:
        # No checkpointer here: each run binds its own via Pregel.copy().
        return builder.compile()
    except Exception as exc:
        raise GraphLoadError(
            f"{_label(spec)}: StateGraph {spec.import_path} does not compile: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


def _warn_if_persistence_attached(graph: Pregel, spec: GraphSpec) -> None:
    if graph.checkpointer not in (None, False, True):
        logger.warning(
            "%s: graph was compiled with its own checkpointer; Steadygraph replaces it "
            "with the server's checkpointer for every run",
            _label(spec),
        )


def _make_factory(fn: Callable[..., Any], spec: GraphSpec) -> _Factory:
    # Undecorated generator functions are treated as context managers, as their
    # cleanup code after `yield` must run once the run is over.
    original = fn
    if inspect.isasyncgenfunction(fn):
        fn = asynccontextmanager(fn)
    elif inspect.isgeneratorfunction(fn):
        fn = contextmanager(fn)
    try:
        signature = inspect.signature(original)
    except (TypeError, ValueError):
        # Builtins/C callables without a signature: assume the documented one-arg form.
        return _Factory(fn=fn, config_param="*")
    return _classify_params(fn, signature, _type_hints(original), spec)


def _type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    # String annotations (`from __future__ import annotations`, or ServerRuntime
    # imported under TYPE_CHECKING only) resolve against the runtime types too.
    localns = {"ServerRuntime": ServerRuntime, "RunnableConfig": RunnableConfig}
    try:
        return typing.get_type_hints(fn, localns=localns)
    except Exception:
        return {}


def _is_runtime(annotation: Any) -> bool:
    """`ServerRuntime`, `ServerRuntime[Ctx]`, its concrete variants, or any of
    them inside `Annotated[...]`/`Optional[...]`."""
    if annotation is ServerRuntime:
        return True
    if isinstance(annotation, type):
        return issubclass(annotation, _RUNTIME_CLASSES)
    if isinstance(annotation, str):
        return annotation.split("[")[0].strip() == "ServerRuntime"
    origin = typing.get_origin(annotation)
    if origin is ServerRuntime:
        return True
    return origin is not None and any(_is_runtime(arg) for arg in typing.get_args(annotation))


def _classify_params(
    fn: Callable[..., Any],
    signature: inspect.Signature,
    hints: dict[str, Any],
    spec: GraphSpec,
) -> _Factory:
    """Which parameter takes the config and which the ServerRuntime, as LangGraph
    Server tells them apart: the runtime by its annotation, the config is the other
    one. Further parameters must have defaults."""
    params = list(signature.parameters.values())
    named = [
        p
        for p in params
        if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    runtime = [p for p in named if _is_runtime(hints.get(p.name, p.annotation))]
    others = [p for p in named if p not in runtime]
    required = [p for p in others if p.default is inspect.Parameter.empty]
    if len(runtime) > 1 or len(required) > 1:
        names = ", ".join(p.name for p in [*runtime, *required])
        raise GraphLoadError(
            f"{_label(spec)}: graph factory {spec.import_path} must take at most a "
            f"config (RunnableConfig) and a runtime (ServerRuntime), but requires: {names}"
        )
    config_param: str | None = None
    if required:
        config_param = required[0].name
    elif others and others[0].kind is not inspect.Parameter.KEYWORD_ONLY:
        config_param = others[0].name  # optional first parameter: still the config
    elif any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        config_param = "*"
    return _Factory(
        fn=fn,
        config_param=config_param,
        runtime_param=runtime[0].name if runtime else None,
        positional_only=frozenset(
            p.name for p in named if p.kind is inspect.Parameter.POSITIONAL_ONLY
        ),
    )


# --- calling and binding ------------------------------------------------------------


async def _call_factory(
    factory: _Factory,
    config: dict[str, Any] | None,
    store: BaseStore | None,
    access: AccessContext,
    context: Any,
) -> Any:
    values: dict[str, Any] = {}
    if factory.config_param is not None:
        values[factory.config_param] = _copy_config(config)
    if factory.runtime_param is not None:
        values[factory.runtime_param] = server_runtime(access, store, context, config)
    args = [values.pop(name) for name in list(values) if name in factory.positional_only]
    if "*" in values:
        args.append(values.pop("*"))
    result = factory.fn(*args, **values)
    if inspect.isawaitable(result):
        result = await result
    return result


def server_runtime(
    access: AccessContext, store: BaseStore | None, context: Any, config: dict[str, Any] | None
) -> Any:
    """LangGraph Server's ServerRuntime for a factory call: the execution variant
    (with the run's context) for `threads.create_run`, the read variant otherwise."""
    user = ((config or {}).get("configurable") or {}).get("langgraph_auth_user")
    if not isinstance(user, BaseUser):
        user = None
    store = store if store is not None else _no_store()
    if access == "threads.create_run":
        return _ExecutionRuntime(
            access_context=access,
            user=user,
            store=store,
            # A shallow copy: the factory may change what it got, the run keeps its own.
            context=copy.copy(context),
        )
    return _ReadRuntime(access_context=access, user=user, store=store)


def _no_store() -> BaseStore:
    # Only a caller without the server's store (a unit test) gets here; the
    # runtime's `store` is never None, as the SDK's type says.
    from langgraph.store.memory import InMemoryStore

    return InMemoryStore()


def _copy_config(config: dict[str, Any] | None) -> dict[str, Any]:
    # Factories may mutate what they get; the caller's config is reused for the run.
    config = dict(config or {})
    config["configurable"] = dict(config.get("configurable") or {})
    return config


def _as_pregel(value: Any, spec: GraphSpec) -> Pregel:
    if isinstance(value, Pregel):
        return value
    if isinstance(value, StateGraph):
        return _compile(value, spec)
    raise GraphLoadError(
        f"{_label(spec)}: factory {spec.import_path} returned a {type(value).__name__}, "
        "not a LangGraph graph or StateGraph"
    )


def _bind(
    graph: Pregel,
    graph_id: str,
    checkpointer: BaseCheckpointSaver | None,
    store: BaseStore | None,
) -> Pregel:
    update: dict[str, Any] = {"checkpointer": checkpointer}
    if store is not None:
        update["store"] = store
    if graph.name == _DEFAULT_GRAPH_NAME:
        update["name"] = graph_id
    return graph.copy(update=update)
