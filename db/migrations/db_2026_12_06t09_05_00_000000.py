"""DOMAIN §8, after the columns (a migration runs its raw statements before its columns):

- closed_at of every complaint already final: the latest history row that made it closed or
  invalid, else its reply, else its logging (one statement; at 1,000,000 complaints a
  one-off of seconds, read through the complaint_event index);
- complaint_anonymize_due: the closed complaints not anonymized yet, by closing time. The
  daily run reads its batches from it (db/anonymize.py); a complaint leaves it once
  anonymized, so it stays as small as the last years' closed complaints;
- outbox_email_recipient: the survey emails sent to a customer are found by address."""

from db.index_migration import index_migration

ID = "2026-12-06T09:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "closing time of closed complaints; indexes for the anonymization"

INDEXES = [
    "CREATE INDEX IF NOT EXISTS complaint_anonymize_due ON complaint (closed_at) "
    "WHERE anonymized_at IS NULL AND status IN ('closed', 'invalid')",
    "CREATE INDEX IF NOT EXISTS outbox_email_recipient ON outbox_email (recipient)",
]
BACKFILL = (
    "UPDATE complaint SET closed_at = COALESCE("
    "(SELECT MAX(e.at) FROM complaint_event e WHERE e.complaint = complaint.id "
    "AND e.to_status IN ('closed', 'invalid') AND e.from_status <> e.to_status), "
    "replied_at, logged_at) "
    "WHERE status IN ('closed', 'invalid') AND closed_at IS NULL"
)


async def forwards():
    from db.tables import Complaint

    manager = index_migration(ID, DESCRIPTION, INDEXES)

    async def backfill():
        await Complaint.raw(BACKFILL)

    manager.add_raw(backfill)
    return manager
