"""Piccolo's configuration: the engine comes from DATABASE_URL (SQLite by default)."""

import os

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from portal.config import DEFAULT_DATABASE_URL, check_database_url, sqlite_path

_url = check_database_url(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))

if _url.startswith(("postgres://", "postgresql://")):
    # Plan every statement for its own values. asyncpg prepares statements and a pooled
    # connection keeps them; after five runs PostgreSQL may switch to a generic plan, which
    # cannot know a LIKE pattern's trigrams: the search then walks the whole table (measured:
    # 25 ms → 175 ms per /search at 100,000 complaints from the sixth request on).
    DB = PostgresEngine(config={"dsn": _url,
                                "server_settings": {"plan_cache_mode": "force_custom_plan"}})
else:
    # timeout: concurrent writers wait for the lock instead of failing at once.
    DB = SQLiteEngine(path=sqlite_path(_url), timeout=30)

APP_REGISTRY = AppRegistry(apps=["db.piccolo_app"])
