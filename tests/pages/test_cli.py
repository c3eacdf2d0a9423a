"""The `portal` command: contracts used by people's scripts."""

import os
import subprocess
import sys

from db.tables import Complaint, Department, User
from portal.auth import verify_password


def portal(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "portal.cli", *args], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=120)


def test_migrate_is_idempotent(viewers):
    result = portal("migrate")
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


def test_createuser_creates_a_user_who_can_log_in(viewers):
    result = portal("createuser", "new.handler", "--role", "handler", "--department", "QA",
                    "--name", "新同事", "--password", "s3cret-pass")
    assert result.returncode == 0, result.stderr
    row = User.select().where(User.username == "new.handler").first().run_sync()
    assert row["role"] == "handler" and row["department"] == "QA"
    assert verify_password(row["password_hash"], "s3cret-pass")


def test_createuser_refuses_an_unknown_department(viewers):
    result = portal("createuser", "x.y", "--role", "handler", "--department", "NOPE",
                    "--password", "s3cret-pass")
    assert result.returncode != 0
    assert "unknown department" in result.stderr
    assert not User.exists().where(User.username == "x.y").run_sync()


def test_createuser_refuses_a_short_password(viewers):
    result = portal("createuser", "x.z", "--role", "employee", "--password", "short")
    assert result.returncode != 0
    assert not User.exists().where(User.username == "x.z").run_sync()


def test_demo_loads_every_status_once_and_is_idempotent(viewers):
    first = portal("demo")
    assert first.returncode == 0, first.stderr
    count = Complaint.count().run_sync()
    statuses = {r["status"] for r in Complaint.select(Complaint.status).run_sync()}
    assert count >= 30
    assert {"logged", "dispatched", "acknowledged", "in_progress", "result_submitted",
            "signed_off", "verified", "replied", "invalid"} <= statuses
    second = portal("demo")
    assert second.returncode == 0, second.stderr
    assert Complaint.count().run_sync() == count
    assert Department.count().run_sync() == 5


def test_serve_refuses_an_invalid_policy_naming_the_entry(tmp_path, viewers):
    bad = tmp_path / "policy.toml"
    bad.write_text((__import__("portal.policy", fromlist=["x"]).DEFAULT_POLICY_PATH)
                   .read_text(encoding="utf-8").replace('grade = "II"', 'grade = "IX"', 1),
                   encoding="utf-8")
    result = portal("serve", "--port", "1", PORTAL_POLICY=str(bad))
    assert result.returncode != 0
    assert "unknown grade 'IX'" in result.stderr


def test_stats_rebuild_recomputes_the_rollups(viewers):
    import asyncio

    from db.rollup import stored
    from db.tables import StatsDay, StatsPersonDay

    assert portal("demo").returncode == 0
    before = asyncio.run(stored())  # counted as the demo's complaints were made
    assert before[0] and before[1]
    StatsDay.delete(force=True).run_sync()
    StatsPersonDay.delete(force=True).run_sync()
    result = portal("stats-rebuild")
    assert result.returncode == 0, result.stderr
    assert "statistics rebuilt" in result.stdout
    assert asyncio.run(stored()) == before
