"""The statistics rollup (stats_day) is kept by moving each change's difference; after any
mix of intake, workflow actions, extensions, appeals, re-grading, revisits (phone and email,
reopen), automatic grade rules and invalid complaints it equals a rebuild from scratch.
On SQLite and PostgreSQL, fixed clocks."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from db import revisits, rollup
from db.sweep import sweep
from db.tables import StatsDay, StatsPersonDay
from portal.demo import PATHS
from portal.workflow import Action
from tests.deadline_support import POLICY, TZ, act, env, in_progress, local, logged, reload
from tests.factories import make_complaint

T = local(2026, 11, 24, 10)
RESULT = {"cause": "来料不良", "solution": "换新"}


def run(fn, *args, **kwargs):
    async def call():
        return await fn(*args, **kwargs)

    return asyncio.run(call())


async def _as_rebuilt() -> tuple[dict, dict]:
    def nonzero(rollup: dict) -> dict:
        return {k: {c: n for c, n in v.items() if n} for k, v in rollup.items()
                if any(v.values())}

    total, people = await rollup.computed(POLICY, TZ)
    return nonzero(total), nonzero(people)


def assert_rollup_is_a_rebuild() -> None:
    stored = run(rollup.stored)
    assert stored == run(_as_rebuilt)
    assert stored[0], "the rollup is empty: nothing was counted"


def groups():
    return run(rollup.stored)[0]


def people():
    return run(rollup.stored)[1]


async def _replied(viewers, at, **overrides):
    row = await in_progress(viewers, at, **overrides)
    n = row["number"]
    await act(viewers, n, Action.SUBMIT_RESULT, "qa.staff", at + timedelta(hours=1), **RESULT)
    await act(viewers, n, Action.SIGN_OFF, "qa.head", at + timedelta(hours=2))
    await act(viewers, n, Action.VERIFY, "office", at + timedelta(hours=3))
    return await act(viewers, n, Action.REPLY, "office", at + timedelta(hours=4), reply="已处理")


def test_every_status_of_the_workflow(viewers):
    for status in PATHS:
        for department in ("QA", "SVC"):
            run(make_complaint, viewers, status=status, department=department,
                customer_phone=f"13{len(status):02d}{department == 'QA':d}0000000"[:11])
    assert_rollup_is_a_rebuild()
    counted = groups()
    assert sum(v.get("received", 0) for v in counted.values()) == 2 * len(PATHS)


def test_extensions_appeals_regrades_and_reassignment(viewers):
    row = run(in_progress, viewers, T, criteria=["II-5"])
    n = row["number"]
    run(act, viewers, n, Action.REQUEST_EXTENSION, "qa.head", T + timedelta(hours=1),
        new_due=row["cap_due"], reason="等待检测")
    run(act, viewers, n, Action.APPROVE_EXTENSION, "office", T + timedelta(hours=2))
    run(act, viewers, n, Action.REGRADE, "office", T + timedelta(hours=3), grade="I",
        reason="媒体报道", urgent=True)
    appealed = run(logged, viewers, T - timedelta(hours=1), criteria=["M-1"])
    run(act, viewers, appealed["number"], Action.DISPATCH, "office", T, department="QA")
    run(act, viewers, appealed["number"], Action.APPEAL, "qa.head", T + timedelta(hours=1),
        kind="not-our-business", reason="物流问题")
    run(act, viewers, appealed["number"], Action.APPEAL_REASSIGN, "office",
        T + timedelta(hours=2), department="SVC")
    invalid = run(logged, viewers, T, criteria=["II-7"])
    run(act, viewers, invalid["number"], Action.INVALID, "office", T + timedelta(minutes=5),
        kind="invalid", reason="非本公司产品")
    assert_rollup_is_a_rebuild()
    stats = groups()
    assert sum(v.get("extensions", 0) for v in stats.values()) == 1
    assert sum(v.get("appeals", 0) for v in stats.values()) == 1
    # The re-graded complaint counts under Class I only, the reassigned one under SVC only.
    assert {k[3] for k, v in stats.items() if v.get("extensions")} == {"I"}
    assert {k[1] for k, v in stats.items() if v.get("appeals")} == {"SVC"}


def test_revisits_reopen_and_answers(viewers):
    phone = run(_replied, viewers, T, criteria=["II-5"], callback_requested=True)
    run(act, viewers, phone["number"], Action.REVISIT_ATTEMPT, "office", T + timedelta(days=1),
        outcome="reached", overall=5, speed=5, attitude=4, solved=True, comments="")
    email = run(_replied, viewers, T, criteria=["II-5"], callback_requested=True,
                customer_email="kehu@example.com")
    run(act, viewers, email["number"], Action.SEND_SURVEY, "office", T + timedelta(days=1))
    survey = run(lambda: revisits.Survey.select().where(
        revisits.Survey.complaint == email["id"]).first())
    token = revisits.make_token(env().secret_key, survey["id"], survey["expires_at"])
    assert run(revisits.answer_survey, token, {"overall": 1, "solved": False},
               T + timedelta(days=2), env()) == revisits.SurveyLink.OPEN
    reopened = run(reload, email["number"])
    assert (reopened["status"], reopened["result_submitted_at"]) == ("in_progress", None)
    # The office re-grades the reopened complaint: the answer stays where it was counted.
    run(act, viewers, email["number"], Action.REGRADE, "office", T + timedelta(days=2, hours=1),
        grade="I", reason="再次投诉")
    spot = run(logged, viewers, T, criteria=["M-1"])
    run(act, viewers, spot["number"], Action.RESOLVE_ON_SPOT, "clerk", T + timedelta(minutes=30),
        reply="当场处理")
    assert_rollup_is_a_rebuild()
    stats = groups()
    assert sum(v.get("answers", 0) for v in stats.values()) == 2
    assert sum(v.get("satisfied", 0) for v in stats.values()) == 1
    assert sum(v.get("score_sum", 0) for v in stats.values()) == 6


def test_the_automatic_grade_rule_moves_the_counts(viewers):
    row = run(in_progress, viewers, T, criteria=["M-1"])
    result = run(sweep, T + timedelta(days=40), env())
    assert result.auto_graded == 1
    assert run(reload, row["number"])["grade"] == "I"
    assert_rollup_is_a_rebuild()
    assert {k[3] for k in groups()} == {"I"}


def test_rebuild_writes_what_the_deltas_kept(viewers):
    run(_replied, viewers, T, criteria=["II-5"])
    kept = run(rollup.stored)
    run(lambda: StatsDay.delete(force=True))
    run(lambda: StatsPersonDay.delete(force=True))
    assert run(rollup.stored) == ({}, {})
    assert run(rollup.rebuild, POLICY, TZ) == len(kept[0]) + len(kept[1])
    assert run(rollup.stored) == kept
    # The handler who submitted the result is counted on the reply day.
    (key, counts), = kept[1].items()
    assert key[1] == f"u{viewers['qa.staff'].id}" and counts == {
        "resolved": 1, "due_settled": 1, "on_time": 1}


def test_people_complained_about_and_handlers(viewers):
    run(logged, viewers, T, criteria=["II-4"], complained_person="王五")
    run(_replied, viewers, T, criteria=["II-5"], callback_requested=True)
    assert_rollup_is_a_rebuild()
    counted = people()
    assert {k[1]: v for k, v in counted.items()}["n王五"] == {"against": 1}
    assert f"u{viewers['qa.staff'].id}" in {k[1] for k in counted}
