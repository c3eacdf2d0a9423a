"""Piccolo tables. Every instant is a Timestamptz stored in UTC."""

from piccolo.columns import (
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    Numeric,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.readable import Readable
from piccolo.table import Table


class Department(Table):
    code = Varchar(length=16, unique=True)
    name_zh = Varchar(length=64)
    name_en = Varchar(length=64)
    is_active = Boolean(default=True)  # a deactivated one leaves routing and dispatch choices

    @classmethod
    def get_readable(cls):
        return Readable(template="%s", columns=[cls.code])


class User(Table, tablename="portal_user"):
    username = Varchar(length=64, unique=True)
    password_hash = Varchar(length=255)
    display_name = Varchar(length=64)
    email = Varchar(length=255, default="")
    role = Varchar(length=16)
    department = Varchar(length=16, null=True, default=None)  # Department.code
    is_active = Boolean(default=True)
    language = Varchar(length=8, default="zh_CN")  # notices and email go out in this language
    # The year whose "calendar not filled in" banner this user dismissed; a later year's shows.
    calendar_banner_dismissed = Integer(null=True, default=None)


class ComplaintCounter(Table):
    """One row a year; the row lock makes numbers gap-free under concurrency."""

    year = Integer(unique=True)
    value = Integer(default=0)


class Complaint(Table):
    number = Varchar(length=20, unique=True)
    status = Varchar(length=24)
    version = Integer(default=1)
    received_at = Timestamptz()
    logged_at = Timestamptz()
    channel = Varchar(length=16)
    category = Varchar(length=16)
    logged_by = ForeignKey(references=User)
    customer_name = Varchar(length=100)
    customer_phone = Varchar(length=32, default="", index=True)
    customer_email = Varchar(length=255, default="", index=True)
    customer_address = Varchar(length=255, default="")
    product = Varchar(length=200, default="")
    model_batch = Varchar(length=100, default="")
    order_no = Varchar(length=64, default="")
    purchase_date = Date(null=True, default=None)
    occurred_at = Timestamptz(null=True, default=None)
    location = Varchar(length=200, default="")
    complained_department = Varchar(length=16, null=True, default=None)
    complained_person = Varchar(length=100, default="")
    description = Text()
    demand = Text(default="")
    claimed_loss = Numeric(digits=(12, 2), null=True, default=None)
    confirmed_loss = Numeric(digits=(12, 2), null=True, default=None)
    criteria = Varchar(length=200, default="")
    grade = Varchar(length=4)
    urgent = Boolean(default=False)
    is_second = Boolean(default=False)
    previous_number = Varchar(length=20, null=True, default=None)
    # The office linked or unlinked the repeat by hand (link-repeat / unlink-repeat): a later
    # correction of the record leaves that decision alone instead of re-running the check.
    repeat_manual = Boolean(default=False)
    department = Varchar(length=16, null=True, default=None)  # handling department code
    invalid_kind = Varchar(length=16, default="")
    invalid_reason = Text(default="")
    duplicate_of = Varchar(length=20, null=True, default=None)
    cause = Text(default="")
    solution = Text(default="")
    corrective_action = Text(default="")
    compensation = Numeric(digits=(12, 2), null=True, default=None)
    reply = Text(default="")
    dispatched_at = Timestamptz(null=True, default=None)
    acknowledged_at = Timestamptz(null=True, default=None)
    acknowledged_by = Integer(null=True, default=None)  # the handler who signed receipt
    first_contact_at = Timestamptz(null=True, default=None)
    result_submitted_at = Timestamptz(null=True, default=None)
    signed_off_at = Timestamptz(null=True, default=None)
    verified_at = Timestamptz(null=True, default=None)
    replied_at = Timestamptz(null=True, default=None)
    # DOMAIN §4 deadlines, computed on dispatch from the policy and the business calendar.
    clock_start = Timestamptz(null=True, default=None)  # dispatch (or reassignment)
    acknowledge_due = Timestamptz(null=True, default=None)
    contact_due = Timestamptz(null=True, default=None)
    result_due = Timestamptz(null=True, default=None)
    cap_due = Timestamptz(null=True, default=None)
    next_due = Timestamptz(null=True, default=None)  # the nearest running deadline: list order
    next_alert_at = Timestamptz(null=True, default=None)  # the sweep's next look: reminder etc.
    extension_due = Timestamptz(null=True, default=None)  # a pending extension request
    extension_reason = Text(default="")
    appeal_kind = Varchar(length=24, default="")
    appeal_reason = Text(default="")
    # DOMAIN §5 revisit and survey (portal.revisit).
    callback_requested = Boolean(default=False)  # the customer asked to be called back
    revisit_state = Varchar(length=16, default="")  # portal.revisit.RevisitState
    revisit_due = Timestamptz(null=True, default=None)
    revisit_attempts = Integer(default=0)  # failed calls in this round
    survey_return_at = Timestamptz(null=True, default=None)  # an emailed survey comes back
    reopen_count = Integer(default=0)  # reopened after an unsatisfied answer
    satisfaction = Integer(null=True, default=None)  # the latest overall score (1–5)
    # DOMAIN §6–§7 statistics, recorded when they happen (they need the business calendar).
    result_by = Integer(null=True, default=None)  # the user who submitted the (latest) result
    resolve_minutes = Integer(null=True, default=None)  # working minutes, receipt → reply
    extension_requests = Integer(default=0)  # how many extensions were asked for
    # Issue 12: the person in the department the head gave it to (a user id), and how often
    # the office urged (催办) the department.
    assignee = Integer(null=True, default=None, index=True)
    urge_count = Integer(default=0)
    # DOMAIN §8 (portal.anonymize): when it last became final (closed or invalid; cleared by
    # a reopen), and when its customer's personal data was erased.
    closed_at = Timestamptz(null=True, default=None)
    anonymized_at = Timestamptz(null=True, default=None)


class ComplaintEvent(Table):
    """投诉处置记录: one row per change, written in the same transaction as the change."""

    complaint = ForeignKey(references=Complaint, index=True)
    at = Timestamptz()
    actor = ForeignKey(references=User, null=True)
    action = Varchar(length=32)
    from_status = Varchar(length=24, default="")
    to_status = Varchar(length=24, default="")
    note = Text(default="")
    changes = Text(default="")  # JSON: {field: [before, after]}


class Attachment(Table):
    complaint = ForeignKey(references=Complaint, index=True)
    filename = Varchar(length=255)
    content_type = Varchar(length=100)
    size = Integer()
    storage_key = Varchar(length=100)
    uploaded_by = ForeignKey(references=User, null=True)
    uploaded_at = Timestamptz()


class Notification(Table):
    """In-app notice; the text is rendered in the reader's language from kind + complaint."""

    user = ForeignKey(references=User, index=True)
    complaint = ForeignKey(references=Complaint, null=True)
    kind = Varchar(length=32)
    detail = Varchar(length=32, default="")  # e.g. which deadline a reminder is about
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)


class ContactView(Table):
    """DOMAIN §8: every display of a customer's full contact details is logged."""

    user = ForeignKey(references=User)
    complaint = ForeignKey(references=Complaint)
    at = Timestamptz()


class CalendarDay(Table):
    """A date the administrator set: a company holiday, or a working day (调休) — also how
    a year the chinesecalendar package does not know yet gets filled."""

    day = Date(unique=True)
    kind = Varchar(length=8)  # holiday | workday
    name = Varchar(length=64, default="")
    created_by = ForeignKey(references=User, null=True)
    created_at = Timestamptz()


class CalendarYear(Table):
    """A year the administrator has filled completely (no fallback, no warning)."""

    year = Integer(unique=True)
    confirmed_by = ForeignKey(references=User, null=True)
    confirmed_at = Timestamptz()


class DeadlineAlert(Table):
    """One row per reminder or breach notice sent; the unique key (complaint, kind,
    deadline, due) makes each one go out once, however many sweepers run."""

    complaint = ForeignKey(references=Complaint)
    kind = Varchar(length=16)  # reminder | breach | auto-grade
    deadline = Varchar(length=16)
    due = Timestamptz()
    sent_at = Timestamptz()


class OutboxEmail(Table):
    """Transactional outbox: written in the same transaction as the notification, delivered
    later by the sender with retries."""

    recipient = Varchar(length=255)
    subject = Varchar(length=255)
    body = Text()
    message_id = Varchar(length=128, unique=True)
    created_at = Timestamptz()
    next_attempt_at = Timestamptz()
    attempts = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    last_error = Text(default="")


class Survey(Table):
    """One satisfaction survey: sent by email (a signed link names this row), or answered on
    the phone on the customer's behalf. used_at makes the link single-use."""

    complaint = ForeignKey(references=Complaint, index=True)
    round = Integer(default=0)  # the complaint's reopen_count when it was asked
    channel = Varchar(length=8)  # email | phone
    sent_at = Timestamptz(null=True, default=None)
    sent_by = ForeignKey(references=User, null=True)
    recipient = Varchar(length=255, default="")
    expires_at = Timestamptz(null=True, default=None)
    used_at = Timestamptz(null=True, default=None)  # answered, or superseded
    answered_at = Timestamptz(null=True, default=None)
    answered_by = ForeignKey(references=User, null=True)  # the agent, for a phone answer
    overall = Integer(null=True, default=None)
    speed = Integer(null=True, default=None)
    attitude = Integer(null=True, default=None)
    solved = Boolean(null=True, default=None)
    comments = Text(default="")
    # The complaint's groups when it was answered: where the statistics count the answer.
    stats_department = Varchar(length=16, default="")
    stats_category = Varchar(length=16, default="")
    stats_grade = Varchar(length=4, default="")
    stats_channel = Varchar(length=16, default="")


class RevisitAttempt(Table):
    """A revisit call: reached, no answer or wrong number."""

    complaint = ForeignKey(references=Complaint, index=True)
    at = Timestamptz()
    agent = ForeignKey(references=User, null=True)
    outcome = Varchar(length=16)  # portal.revisit.AttemptOutcome
    note = Text(default="")


class StatsDay(Table):
    """The statistics rollup (portal.rollup): counters per local day and (handling
    department, category, grade, channel), kept equal to a rebuild by moving each change's
    difference in the same transaction. Unique on (day, department, category, grade, channel)."""

    day = Date()
    department = Varchar(length=16, default="")
    category = Varchar(length=16)
    grade = Varchar(length=4)
    channel = Varchar(length=16)
    received = Integer(default=0)
    valid = Integer(default=0)
    repeats = Integer(default=0)
    resolved = Integer(default=0)
    first_time = Integer(default=0)
    resolve_n = Integer(default=0)
    resolve_minutes = Integer(default=0)
    appeals = Integer(default=0)
    extensions = Integer(default=0)
    urges = Integer(default=0)  # the office urged (催办) the department
    due_settled = Integer(default=0)
    on_time = Integer(default=0)
    late = Integer(default=0)
    replied = Integer(default=0)
    revisited = Integer(default=0)
    target_milli = Integer(default=0)
    answers = Integer(default=0)
    satisfied = Integer(default=0)
    score_sum = Integer(default=0)


class StatsPersonDay(Table):
    """The employee ranking's rollup (portal.rollup.person_contributions): per local day,
    person ("u<user id>" who submitted results, "n<name>" complained about) and grade.
    Unique on (day, person, grade)."""

    day = Date()
    person = Varchar(length=110)
    grade = Varchar(length=4)
    resolved = Integer(default=0)
    on_time = Integer(default=0)
    due_settled = Integer(default=0)
    rated = Integer(default=0)
    rating_sum = Integer(default=0)
    against = Integer(default=0)


class AssessmentQuarter(Table):
    """DOMAIN §7: a quarter's assessment once someone closed it (or closed and reopened it).
    Closed: its scores are read from assessment_score, frozen; open (or no row): computed live
    from the rollups. Unique on (year, quarter)."""

    year = Integer()
    quarter = Integer()
    status = Varchar(length=8, default="open")  # open | closed
    closed_at = Timestamptz(null=True, default=None)
    closed_by = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)


class AssessmentScore(Table):
    """A closed quarter's frozen score of a department or an employee, with its breakdown
    (JSON): what the leaderboard shows for that quarter whatever happens to the complaints."""

    assessment = ForeignKey(references=AssessmentQuarter, index=True)
    kind = Varchar(length=12)  # department | employee
    key = Varchar(length=16)  # department code, or the user's id
    name = Varchar(length=64, default="")  # the user's display name when frozen
    department = Varchar(length=16, default="")  # the department (an employee's, when frozen)
    score = DoublePrecision(null=True, default=None)  # None: nothing measurable
    grade = Varchar(length=12, default="")  # departments: excellent | pass | fail
    rank = Integer(null=True, default=None)  # employees: None below the minimum resolved
    components = Text(default="[]")  # JSON: [{code, measure, weight, effective_weight, points}]
    figures = Text(default="{}")  # JSON: the counts behind the measures (and the penalty)
    evidence = Text(default="{}")  # JSON: the complaints behind them (a limited list each)


class AssessmentEvent(Table):
    """Closing and reopening a quarter: who, when and (to reopen) why."""

    assessment = ForeignKey(references=AssessmentQuarter, index=True)
    at = Timestamptz()
    actor = ForeignKey(references=User, on_delete=OnDelete.restrict)
    action = Varchar(length=8)  # close | reopen
    reason = Text(default="")


class ServiceStar(Table):
    """客户服务之星: the CS head's award of a quarter. Never updated: a change is a new row that
    `replaces` the current one, with a reason, so the history keeps every decision. Unique
    indexes keep one chain per quarter: one first award, and each award replaced at most once."""

    year = Integer()
    quarter = Integer()
    user = ForeignKey(references=User, on_delete=OnDelete.restrict)
    citation = Text()
    named_by = ForeignKey(references=User, on_delete=OnDelete.restrict)
    named_at = Timestamptz()
    # NO ACTION, not RESTRICT: checked at the end of the statement, so a whole chain can go
    # at once (tests empty the table) while a single replaced award still cannot.
    replaces = ForeignKey(references="self", null=True, default=None,
                          on_delete=OnDelete.no_action)
    reason = Text(default="")  # why the previous award was changed


class UserSession(Table):
    """A signed-in session (ASVS 4.0 §3.3): the cookie carries a random token, this row only
    its hash, so signing out, a password change or a timeout ends it on the server."""

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=User, index=True, on_delete=OnDelete.cascade)
    created_at = Timestamptz()
    last_seen_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)
    ip = Varchar(length=64, default="")
    user_agent = Varchar(length=255, default="")


class LoginAttempt(Table):
    """The sign-in log; also what the sign-in throttle counts."""

    at = Timestamptz(index=True)
    username = Varchar(length=64, index=True)  # as typed (cut to 64), known user or not
    user = ForeignKey(references=User, null=True, default=None)
    ip = Varchar(length=64, default="", index=True)
    success = Boolean(default=False)
    # ok | wrong-password | unknown-user | inactive | locked
    outcome = Varchar(length=16)


class PolicyVersion(Table):
    """DOMAIN: every *policy* is the company's. Each save at /admin/policy is a new version
    (the whole document, so any version can be read back alone); the newest one is in force,
    and the policy file is only the initial default (version 0, while this table is empty)."""

    created_at = Timestamptz()
    created_by = ForeignKey(references=User, null=True, default=None)
    data = Text()  # JSON: the whole policy document, as the TOML file would hold it
    changes = Text(default="[]")  # JSON: [[field, from, to], ...] against the version before


class SetPasswordLink(Table):
    """A single-use set-password link emailed to a user; only a hash of its token is kept,
    so a copy of the database cannot be used to take over an account."""

    user = ForeignKey(references=User, index=True, on_delete=OnDelete.restrict)
    token_hash = Varchar(length=64, unique=True)  # sha256 hex of the emailed token
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)  # set, or superseded by a newer link
    created_by = ForeignKey(references=User, null=True, default=None,
                            on_delete=OnDelete.restrict)


class AdminEvent(Table):
    """Every change an administrator makes to users and departments: who, when, what."""

    at = Timestamptz()
    actor = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    kind = Varchar(length=32)  # user-create | user-update | department-create | ...
    target = Varchar(length=64, index=True)  # "user:<username>" | "department:<code>"
    detail = Text(default="{}")  # JSON: {field: [before, after]}
