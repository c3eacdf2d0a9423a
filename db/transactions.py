"""One helper to open a write transaction on either engine."""

from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from db.tables import Complaint


def atomic():
    """A write transaction. On SQLite it takes the write lock at BEGIN (IMMEDIATE), so two
    writers queue instead of failing with 'database is locked' half-way through.

    Nested, it joins the transaction already open in this task (Piccolo's `allow_nested`, on
    both engines: no savepoint, no second connection). An exception inside the inner block
    propagates and the outer one rolls everything back; only the outermost commits. That is
    how one command can run another inside its own transaction (db.commands.log_and_resolve:
    log_complaint's insert and perform()). Catching an exception inside an outer block and
    carrying on is NOT a rollback to that point: nothing here makes savepoints."""
    engine = Complaint._meta.db
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def is_sqlite() -> bool:
    return isinstance(Complaint._meta.db, SQLiteEngine)
