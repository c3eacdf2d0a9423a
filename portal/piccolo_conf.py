"""Piccolo's configuration: the engine comes from DATABASE_URL (SQLite by default)."""

import os

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from portal.config import DEFAULT_DATABASE_URL, check_database_url, sqlite_path

_url = check_database_url(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))

if _url.startswith(("postgres://", "postgresql://")):
    DB = PostgresEngine(config={"dsn": _url})
else:
    # timeout: concurrent writers wait for the lock instead of failing at once.
    DB = SQLiteEngine(path=sqlite_path(_url), timeout=30)

APP_REGISTRY = AppRegistry(apps=["db.piccolo_app"])
