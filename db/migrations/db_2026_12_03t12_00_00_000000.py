"""Indexes for the search (db/search.py).

PostgreSQL: the pg_trgm extension and one trigram GIN index per searched column, so that
`LIKE '%113'` on the number, `LIKE '%5678'` on the phone and `ILIKE '%压缩机%'` on the texts are
bitmap index scans instead of reading every complaint (trigrams work for Chinese: three
characters or more). A text query of one or two characters has no trigram: it searches
customer names by their beginning, which the btree complaint_customer_name_prefix
(text_pattern_ops) serves.

SQLite: LIKE '%…%' can use no index; the prefix index on the name is created as a plain
index (SQLite's LIKE is case-insensitive, so it does not use it either: a no-op in effect)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "trigram indexes for the search"

TRIGRAM_COLUMNS = ("number", "customer_phone", "customer_name", "product", "order_no",
                   "description", "demand")


def _name(column: str) -> str:
    return f"complaint_{column}_trgm"


async def forwards():
    from db.tables import Complaint
    from db.transactions import is_sqlite

    manager = MigrationManager(migration_id=ID, app_name="db", description=DESCRIPTION)

    async def create_indexes():
        if is_sqlite():
            await Complaint.raw("CREATE INDEX IF NOT EXISTS complaint_customer_name_prefix "
                                "ON complaint (customer_name)")
            return
        await Complaint.raw("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in TRIGRAM_COLUMNS:
            await Complaint.raw(f"CREATE INDEX IF NOT EXISTS {_name(column)} ON complaint "
                                f"USING gin ({column} gin_trgm_ops)")
        await Complaint.raw("CREATE INDEX IF NOT EXISTS complaint_customer_name_prefix "
                            "ON complaint (customer_name text_pattern_ops)")

    async def drop_indexes():
        for column in TRIGRAM_COLUMNS:
            await Complaint.raw(f"DROP INDEX IF EXISTS {_name(column)}")
        await Complaint.raw("DROP INDEX IF EXISTS complaint_customer_name_prefix")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
