"""`GET /ok` is liveness; `GET /ok?check_db=1` is readiness: it fails, saying
why, once the database or Temporal cannot be reached. A real API process, its
own Temporal server and PostgreSQL database, both taken away during the test."""

from __future__ import annotations

from pathlib import Path

import httpx
import psycopg
from harness import POSTGRES_ADMIN_URL, Deployment, fresh_postgres_database

from steadygraph.dev.temporal_server import EmbeddedTemporal, free_port


def test_check_db_reports_storage_and_temporal_outages(tmp_path: Path) -> None:
    temporal = EmbeddedTemporal(
        data_dir=tmp_path / "temporal", port=free_port(), ui_port=None, in_memory=True
    )
    temporal.start()
    try:
        with fresh_postgres_database() as database_url:
            deployment = Deployment(
                temporal.address,
                tmp_path / "steadygraph",
                extra_env={"STEADYGRAPH_DATABASE_URL": database_url},
            )
            deployment.start_api()
            try:
                _check(deployment.url, temporal, database_url.rsplit("/", 1)[1])
            finally:
                deployment.stop()
    finally:
        temporal.stop()


def _check(url: str, temporal: EmbeddedTemporal, database: str) -> None:
    assert httpx.get(f"{url}/ok").json() == {"ok": True}
    ready = httpx.get(f"{url}/ok", params={"check_db": 1})
    assert (ready.status_code, ready.json()) == (200, {"ok": True})
    assert httpx.get(f"{url}/ok", params={"check_db": 2}).status_code == 422

    temporal.stop()
    assert httpx.get(f"{url}/ok").json() == {"ok": True}  # liveness does not depend on it
    not_ready = httpx.get(f"{url}/ok", params={"check_db": 1}, timeout=30)
    assert not_ready.status_code == 500
    detail = not_ready.json()["detail"]
    assert f"Temporal at {temporal.address} is unreachable" in detail
    assert "storage" not in detail

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
    assert httpx.get(f"{url}/ok").json() == {"ok": True}
    not_ready = httpx.get(f"{url}/ok", params={"check_db": 1}, timeout=30)
    assert not_ready.status_code == 500
    detail = not_ready.json()["detail"]
    assert "storage (postgresql) is unreachable" in detail and database in detail
    assert "Temporal" in detail
