"""Is the database reachable, and has every migration in db/migrations/ run on it?"""

from __future__ import annotations

import importlib
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
APP_NAME = "db"


def expected_migrations() -> set[str]:
    """The IDs of the migrations shipped with this release."""
    ids = set()
    for path in MIGRATIONS.glob("*.py"):
        if path.name.startswith("_"):
            continue
        module = importlib.import_module(f"db.migrations.{path.stem}")
        ids.add(module.ID)
    return ids


async def applied_migrations() -> set[str]:
    from piccolo.apps.migrations.tables import Migration

    return set(await Migration.get_migrations_which_ran(app_name=APP_NAME))


async def database_health() -> str | None:
    """None when healthy, else a short reason for the operator (no secrets, no data)."""
    try:
        applied = await applied_migrations()
    except Exception as exc:  # noqa: BLE001  (any failure to reach the database is the answer)
        return f"database unreachable: {type(exc).__name__}"
    missing = expected_migrations() - applied
    if missing:
        return f"migrations not applied: {len(missing)} pending (run `portal migrate`)"
    return None
