"""GET /healthz: for a load balancer or a monitor; no log-in."""

import pytest
from piccolo.apps.migrations.tables import Migration

from db.health import MIGRATIONS, expected_migrations


def test_it_answers_ok_without_login_when_the_database_is_current(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["cache-control"] == "no-store"


def test_head_works_too(client):
    r = client.head("/healthz")
    assert r.status_code == 200 and r.content == b""


def test_every_shipped_migration_is_expected():
    assert len(expected_migrations()) == len(list(MIGRATIONS.glob("db_*.py"))) > 0


@pytest.fixture
def one_migration_unrecorded(client):
    newest = max(expected_migrations())

    async def forget():
        row = await Migration.select().where(Migration.name == newest).first()
        await Migration.delete().where(Migration.name == newest)
        return row

    async def restore(row):
        await Migration.insert(Migration(name=row["name"], app_name=row["app_name"],
                                         ran_on=row["ran_on"]))

    row = client.run(forget)
    yield
    client.run(restore, row)


def test_it_answers_503_when_a_migration_has_not_run(client, one_migration_unrecorded):
    r = client.get("/healthz")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "unavailable"
    assert "migrations not applied: 1" in body["reason"]


@pytest.mark.filterwarnings("ignore:.*Unable to connect")
def test_it_answers_503_when_the_database_is_unreachable(client, monkeypatch, tmp_path):
    from piccolo.engine.postgres import PostgresEngine
    from piccolo.engine.sqlite import SQLiteEngine

    if isinstance(Migration._meta.db, PostgresEngine):
        bad = PostgresEngine(config={"dsn": "postgresql://nobody@127.0.0.1:1/none"})
    else:
        bad = SQLiteEngine(path=str(tmp_path / "missing" / "portal.db"))
    monkeypatch.setattr(Migration._meta, "_db", bad)
    r = client.get("/healthz")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "unavailable"
    assert body["reason"].startswith("database unreachable")


@pytest.mark.filterwarnings("ignore:.*Unable to connect")
def test_it_answers_503_when_every_query_fails(client, monkeypatch):
    """The database down for the whole app, not only for the migrations table: the app-wide
    guards (policy refresh, session) must not turn the probe into a 500."""
    engine = Migration._meta.db

    async def down(*_args, **_kwargs):
        raise ConnectionRefusedError("database down")

    client.get("/healthz")  # the app is up and has read its policy
    monkeypatch.setattr(type(engine), "run_querystring", down)
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["reason"] == "database unreachable: ConnectionRefusedError"
    assert client.get("/login", follow_redirects=False).status_code == 500
