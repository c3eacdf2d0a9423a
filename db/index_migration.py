"""The body of a migration that creates (and on the way back drops) raw-SQL indexes: plain
`CREATE [UNIQUE] INDEX IF NOT EXISTS name ON …` statements both engines accept."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager


def index_migration(migration_id: str, description: str, indexes: list[str]) -> MigrationManager:
    from db.tables import Complaint

    manager = MigrationManager(migration_id=migration_id, app_name="db", description=description)

    async def create_indexes():
        for sql in indexes:
            await Complaint.raw(sql)

    async def drop_indexes():
        for sql in indexes:
            name = sql.split("EXISTS ", 1)[1].split(" ", 1)[0]
            await Complaint.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
