"""Policy versions: the newest saved version is in force in every process (servers, worker)."""

from __future__ import annotations

import copy
import json
import logging
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from db.tables import Department, PolicyVersion, User
from portal.policy import DEFAULT_POLICY_PATH, Policy, PolicyError, parse_policy
from portal.policy_form import flatten

log = logging.getLogger("portal.policy")
PAGE_SIZE = 20


@dataclass(frozen=True)
class Live:
    version: int  # 0: the policy file
    raw: dict
    policy: Policy


def file_raw(path: Path | None) -> dict:
    return tomllib.loads(Path(path or DEFAULT_POLICY_PATH).read_text(encoding="utf-8"))


async def latest_id() -> int:
    row = await PolicyVersion.select(PolicyVersion.id).order_by(
        PolicyVersion.id, ascending=False).first()
    return row["id"] if row else 0


async def department_codes() -> set[str]:
    return {r["code"] for r in await Department.select(Department.code)}


async def refreshed(current: Live, policy_path: Path | None) -> Live:
    """`current`, or the newest version when another process saved one since."""
    newest = await latest_id()
    if newest == current.version:
        return current
    if newest == 0:
        raw = file_raw(policy_path)
    else:
        row = await PolicyVersion.select(PolicyVersion.data).where(
            PolicyVersion.id == newest).first()
        raw = json.loads(row["data"])
    try:
        # Saved versions were validated when saved; one saved before a newer rule keeps
        # working as it did (the form asks to correct it at the next save).
        return Live(newest, raw, parse_policy(raw, check_order=False))
    except PolicyError:
        # Keep working on the one we have.
        log.exception("policy version %s does not parse; keeping version %s", newest,
                      current.version)
        return current


def changes_between(before: dict, after: dict) -> list[list]:
    old, new = flatten(before), flatten(after)
    return [[key, old.get(key), new.get(key)] for key in sorted(old.keys() | new.keys())
            if old.get(key) != new.get(key)]


async def save_version(raw: dict, before: dict, user_id: int, now: datetime) -> int | None:
    """A new version when `raw` differs from `before`; returns its id, or None (no change).
    The caller has validated `raw` with parse_policy."""
    changes = changes_between(before, raw)
    if not changes:
        return None
    rows = await PolicyVersion.insert(PolicyVersion(
        created_at=now, created_by=user_id, data=json.dumps(raw, ensure_ascii=False),
        changes=json.dumps(changes, ensure_ascii=False, default=str),
    )).returning(PolicyVersion.id)
    return rows[0]["id"]


async def history(page: int, page_size: int = PAGE_SIZE) -> tuple[list[dict], bool]:
    rows = await PolicyVersion.select(
        PolicyVersion.id, PolicyVersion.created_at, PolicyVersion.changes,
        PolicyVersion.created_by.display_name.as_alias("by_name"),
        PolicyVersion.created_by.username.as_alias("by_username"),
    ).order_by(PolicyVersion.id, ascending=False).offset((page - 1) * page_size).limit(
        page_size + 1)
    for r in rows:
        r["changes"] = json.loads(r["changes"])
    return rows[:page_size], len(rows) > page_size


def with_copy(raw: dict) -> dict:
    return copy.deepcopy(raw)


__all__ = ["Live", "User", "changes_between", "file_raw", "history", "latest_id", "refreshed",
           "save_version"]
