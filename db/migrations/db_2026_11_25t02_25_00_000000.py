"""Indexes for the quarterly assessment: one row per quarter; one chain of service-star awards
per quarter (a single first award, each award replaced at most once); and small partial
indexes for the complaints behind a score (the breakdown), so expanding a department or a
person reads a handful of rows whatever the number of complaints."""

from db.index_migration import index_migration

ID = "2026-11-25T02:25:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for the quarterly assessment"

INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS assessment_quarter_key ON assessment_quarter (year, quarter)",
    "CREATE UNIQUE INDEX IF NOT EXISTS service_star_first ON service_star (year, quarter) "
    "WHERE replaces IS NULL",
    "CREATE UNIQUE INDEX IF NOT EXISTS service_star_replaces ON service_star (replaces) "
    "WHERE replaces IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS complaint_late_result ON complaint (department, result_due) "
    "WHERE result_submitted_at > result_due",
    "CREATE INDEX IF NOT EXISTS complaint_reopened ON complaint (department, received_at) "
    "WHERE reopen_count > 0",
    "CREATE INDEX IF NOT EXISTS complaint_repeat ON complaint (department, received_at) "
    "WHERE is_second",
    "CREATE INDEX IF NOT EXISTS complaint_result_by ON complaint (result_by, replied_at) "
    "WHERE result_by IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS complaint_named_person ON complaint (complained_person, received_at) "
    "WHERE complained_person <> ''",
    "CREATE INDEX IF NOT EXISTS survey_answered ON survey (stats_department, answered_at) "
    "WHERE answered_at IS NOT NULL",
]


async def forwards():
    return index_migration(ID, DESCRIPTION, INDEXES)
