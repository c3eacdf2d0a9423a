"""Indexes for the revisit queue (due revisits, soonest first, per state) and the sweep's
return of unanswered email surveys to the phone queue."""

from db.index_migration import index_migration

ID = "2026-11-25T01:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for the revisit queue and survey returns"

INDEXES = [
    # /revisits: the open revisits, overdue (earliest due) first, optionally by grade/department.
    "CREATE INDEX IF NOT EXISTS complaint_revisit_queue "
    "ON complaint (revisit_state, revisit_due, id)",
    # The sweep: email surveys whose answer did not come in time.
    "CREATE INDEX IF NOT EXISTS complaint_survey_return ON complaint (survey_return_at) "
    "WHERE survey_return_at IS NOT NULL",
]


async def forwards():
    return index_migration(ID, DESCRIPTION, INDEXES)
