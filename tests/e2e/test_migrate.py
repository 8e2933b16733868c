"""`steadygraph migrate`: creates the schema on an empty database, and a second
run changes nothing. Real PostgreSQL and SQLite, the real command."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
from harness import fresh_postgres_database

OUR_TABLES = {"assistants", "threads", "runs", "run_events", "alembic_version"}
CHECKPOINT_TABLES = {"checkpoints", "checkpoint_writes"}


def _migrate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # No langgraph.json anywhere: migrate does not need one.
    return subprocess.run(
        [sys.executable, "-P", "-m", "steadygraph", "migrate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin"},
    )


def test_migrate_postgres(tmp_path: Path) -> None:
    with fresh_postgres_database() as url:

        def tables() -> dict[str, set[str]]:
            with psycopg.connect(url) as conn:
                rows = conn.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema='public'"
                ).fetchall()
                versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
            return {"tables": {r[0] for r in rows}, "versions": {r[0] for r in versions}}

        first = _migrate("--database-url", url, cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        assert "migrated" in first.stdout and "from an empty database" in first.stdout
        after_first = tables()
        assert after_first["tables"] >= OUR_TABLES | CHECKPOINT_TABLES
        assert after_first["versions"]

        second = _migrate("--database-url", url, cwd=tmp_path)
        assert second.returncode == 0, second.stderr
        assert "up to date" in second.stdout and "nothing to do" in second.stdout
        assert tables() == after_first


def test_migrate_sqlite(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"

    def tables(name: str) -> set[str]:
        with sqlite3.connect(data_dir / name) as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
        return {r[0] for r in rows}

    first = _migrate("--data-dir", str(data_dir), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "from an empty database" in first.stdout
    assert tables("steadygraph.sqlite") >= OUR_TABLES
    assert tables("checkpoints.sqlite") >= {"checkpoints", "writes"}
    revision = first.stdout.rsplit("to revision ", 1)[1].strip()

    second = _migrate("--data-dir", str(data_dir), cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert f"is up to date (revision {revision}); nothing to do" in second.stdout


def test_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    result = _migrate(
        "--database-url", "postgresql://postgres:hunter2@127.0.0.1:1/nowhere", cwd=tmp_path
    )
    assert result.returncode == 1
    assert "could not migrate" in result.stderr and "127.0.0.1:1/nowhere" in result.stderr
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr
