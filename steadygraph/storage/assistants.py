"""Assistants, their versions, and the graph info workers publish.

Rows come back as the JSON-ready dicts LangGraph Server returns. Rules about
what an assistant becomes on create/update/set_latest live here, next to the
writes, so every caller (API routes, start-up) gets the same behaviour.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, tuple_, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from steadygraph.errors import Conflict, NotFound, ServiceError
from steadygraph.storage.auth_filter import Filters, filter_clause
from steadygraph.storage.engine import for_reads
from steadygraph.storage.json_filter import contains_clause
from steadygraph.storage.params import param
from steadygraph.storage.schema import assistant_versions, assistants, graph_info
from steadygraph.storage.timestamps import iso, utcnow
from steadygraph.storage.upsert import upsert

SORTABLE = ("assistant_id", "created_at", "updated_at", "name", "graph_id")

BOTH_CONFIGURABLE_AND_CONTEXT = (
    "Cannot specify both configurable and context. Prefer setting context alone. "
    "Context was introduced in LangGraph 0.6.0 and is the long term planned replacement "
    "for configurable."
)


def mirror_config_and_context(
    config: Mapping[str, Any] | None, context: Mapping[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """`config.configurable` and `context` are two spellings of one thing
    (LangGraph < 0.6 and >= 0.6): whichever is given is copied to the other.

    Returns the config (never None) and the context (None if neither had one),
    or raises when both are given, as LangGraph Server does (400).
    """
    config = dict(config or {})
    configurable = config.get("configurable")
    if configurable and context:
        raise ServiceError(BOTH_CONFIGURABLE_AND_CONTEXT)
    if configurable:
        return config, dict(configurable)
    if context:
        config["configurable"] = dict(context)
        return config, dict(context)
    return config, dict(context) if context is not None else None


# Read for every run (created and started): built once.
_GET_ASSISTANT = select(assistants).where(
    assistants.c.assistant_id == param("assistant_id", assistants.c.assistant_id)
)


class AssistantRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.reads = for_reads(engine)

    # ------------------------------------------------------------ row shapes

    @staticmethod
    def _assistant(row: Row[Any]) -> dict[str, Any]:
        return {
            "assistant_id": row.assistant_id,
            "graph_id": row.graph_id,
            "config": row.config,
            "context": row.context,
            "metadata": row.metadata,
            "name": row.name,
            "created_at": iso(row.created_at),
            "updated_at": iso(row.updated_at),
            "version": row.version,
            "description": row.description,
        }

    @staticmethod
    def _version(row: Row[Any]) -> dict[str, Any]:
        # A version has no updated_at: it never changes once written.
        return {
            "assistant_id": row.assistant_id,
            "version": row.version,
            "graph_id": row.graph_id,
            "config": row.config,
            "context": row.context,
            "metadata": row.metadata,
            "created_at": iso(row.created_at),
            "name": row.name,
            "description": row.description,
        }

    # --------------------------------------------------------------- reads

    async def get(self, assistant_id: str) -> dict[str, Any] | None:
        async with self.reads.connect() as conn:
            return await self._get(conn, assistant_id)

    async def _get(self, conn: AsyncConnection, assistant_id: str) -> dict[str, Any] | None:
        row = (await conn.execute(_GET_ASSISTANT, {"assistant_id": assistant_id})).first()
        return self._assistant(row) if row else None

    def _filters(
        self,
        graph_id: str | None,
        metadata: Mapping[str, Any] | None,
        name: str | None,
        graph_ids: Collection[str] | None,
        auth_filters: Filters | None = None,
    ) -> list[ColumnElement[bool]]:
        filters: list[ColumnElement[bool]] = []
        if auth_filters:
            dialect = self.engine.dialect.name
            filters.append(filter_clause(assistants.c.metadata, auth_filters, dialect))
        if graph_id:
            filters.append(assistants.c.graph_id == graph_id)
        if graph_ids is not None:
            filters.append(assistants.c.graph_id.in_(list(graph_ids)))
        if name:
            # Case-insensitive on both dialects (PostgreSQL's LIKE is not).
            filters.append(assistants.c.name.icontains(name, autoescape=True))
        if metadata:
            filters.append(
                contains_clause(assistants.c.metadata, metadata, self.engine.dialect.name)
            )
        return filters

    async def search(
        self,
        *,
        graph_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        name: str | None = None,
        limit: int = 10,
        offset: int = 0,
        sort_by: str = "created_at",
        sort_order: str = "desc",
        graph_ids: Collection[str] | None = None,
        auth_filters: Filters | None = None,
    ) -> list[dict[str, Any]]:
        """`graph_ids`, when given, hides assistants of graphs this server does not
        serve; `auth_filters` (an auth handler's filter on metadata), other users'."""
        if sort_by not in SORTABLE:
            raise ValueError(f"cannot sort assistants by {sort_by!r}")
        column: Any = assistants.c[sort_by]
        if sort_by in ("name", "graph_id"):
            # Names sort as people read them, not by code point ("b" after "A").
            column = func.lower(column)
        order = column.asc() if sort_order == "asc" else column.desc()
        query = (
            select(assistants)
            .where(*self._filters(graph_id, metadata, name, graph_ids, auth_filters))
            .order_by(order, assistants.c.assistant_id)
            .limit(limit)
            .offset(offset)
        )
        async with self.reads.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [self._assistant(r) for r in rows]

    async def count(
        self,
        *,
        graph_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        name: str | None = None,
        graph_ids: Collection[str] | None = None,
        auth_filters: Filters | None = None,
    ) -> int:
        query = (
            select(func.count())
            .select_from(assistants)
            .where(*self._filters(graph_id, metadata, name, graph_ids, auth_filters))
        )
        async with self.reads.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def versions(
        self,
        assistant_id: str,
        *,
        metadata: Mapping[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> list[dict[str, Any]] | None:
        """Newest version first; None if the assistant does not exist."""
        query = select(assistant_versions).where(assistant_versions.c.assistant_id == assistant_id)
        if metadata:
            query = query.where(
                contains_clause(assistant_versions.c.metadata, metadata, self.engine.dialect.name)
            )
        query = query.order_by(assistant_versions.c.version.desc()).limit(limit).offset(offset)
        async with self.reads.connect() as conn:
            exists = (
                await conn.execute(
                    select(assistants.c.assistant_id).where(
                        assistants.c.assistant_id == assistant_id
                    )
                )
            ).first()
            if exists is None:
                return None
            rows = (await conn.execute(query)).all()
        return [self._version(r) for r in rows]

    # -------------------------------------------------------------- writes

    async def ensure_system_assistants(self, graphs: Mapping[str, str]) -> None:
        """One assistant per graph (graph id → assistant id), with its version 1.

        An existing one is left as it is (it may have been updated); a deleted
        one comes back. Searches list newest first, as LangGraph Server does,
        so the graphs get creation times a microsecond apart in reverse order:
        the first graph of langgraph.json is `assistants.search()[0]`.
        """
        now = utcnow()
        rows = [
            {
                "assistant_id": assistant_id,
                "graph_id": graph_id,
                "name": graph_id,
                "description": None,
                "config": {},
                "context": {},
                "metadata": {"created_by": "system"},
                "created_at": now - timedelta(microseconds=position),
            }
            for position, (graph_id, assistant_id) in enumerate(graphs.items())
        ]
        if not rows:
            return
        # ON CONFLICT DO NOTHING: several API replicas may start at once.
        async with self.engine.begin() as conn:
            await conn.execute(
                upsert(self.engine.dialect.name, assistants)
                .values([{**r, "version": 1, "updated_at": r["created_at"]} for r in rows])
                .on_conflict_do_nothing(index_elements=[assistants.c.assistant_id])
            )
            await conn.execute(
                upsert(self.engine.dialect.name, assistant_versions)
                .values([{**r, "version": 1} for r in rows])
                .on_conflict_do_nothing(
                    index_elements=[
                        assistant_versions.c.assistant_id,
                        assistant_versions.c.version,
                    ]
                )
            )

    async def create(
        self,
        assistant_id: str,
        *,
        graph_id: str,
        config: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        name: str = "Untitled",
        description: str | None = None,
        if_exists: str = "raise",
    ) -> dict[str, Any]:
        """A new assistant at version 1; an existing id is a Conflict, or with
        if_exists="do_nothing" the existing assistant, unchanged."""
        config, context = mirror_config_and_context(config, context)
        now = utcnow()
        values = {
            "assistant_id": assistant_id,
            "graph_id": graph_id,
            "name": name,
            "description": description,
            "config": config,
            "context": context or {},
            "metadata": dict(metadata or {}),
            "version": 1,
            "created_at": now,
        }
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(assistants).values(**values, updated_at=now))
                await conn.execute(insert(assistant_versions).values(**values))
                created = await self._get(conn, assistant_id)
        except IntegrityError:
            # The id is taken (perhaps by a concurrent create of the same id).
            existing = await self.get(assistant_id)
            if existing is None:
                raise
            if if_exists == "do_nothing":
                return existing
            raise Conflict(f"Assistant {assistant_id} already exists") from None
        assert created is not None
        return created

    async def _lock(self, conn: AsyncConnection, assistant_id: str, now: datetime) -> Row[Any]:
        """Take the assistant's row lock by writing first, then read it.

        Writing first serialises concurrent updates of one assistant on both
        dialects (a row lock on PostgreSQL, the write lock on SQLite), so two
        of them never pick the same next version number.
        """
        touched = await conn.execute(
            update(assistants)
            .where(assistants.c.assistant_id == assistant_id)
            .values(updated_at=now)
        )
        row = (
            await conn.execute(select(assistants).where(assistants.c.assistant_id == assistant_id))
        ).first()
        if not touched.rowcount or row is None:
            raise NotFound(f"Assistant {assistant_id} not found")
        return row

    async def update(
        self,
        assistant_id: str,
        *,
        graph_id: str | None = None,
        config: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        name: str | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        """A new version from the current one and the fields given; it becomes current.

        As in LangGraph Server: metadata is merged into the current metadata,
        an empty config keeps the current config, and a missing context keeps
        the current context.
        """
        config, context = mirror_config_and_context(config, context)
        now = utcnow()
        async with self.engine.begin() as conn:
            current = await self._lock(conn, assistant_id, now)
            last = (
                await conn.execute(
                    select(func.max(assistant_versions.c.version)).where(
                        assistant_versions.c.assistant_id == assistant_id
                    )
                )
            ).scalar_one_or_none()
            # After set_latest the current version is not the newest: numbers
            # keep counting from the newest so no version is overwritten.
            version = max(last or 0, current.version) + 1
            values = {
                "graph_id": graph_id if graph_id is not None else current.graph_id,
                "name": name if name is not None else current.name,
                "description": description if description is not None else current.description,
                "config": config if config else current.config,
                "context": context if context is not None else current.context,
                "metadata": {**current.metadata, **(metadata or {})},
                "version": version,
            }
            await conn.execute(
                insert(assistant_versions).values(
                    assistant_id=assistant_id, created_at=now, **values
                )
            )
            await conn.execute(
                update(assistants)
                .where(assistants.c.assistant_id == assistant_id)
                .values(updated_at=now, **values)
            )
            updated = await self._get(conn, assistant_id)
        assert updated is not None
        return updated

    async def set_latest(self, assistant_id: str, version: int) -> dict[str, Any]:
        """Make an earlier (or later) version the current one.

        Deliberately as LangGraph Server does it: config, metadata, name and
        description come from that version, but `context` and `graph_id` stay
        as they are (BEHAVIOUR.md: "after set_latest(1), config reverts but
        context keeps the v2 value"), so clients see the same assistant on both.
        """
        now = utcnow()
        async with self.engine.begin() as conn:
            await self._lock(conn, assistant_id, now)
            chosen = (
                await conn.execute(
                    select(assistant_versions).where(
                        assistant_versions.c.assistant_id == assistant_id,
                        assistant_versions.c.version == version,
                    )
                )
            ).first()
            if chosen is None:
                raise NotFound(f"Version {version} not found for assistant {assistant_id}")
            await conn.execute(
                update(assistants)
                .where(assistants.c.assistant_id == assistant_id)
                .values(
                    config=chosen.config,
                    metadata=chosen.metadata,
                    name=chosen.name,
                    description=chosen.description,
                    version=chosen.version,
                    updated_at=now,
                )
            )
            latest = await self._get(conn, assistant_id)
        assert latest is not None
        return latest

    async def delete(self, assistant_id: str) -> bool:
        """Erase an assistant and all its versions; False if it did not exist."""
        async with self.engine.begin() as conn:
            # Explicit rather than trusting ON DELETE CASCADE: SQLite only
            # honours it on connections that enabled foreign keys.
            await conn.execute(
                delete(assistant_versions).where(assistant_versions.c.assistant_id == assistant_id)
            )
            result = await conn.execute(
                delete(assistants).where(assistants.c.assistant_id == assistant_id)
            )
        return bool(result.rowcount)

    # ---------------------------------------------------------- graph info

    async def put_graph_info(self, graph_id: str, documents: Mapping[tuple[str, str], Any]) -> None:
        """Replace everything published for one graph by `documents`
        ((kind, key) → JSON). Safe when several workers publish at once."""
        now = utcnow()
        rows = [
            {"graph_id": graph_id, "kind": kind, "key": key, "data": data, "published_at": now}
            for (kind, key), data in sorted(documents.items())
        ]
        async with self.engine.begin() as conn:
            if rows:
                statement = upsert(self.engine.dialect.name, graph_info).values(rows)
                await conn.execute(
                    statement.on_conflict_do_update(
                        index_elements=[graph_info.c.graph_id, graph_info.c.kind, graph_info.c.key],
                        set_={
                            "data": statement.excluded.data,
                            "published_at": statement.excluded.published_at,
                        },
                    )
                )
            stale = delete(graph_info).where(graph_info.c.graph_id == graph_id)
            if rows:
                stale = stale.where(
                    tuple_(graph_info.c.kind, graph_info.c.key).not_in(
                        [(r["kind"], r["key"]) for r in rows]
                    )
                )
            await conn.execute(stale)

    async def get_graph_info(
        self, graph_id: str, kinds: Collection[str]
    ) -> dict[tuple[str, str], Any]:
        """The published documents of these kinds for one graph, by (kind, key)."""
        query = select(graph_info.c.kind, graph_info.c.key, graph_info.c.data).where(
            graph_info.c.graph_id == graph_id, graph_info.c.kind.in_(list(kinds))
        )
        async with self.reads.connect() as conn:
            return {(r.kind, r.key): r.data for r in (await conn.execute(query)).all()}
