"""LangGraph's own long-term memory stores, configured from langgraph.json's `store`.

SQLite (``AsyncSqliteStore``, a ``store.sqlite`` file in the data dir) by
default, PostgreSQL (``AsyncPostgresStore``) in production; the API serves the
`/store` routes from it and the worker hands it to graphs (``runtime.store``).
Both processes open the same database, so setup is serialised across
processes: a file lock beside the SQLite file, an advisory lock on PostgreSQL.
On PostgreSQL the store may share the checkpointer's pool (``pool=``).

``store.index`` (``dims``, ``embed``, ``fields``) turns on semantic search;
``embed`` is either ``"provider:model"`` (needs the ``langchain`` package and
the provider's) or a path to an ``Embeddings`` object or an (async) embedding
function: ``"./embeddings.py:embed"`` relative to langgraph.json, or
``"package.module:attr"``. ``store.ttl`` (``default_ttl``, ``refresh_on_read``,
``sweep_interval_minutes``) is passed to the store as LangGraph's TTLConfig.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import math
import operator
import re
import sqlite3
from array import array
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings
from langgraph.store.base import BaseStore, TTLConfig

from steadygraph.config.project import ConfigError, ProjectConfig, json_type
from steadygraph.config.settings import Settings
from steadygraph.dev.embeddings import HashingEmbeddings
from steadygraph.graph.loading import add_project_to_sys_path, import_file
from steadygraph.graph.postgres_pool import pool_for
from steadygraph.storage.locks import STORE_SETUP_LOCK_KEY, advisory_lock, file_lock

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

__all__ = [
    "IndexSpec",
    "StoreConfig",
    "check_store_config",
    "load_embeddings",
    "load_store_config",
    "open_store",
]

log = logging.getLogger(__name__)

STORE_FILE = "store.sqlite"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TTL_NUMBERS = ("default_ttl", "sweep_interval_minutes")


@dataclass(frozen=True)
class IndexSpec:
    """`store.index` as written in langgraph.json."""

    dims: int
    embed: str
    fields: list[str] | None


@dataclass(frozen=True)
class StoreConfig:
    """`store` as written in langgraph.json; both parts are optional."""

    index: IndexSpec | None = None
    ttl: TTLConfig | None = None


# --- langgraph.json ------------------------------------------------------------------


def load_store_config(project: ProjectConfig) -> StoreConfig:
    """Validate `store` without importing anything; ConfigError names the bad entry."""
    where = f"{project.path.name}: store"
    raw = project.raw.get("store")
    if raw is None:
        return StoreConfig()
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object, got {json_type(raw)}")
    return StoreConfig(
        index=_parse_index(raw.get("index"), f"{where}.index"),
        ttl=_parse_ttl(raw.get("ttl"), f"{where}.ttl"),
    )


def check_store_config(project: ProjectConfig) -> StoreConfig:
    """`load_store_config` plus resolving `store.index.embed` (which imports it).

    For start-up, before serving: a bad `store` block stops the process with
    one message instead of failing later inside the app's lifespan.
    """
    config = load_store_config(project)
    if config.index is not None:
        load_embeddings(project, config.index)
    return config


def _parse_index(value: object, where: str) -> IndexSpec | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: must be an object, got {json_type(value)}")
    dims = value.get("dims")
    if not isinstance(dims, int) or isinstance(dims, bool) or dims < 1:
        raise ConfigError(
            f"{where}.dims: must be a positive integer (the embedding size), got {dims!r}"
        )
    embed = value.get("embed")
    if not isinstance(embed, str) or ":" not in embed:
        raise ConfigError(
            f'{where}.embed: must be a string like "openai:text-embedding-3-small" or '
            f'"./embeddings.py:embed", got {embed!r}'
        )
    fields = value.get("fields")
    if fields is not None and (
        not isinstance(fields, list) or not all(isinstance(f, str) and f for f in fields)
    ):
        raise ConfigError(
            f'{where}.fields: must be a list of field paths like ["text"], got {fields!r}'
        )
    return IndexSpec(dims=dims, embed=embed.strip(), fields=fields)


def _parse_ttl(value: object, where: str) -> TTLConfig | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: must be an object, got {json_type(value)}")
    ttl: dict[str, Any] = {}
    for key in _TTL_NUMBERS:
        number = value.get(key)
        if number is None:
            continue
        if not isinstance(number, int | float) or isinstance(number, bool) or number <= 0:
            raise ConfigError(f"{where}.{key}: must be a positive number of minutes or null")
        ttl[key] = number
    for key in ("refresh_on_read", "omit_expired"):
        if key in value:
            if not isinstance(value[key], bool):
                raise ConfigError(f"{where}.{key}: must be true or false")
            ttl[key] = value[key]
    return TTLConfig(**ttl)  # type: ignore[typeddict-item]


# --- embeddings ------------------------------------------------------------------------


def load_embeddings(project: ProjectConfig, index: IndexSpec) -> Embeddings:
    """Resolve `store.index.embed` to an Embeddings object (imports user code).

    Raises ConfigError naming the entry when it cannot be resolved.
    """
    from langgraph.store.base.embed import ensure_embeddings

    where = f"{project.path.name}: store.index.embed"
    module_name, _, attr = index.embed.rpartition(":")
    if _is_file_path(module_name):
        target = _load_attr(_import_file(project, module_name, where), attr, module_name, where)
    else:
        target = _load_module_attr(project, module_name, attr, where)
    if target is None:
        return _provider_embeddings(index.embed, where)
    if inspect.isclass(target) or not (isinstance(target, Embeddings) or callable(target)):
        raise ConfigError(
            f"{where}: {index.embed} is a {type(target).__name__}, not an Embeddings "
            "instance or an embedding function (list[str] -> list[list[float]])"
        )
    if isinstance(target, HashingEmbeddings) and target.dims != index.dims:
        raise ConfigError(
            f"{where}: {index.embed} makes {target.dims}-dimensional vectors, but "
            f"store.index.dims is {index.dims}"
        )
    return ensure_embeddings(target)


def _is_file_path(module: str) -> bool:
    return module.endswith(".py") or "/" in module or "\\" in module or module.startswith(".")


def _load_module_attr(project: ProjectConfig, module_name: str, attr: str, where: str) -> Any:
    """`package.module:attr`, or None when the string reads as "provider:model"."""
    dotted = all(_IDENTIFIER.fullmatch(p) for p in module_name.split("."))
    if not dotted or not all(_IDENTIFIER.fullmatch(p) for p in attr.split(".")):
        # "openai:text-embedding-3-small": not a Python path at all.
        return None
    add_project_to_sys_path(project)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name.split(".")[0]:
            # Nothing of that name: read it as "provider:model" ("cohere:embed").
            return None
        raise ConfigError(
            f"{where}: failed to import {module_name}: {type(exc).__name__}: {exc}"
        ) from exc
    except Exception as exc:  # user code may raise anything while importing
        raise ConfigError(
            f"{where}: failed to import {module_name}: {type(exc).__name__}: {exc}"
        ) from exc
    return _load_attr(module, attr, module_name, where)


def _import_file(project: ProjectConfig, module_name: str, where: str) -> ModuleType:
    file = (project.base_dir / Path(module_name).expanduser()).resolve()
    if not module_name.endswith(".py") or not file.is_file():
        raise ConfigError(f"{where}: file {module_name} not found (looked in {file})")
    try:
        # The same import as graph files: one module per path, executed once.
        return import_file(file)
    except Exception as exc:  # user code may raise anything while importing
        raise ConfigError(
            f"{where}: failed to import {module_name}: {type(exc).__name__}: {exc}"
        ) from exc


def _load_attr(module: ModuleType, attr: str, module_name: str, where: str) -> Any:
    value: Any = module
    for part in attr.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise ConfigError(f"{where}: attribute {attr!r} not found in {module_name}") from None
    return value


def _provider_embeddings(embed: str, where: str) -> Embeddings:
    try:
        from langchain.embeddings import init_embeddings  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ConfigError(
            f"{where}: {embed!r} names a model provider, which needs the `langchain` "
            "package and the provider's integration (e.g. `pip install langchain "
            'langchain-openai`); or point it at your own embeddings, e.g. "./embeddings.py:embed"'
        ) from None
    try:
        return init_embeddings(embed)
    except Exception as exc:  # unknown provider, missing integration package, no API key
        raise ConfigError(f"{where}: cannot load {embed!r}: {type(exc).__name__}: {exc}") from exc


def _index_config(project: ProjectConfig, index: IndexSpec) -> dict[str, Any]:
    fields = index.fields or ["$"]
    return {
        "dims": index.dims,
        "embed": load_embeddings(project, index),
        "fields": fields,
        # AsyncSqliteStore reads the field list from "text_fields" (the Postgres
        # store and the docs use "fields"); without it SQLite would embed the whole
        # value and ignore `fields`.
        "text_fields": fields,
    }


# --- opening --------------------------------------------------------------------------


@asynccontextmanager
async def open_store(
    settings: Settings,
    project: ProjectConfig,
    *,
    sweep_ttl: bool = True,
    pool: AsyncConnectionPool | None = None,
) -> AsyncIterator[BaseStore]:
    """LangGraph's store for this deployment, set up and ready.

    With `store.ttl.sweep_interval_minutes`, a background sweeper deletes expired
    items while the store is open (pass ``sweep_ttl=False`` to leave that to
    another process; sweeping twice is harmless, only redundant). `pool`: a
    PostgreSQL pool to use (see `postgres_pool.shared_pool`) instead of one of
    its own; ignored on SQLite.
    """
    config = load_store_config(project)
    index = _index_config(project, config.index) if config.index else None
    if settings.is_postgres:
        opened = _open_postgres(settings, pool, index, config.ttl, project.path.name)
    else:
        opened = _open_sqlite(settings, index, config.ttl)
    async with opened as store:
        sweeping = bool(sweep_ttl and config.ttl and config.ttl.get("sweep_interval_minutes"))
        if sweeping:
            await store.start_ttl_sweeper()
        try:
            yield store
        finally:
            if sweeping:
                await store.stop_ttl_sweeper(timeout=5)


@asynccontextmanager
async def _open_sqlite(
    settings: Settings, index: dict[str, Any] | None, ttl: TTLConfig | None
) -> AsyncIterator[Any]:
    import aiosqlite
    from langgraph.store.sqlite.aio import AsyncSqliteStore

    path = (settings.data_dir / STORE_FILE).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: the store issues its own BEGIN/COMMIT. timeout is the
    # busy timeout: API and worker write the same file, and a writer should wait
    # for the other rather than fail with "database is locked".
    async with aiosqlite.connect(str(path), isolation_level=None, timeout=30) as conn:
        # Switching a file to WAL takes an exclusive lock, and SQLite does not
        # wait for it (the busy timeout does not apply): processes opening the
        # store together take turns. Once the file is WAL, this is a no-op.
        async with file_lock(f"{path}.setup.lock"):
            await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        # The schema declares store_vectors ON DELETE CASCADE, which SQLite only
        # enforces with this on; otherwise deleted items leave their vectors behind.
        await conn.execute("PRAGMA foreign_keys=ON")
        store_conn = _StoreConnection(conn, python_vectors=not _CAN_LOAD_EXTENSIONS)
        store = AsyncSqliteStore(store_conn, index=index, ttl=ttl)  # type: ignore[arg-type]
        # setup() reads the schema version and then migrates without a transaction
        # (ALTER TABLE ADD COLUMN among others), so two processes starting together
        # would both apply the same migration; the loser would fail.
        async with file_lock(f"{path}.setup.lock"):
            await store.setup()
        yield store


# Python builds without --enable-loadable-sqlite-extensions (pyenv's default, for
# one) cannot load sqlite-vec, which AsyncSqliteStore needs for semantic search.
_CAN_LOAD_EXTENSIONS = hasattr(sqlite3.Connection, "enable_load_extension")


class _StoreConnection:
    """The aiosqlite connection AsyncSqliteStore gets, adapted in two ways.

    Its transactions start with BEGIN IMMEDIATE instead of BEGIN. The store
    batches concurrent calls into one transaction that reads first (gets,
    searches) and writes after (puts, TTL refreshes); with a deferred BEGIN,
    upgrading to a write while the other process (API or worker) has written
    fails at once with "database is locked", without waiting out the busy
    timeout. Taking the write lock up front makes it wait instead.

    Where the interpreter cannot load sqlite-vec, "loading" it registers the
    three sqlite-vec distance functions the store's queries call, written in
    Python. Vectors keep sqlite-vec's float32 BLOB format either way, so one
    file works with both; the Python ones are slower (fine for development and
    tests; PostgreSQL with pgvector is the choice for large stores).
    """

    def __init__(self, conn: Any, *, python_vectors: bool) -> None:
        self._conn = conn
        self._python_vectors = python_vectors

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def execute(self, sql: str, parameters: Any = None) -> Any:
        # Not async: aiosqlite's execute() returns an object that is both awaited
        # and used with `async with`, and the store does both.
        if sql.strip().upper() == "BEGIN":
            sql = "BEGIN IMMEDIATE"
        return self._conn.execute(sql, parameters)

    async def enable_load_extension(self, enabled: bool) -> None:
        if not self._python_vectors:
            await self._conn.enable_load_extension(enabled)

    async def load_extension(self, path: str) -> None:
        if not self._python_vectors:
            await self._conn.load_extension(path)
            return
        functions = {
            "vec_distance_cosine": _cosine_distance,
            "vec_distance_L2": _l2_distance,
            "vec_distance_L1": _l1_distance,
        }
        for name, function in functions.items():
            await self._conn.create_function(name, 2, function, deterministic=True)


def _vectors(a: bytes | None, b: bytes | None) -> tuple[array[float], array[float]] | None:
    if a is None or b is None:
        return None
    x, y = array("f"), array("f")
    x.frombytes(a)
    y.frombytes(b)
    if len(x) != len(y):
        raise ValueError(f"vector dimensions differ: {len(x)} and {len(y)}")
    return x, y


def _cosine_distance(a: bytes | None, b: bytes | None) -> float | None:
    pair = _vectors(a, b)
    if pair is None:
        return None
    x, y = pair
    norms = math.hypot(*x) * math.hypot(*y)
    # Undefined for a zero vector: NULL ranks last rather than failing the query.
    return None if norms == 0.0 else 1.0 - sum(map(operator.mul, x, y)) / norms


def _l2_distance(a: bytes | None, b: bytes | None) -> float | None:
    pair = _vectors(a, b)
    return None if pair is None else math.dist(*pair)


def _l1_distance(a: bytes | None, b: bytes | None) -> float | None:
    pair = _vectors(a, b)
    return None if pair is None else math.fsum(abs(p - q) for p, q in zip(*pair, strict=True))


@asynccontextmanager
async def _open_postgres(
    settings: Settings,
    pool: AsyncConnectionPool | None,
    index: dict[str, Any] | None,
    ttl: TTLConfig | None,
    config_name: str,
) -> AsyncIterator[Any]:
    from langgraph.store.postgres.aio import AsyncPostgresStore

    async with pool_for(settings, pool) as connections:
        if index is not None:
            await _require_pgvector(connections, config_name)
        store = AsyncPostgresStore(connections, index=index, ttl=ttl)  # type: ignore[arg-type]
        # setup() checks the schema version and then migrates statement by statement
        # (autocommit), so concurrent API and worker start-ups must take turns.
        async with advisory_lock(connections, STORE_SETUP_LOCK_KEY):
            await store.setup()
        yield store


async def _require_pgvector(pool: Any, config_name: str) -> None:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
            " UNION ALL SELECT 1 FROM pg_extension WHERE extname = 'vector'"
        )
        if await cursor.fetchone() is None:
            raise ConfigError(
                f"{config_name}: store.index: semantic search on PostgreSQL needs the "
                "pgvector extension, which this server does not have; install it "
                "(e.g. the postgresql-<version>-pgvector package, or the pgvector/pgvector "
                "image) or remove store.index"
            )
