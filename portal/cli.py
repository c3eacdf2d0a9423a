"""The `portal` command: migrate, demo, serve, worker, stats-rebuild, anonymize, createuser."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import sys

import portal  # noqa: F401  (sets PICCOLO_CONF)
from portal.workflow import Role


async def migrate() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from db.transactions import is_sqlite

    if is_sqlite():
        from db.tables import Complaint

        # WAL lets readers carry on while one writer commits.
        await Complaint.raw("PRAGMA journal_mode=WAL")
    response = await run_forwards(app_name="db", migration_id="all", fake=False)
    if not response.success:
        raise SystemExit(f"migration failed: {response.message}")


async def create_user(username: str, password: str, role: str, department: str | None,
                      display_name: str, email: str = "") -> int:
    from db.tables import Department, User
    from portal.auth import hash_password

    if role not in {r.value for r in Role}:
        raise SystemExit(f"unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}")
    if department and not await Department.exists().where(Department.code == department):
        raise SystemExit(f"unknown department {department!r}")
    values = {
        User.password_hash: hash_password(password), User.role: role,
        User.department: department or None, User.display_name: display_name or username,
        User.email: email, User.is_active: True,
    }
    existing = await User.select(User.id).where(User.username == username).first()
    if existing:
        await User.update(values).where(User.id == existing["id"])
        return existing["id"]
    user = User(username=username, **{col._meta.name: v for col, v in values.items()})
    await user.save()
    return user.id


async def current_policy(path, file_policy):
    """The policy in force: the newest version saved at /admin/policy, else the file's."""
    from db.policy_store import Live, file_raw, refreshed

    return (await refreshed(Live(0, file_raw(path), file_policy), path)).policy


async def rebuild_stats() -> int:
    from db.rollup import rebuild
    from db.transactions import atomic
    from portal.config import load_settings
    from portal.policy import load_policy

    settings = load_settings()
    policy = await current_policy(settings.policy_path, load_policy(settings.policy_path))
    async with atomic():  # readers see the old figures until the new ones are complete
        return await rebuild(policy, settings.timezone)


async def anonymize(dry_run: bool) -> str:
    """DOMAIN §8: every complaint due now, in batches (or, dry, how many are due)."""
    from db.anonymize import anonymize_due, due_count
    from portal.config import load_settings
    from portal.policy import load_policy
    from portal.scheduler import env_for
    from portal.timeutil import utcnow

    settings = load_settings()
    policy = await current_policy(settings.policy_path, load_policy(settings.policy_path))
    years = policy.privacy.anonymize_after_years
    if not years:
        return "anonymization is off (privacy.anonymize_after_years = 0): nothing to do"
    env, now = env_for(settings, policy), utcnow()
    if dry_run:
        n = await due_count(now, env)
        return f"{n} closed complaint(s) would be anonymized (closed {years} or more years ago)"
    result = await anonymize_due(now, env, settings.attachments_dir)
    return (f"{result.anonymized} closed complaint(s) anonymized (closed {years} or more years "
            f"ago); {result.files_removed} attachment file(s) deleted")


async def run_worker(once: bool) -> None:
    import logging

    from db.sweep import describe
    from portal.config import load_settings
    from portal.policy import load_policy
    from portal.scheduler import run_forever, tick

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = load_settings()
    policy = load_policy(settings.policy_path)
    async with connection_pool():
        if once:
            result = await tick(settings, await current_policy(settings.policy_path, policy))
            print(f"sweep: {describe(result.sweep)}; "
                  f"mail sent {result.mail.sent}, failed {result.mail.failed} {result.mail.last_error}")
        else:
            await run_forever(settings, policy)


@contextlib.asynccontextmanager
async def connection_pool():
    """A few pooled connections for a command's many queries on PostgreSQL: without a pool
    Piccolo opens a new connection for every query (the demo makes thousands)."""
    engine = _postgres_engine()
    if engine:
        await engine.start_connection_pool(min_size=1, max_size=4)
    try:
        yield
    finally:
        if engine:
            await engine.close_connection_pool()


async def pooled(work):
    """await work() with connection_pool() around it."""
    async with connection_pool():
        return await work()


def _postgres_engine():
    from piccolo.engine import engine_finder
    from piccolo.engine.postgres import PostgresEngine

    engine = engine_finder()
    return engine if isinstance(engine, PostgresEngine) else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="portal", description="客户投诉管理 complaint portal")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="create or upgrade the database schema")
    sub.add_parser("demo", help="load demo departments, users and complaints (idempotent)")
    serve = sub.add_parser("serve", help="run the web server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    worker = sub.add_parser("worker", help="sweep deadlines and send mail every minute "
                            "(run with PORTAL_SCHEDULER=0 on the servers)")
    worker.add_argument("--once", action="store_true", help="one round, then exit")
    sub.add_parser("stats-rebuild", help="recompute the statistics rollups from the complaints "
                   "(after an upgrade that adds figures, or a change of the revisit policy)")
    an = sub.add_parser("anonymize", help="anonymize the complaints closed longer ago than the "
                        "policy's privacy.anonymize_after_years (the server does it daily)")
    an.add_argument("--dry-run", action="store_true",
                    help="only count the complaints that would be anonymized")
    cu = sub.add_parser("createuser", help="create a user, or update one with that username")
    cu.add_argument("username")
    cu.add_argument("--role", required=True, choices=[r.value for r in Role])
    cu.add_argument("--department", default=None, help="department code, e.g. QA")
    cu.add_argument("--name", default="", help="display name")
    cu.add_argument("--email", default="")
    cu.add_argument("--password", default=None, help="prompted for when omitted")
    args = parser.parse_args(argv)

    if args.command == "migrate":
        asyncio.run(migrate())
        print("database is up to date")
    elif args.command == "demo":
        from portal.demo import load_demo

        asyncio.run(migrate())
        print(asyncio.run(pooled(load_demo)))
    elif args.command == "serve":
        from portal.config import load_settings
        from portal.policy import PolicyError, load_policy
        from portal.server import serve

        try:
            load_policy(load_settings().policy_path)
        except PolicyError as exc:
            # DOMAIN: an invalid policy stops start-up, naming the bad entry.
            raise SystemExit(f"cannot start: {exc}") from None
        serve(args.host, args.port, args.workers)
    elif args.command == "worker":
        asyncio.run(run_worker(args.once))
    elif args.command == "stats-rebuild":
        print(f"statistics rebuilt: {asyncio.run(pooled(rebuild_stats))} rollup rows")
    elif args.command == "anonymize":
        print(asyncio.run(pooled(lambda: anonymize(args.dry_run))))
    elif args.command == "createuser":
        password = args.password or getpass.getpass("password: ")
        if len(password) < 8:
            raise SystemExit("password must have at least 8 characters")
        uid = asyncio.run(create_user(args.username, password, args.role, args.department,
                                      args.name, args.email))
        print(f"user {args.username} saved (id {uid})")


if __name__ == "__main__":
    main(sys.argv[1:])
