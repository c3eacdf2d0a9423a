"""The medians of the working time to resolve (db/stats.py `_medians`) read complaint_resolved
alone: every column they touch (the period, the minutes, the four breakdowns and the
department scope) is in it, and its predicate is the queries' own (resolved complaints with a
recorded time), so PostgreSQL answers with an index-only scan and never visits the table.
At 1,000,000 complaints the median of a quarter (81,000 resolved complaints) went from a
bitmap heap scan of 5,000 table pages (plus JIT, as the plan was costed over 100,000) to
550 index pages.

It replaces complaint_resolve_time (received_at, resolve_minutes), which only served those
queries and made every row a heap visit (for the status and the breakdown). Key columns
rather than INCLUDE, so that SQLite (no INCLUDE) builds the same covering index."""

from db.index_migration import index_migration

ID = "2026-11-25T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "covering index for the medians of the working time to resolve"

INDEXES = [
    "CREATE INDEX IF NOT EXISTS complaint_resolved ON complaint "
    "(received_at, resolve_minutes, department, category, grade, channel) "
    "WHERE resolve_minutes IS NOT NULL AND status IN ('replied', 'closed')",
]
REPLACED = ("CREATE INDEX IF NOT EXISTS complaint_resolve_time ON complaint "
            "(received_at, resolve_minutes) WHERE resolve_minutes IS NOT NULL")


async def forwards():
    from db.tables import Complaint

    manager = index_migration(ID, DESCRIPTION, INDEXES)

    async def drop_replaced():
        await Complaint.raw("DROP INDEX IF EXISTS complaint_resolve_time")

    async def restore_replaced():
        await Complaint.raw(REPLACED)

    manager.add_raw(drop_replaced)
    manager.add_raw_backwards(restore_replaced)
    return manager
