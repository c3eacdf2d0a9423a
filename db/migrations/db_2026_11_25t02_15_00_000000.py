"""Indexes for the statistics: the rollup's key (the upsert's conflict target), results still
missing past their deadline (counted live: only open complaints are in it), and the working
time to resolve by day of receipt (the median)."""

from db.index_migration import index_migration

ID = "2026-11-25T02:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for the statistics rollup"

INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS stats_day_key "
    "ON stats_day (day, department, category, grade, channel)",
    "CREATE UNIQUE INDEX IF NOT EXISTS stats_person_day_key ON stats_person_day (day, person, grade)",
    "CREATE INDEX IF NOT EXISTS complaint_result_missing ON complaint (result_due) "
    "WHERE result_submitted_at IS NULL AND result_due IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS complaint_resolve_time ON complaint (received_at, resolve_minutes) "
    "WHERE resolve_minutes IS NOT NULL",
]


async def forwards():
    return index_migration(ID, DESCRIPTION, INDEXES)
