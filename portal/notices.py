"""The words of every notification, in-app and by email, in the reader's language. Pure."""

from __future__ import annotations

from datetime import datetime, tzinfo

from portal.i18n import _, _l, in_locale

DEADLINE_LABELS = {
    "acknowledge": _l("acknowledge receipt"),
    "contact": _l("first contact with the customer"),
    "result": _l("submit the result"),
    "cap": _l("final deadline (cap)"),
    "I-8": "I-8",
}

# kind -> sentence; %(number)s is the complaint, %(what)s the deadline or rule.
NOTICES = {
    "dispatched": _l("A complaint was dispatched to your department: %(number)s"),
    "sent_back": _l("A result was sent back for rework: %(number)s"),
    "replied": _l("A complaint you logged has been answered: %(number)s"),
    "reminder": _l("Reminder: the deadline to %(what)s is approaching on complaint %(number)s"),
    "breach": _l("Deadline missed: %(what)s on complaint %(number)s"),
    "extension_requested": _l("An extension of the result deadline was requested: %(number)s"),
    "extension_approved": _l("The extension was approved: %(number)s"),
    "extension_refused": _l("The extension was refused: %(number)s"),
    "appealed": _l("The department appealed complaint %(number)s; please rule on it"),
    "appeal_upheld": _l("The appeal was not accepted; the complaint stays with your "
                        "department: %(number)s"),
    "appeal_reassigned": _l("The appeal was accepted and the complaint went to another "
                            "department: %(number)s"),
    "auto_graded": _l("Complaint %(number)s was raised to Class I by rule %(what)s"),
    "reopened": _l("The customer was not satisfied: complaint %(number)s is reopened to your "
                   "department"),
    "revisit_escalated": _l("The customer is still not satisfied after the last reopen: "
                            "complaint %(number)s needs the customer-service head"),
    "assigned": _l("A complaint was assigned to you: %(number)s"),
    "returned": _l("Your department head returned the result for more work: %(number)s"),
    "noted": _l("A note was added to complaint %(number)s"),
    "urged": _l("The complaint office urges you to handle complaint %(number)s"),
}


def notice_text(kind: str, number: str | None, detail: str = "") -> str:
    template = NOTICES.get(kind)
    if template is None:
        return f"{kind} {number or ''}".strip()
    what = DEADLINE_LABELS.get(detail, detail)
    return _(template.message, number=number or "", what=str(what))


def email_for(kind: str, number: str | None, detail: str, locale: str, base_url: str,
              due: datetime | None = None, tz: tzinfo | None = None) -> tuple[str, str]:
    """(subject, body) of the email that goes with a notification."""
    with in_locale(locale):
        text = notice_text(kind, number, detail)
        lines = [text, ""]
        if due is not None and tz is not None:
            lines.append(_("Due: %(due)s", due=due.astimezone(tz).strftime("%Y-%m-%d %H:%M")))
        if number:
            lines.append(_("Open the complaint: %(url)s", url=f"{base_url}/complaints/{number}"))
        lines += ["", "-- ", _("Complaint portal (automatic message, please do not reply)")]
        subject = _("[Complaint portal] %(text)s", text=text)
    return subject[:250], "\n".join(lines) + "\n"


def survey_email(number: str, link: str, expires_at: datetime, tz: tzinfo) -> tuple[str, str]:
    """(subject, body) of the satisfaction survey sent to a customer: Chinese first, then
    English (the portal does not know the customer's language). No personal data in it."""
    expires = expires_at.astimezone(tz).strftime("%Y-%m-%d")
    parts, subjects = [], []
    for locale in ("zh_CN", "en"):
        with in_locale(locale):
            subjects.append(_("Satisfaction survey on your complaint %(number)s", number=number))
            parts.append("\n".join([
                _("Dear customer,"), "",
                _("Your complaint %(number)s has been answered. Please tell us in one minute "
                  "how satisfied you are with how we handled it:", number=number), "",
                link, "",
                _("The link works once and until %(date)s.", date=expires),
                _("Thank you for helping us improve."),
            ]))
    subject = f"{subjects[0]} / {subjects[1]}"
    return subject[:250], "\n\n----\n\n".join(parts) + "\n"
