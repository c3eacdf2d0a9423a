"""Piccolo tables. Every instant is a Timestamptz stored in UTC."""

from piccolo.columns import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.readable import Readable
from piccolo.table import Table


class Department(Table):
    code = Varchar(length=16, unique=True)
    name_zh = Varchar(length=64)
    name_en = Varchar(length=64)

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


class RevisitAttempt(Table):
    """A revisit call: reached, no answer or wrong number."""

    complaint = ForeignKey(references=Complaint, index=True)
    at = Timestamptz()
    agent = ForeignKey(references=User, null=True)
    outcome = Varchar(length=16)  # portal.revisit.AttemptOutcome
    note = Text(default="")
