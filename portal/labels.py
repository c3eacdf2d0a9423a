"""Display names for statuses and actions, through gettext."""

from portal.i18n import _l
from portal.workflow import Action, Role, Status

STATUS_LABELS = {
    Status.LOGGED: _l("Logged"),
    Status.DISPATCHED: _l("Dispatched"),
    Status.ACKNOWLEDGED: _l("Acknowledged"),
    Status.IN_PROGRESS: _l("In progress"),
    Status.APPEALED: _l("Appealed"),
    Status.RESULT_SUBMITTED: _l("Result submitted"),
    Status.SIGNED_OFF: _l("Signed off"),
    Status.VERIFIED: _l("Verified"),
    Status.REPLIED: _l("Replied"),
    Status.CLOSED: _l("Closed"),
    Status.INVALID: _l("Invalid"),
}

ACTION_LABELS = {
    Action.DISPATCH: _l("Dispatch"),
    Action.REGRADE: _l("Confirm or re-grade"),
    Action.INVALID: _l("Mark invalid / duplicate"),
    Action.ACKNOWLEDGE: _l("Acknowledge receipt"),
    Action.START: _l("Start handling"),
    Action.CONTACT: _l("Record customer contact"),
    Action.SUBMIT_RESULT: _l("Submit result"),
    Action.SIGN_OFF: _l("Sign off result"),
    Action.VERIFY: _l("Verify result"),
    Action.SEND_BACK: _l("Send back for rework"),
    Action.REPLY: _l("Reply to customer"),
    Action.RESOLVE_ON_SPOT: _l("Resolved on the spot"),
    Action.REQUEST_EXTENSION: _l("Request an extension"),
    Action.APPROVE_EXTENSION: _l("Approve the extension"),
    Action.REFUSE_EXTENSION: _l("Refuse the extension"),
    Action.APPEAL: _l("Appeal (return to the office)"),
    Action.APPEAL_REASSIGN: _l("Accept the appeal: reassign"),
    Action.APPEAL_UPHOLD: _l("Refuse the appeal: department keeps it"),
    Action.REVISIT_ATTEMPT: _l("Record a revisit call"),
    Action.SEND_SURVEY: _l("Email the satisfaction survey"),
    Action.CLOSE_REVISIT: _l("Close (customer-service head)"),
    Action.ASSIGN: _l("Assign to a person"),
    Action.RETURN_TO_HANDLER: _l("Return to the handler"),
    Action.NOTE: _l("Add a note"),
    Action.URGE: _l("Urge the department"),
    Action.LINK_REPEAT: _l("Link to the earlier complaint it repeats"),
    Action.UNLINK_REPEAT: _l("Not a second complaint: unlink"),
}

# History rows written by the system rather than by a button.
EVENT_LABELS = {
    "log": _l("Logged"),
    "auto-grade": _l("Automatic grade rule"),
    "auto-grade-undone": _l("Automatic grade rule withdrawn"),
    "edit": _l("Record corrected"),
    "revisit-draw": _l("Revisit draw"),
    "survey-answered": _l("Survey answered by the customer"),
    "survey-returned": _l("Email survey unanswered: back to the phone queue"),
    "anonymized": _l("Anonymized: the customer's personal data erased"),
}

REVISIT_STATE_LABELS = {
    "not-drawn": _l("not drawn for a revisit"),
    "pending": _l("phone queue"),
    "survey": _l("email survey sent"),
    "done": _l("revisit done"),
    "unreachable": _l("unreachable"),
    "escalated": _l("with the customer-service head"),
}

ATTEMPT_LABELS = {
    "reached": _l("Reached: answers recorded"),
    "no-answer": _l("No answer"),
    "wrong-number": _l("Wrong number"),
}

# DOMAIN §5: the 5-point scale, and the fields that use it.
SCALE_FIELDS = ("overall", "speed", "attitude", "satisfaction")
SCALE_LABELS = {
    5: _l("Very satisfied"),
    4: _l("Satisfied"),
    3: _l("Neutral"),
    2: _l("Dissatisfied"),
    1: _l("Very dissatisfied"),
}

DEADLINE_LABELS = {
    "acknowledge": _l("Acknowledge"),
    "contact": _l("First contact"),
    "result": _l("Result"),
    "cap": _l("Final deadline (cap)"),
}

ROLE_LABELS = {
    Role.EMPLOYEE: _l("Employee"),
    Role.HANDLER: _l("Handler"),
    Role.DEPT_HEAD: _l("Department head"),
    Role.OFFICE: _l("Complaint office"),
    Role.CS_HEAD: _l("Customer-service head"),
    Role.ADMIN: _l("Administrator"),
}

INVALID_KINDS = {
    "invalid": _l("Invalid"),
    "duplicate": _l("Duplicate"),
    "malicious": _l("Malicious"),
}

APPEAL_KINDS = {
    "not-our-business": _l("Not our department's business"),
    "dispute-facts": _l("We dispute the facts (with evidence)"),
}

# Fields whose changes the history shows as "from → to".
FIELD_LABELS = {
    "department": _l("Handling department"),
    "assignee": _l("Assigned to"),
    "grade": _l("Grade"),
    "invalid_kind": _l("Closed as"),
    "appeal_kind": _l("Appeal"),
    "duplicate_of": _l("Original complaint"),
    "compensation": _l("Compensation (CNY)"),
    "previous_number": _l("Second complaint, repeating"),
    "urgent": _l("Urgent"),
    "acknowledge_due": _l("Deadline: acknowledge"),
    "contact_due": _l("Deadline: first contact"),
    "result_due": _l("Deadline: result"),
    "cap_due": _l("Deadline: cap"),
    "extension_due": _l("Extension requested to"),
    "revisit_state": _l("Revisit"),
    "revisit_attempts": _l("Failed revisit calls"),
    "satisfaction": _l("Satisfaction (overall)"),
    "reopen_count": _l("Times reopened"),
    "outcome": _l("Call"),
    "overall": _l("Overall satisfaction"),
    "speed": _l("Speed"),
    "attitude": _l("Staff attitude"),
    "solved": _l("Problem solved"),
    "criteria": _l("Grade criteria met"),
    # Correcting the record (issue 12 §4): the intake fields, as the form names them.
    "customer_name": _l("Customer name"),
    "customer_phone": _l("Phone"),
    "customer_email": _l("Email"),
    "customer_address": _l("Address or unit"),
    "channel": _l("Channel"),
    "category": _l("Category"),
    "received_at": _l("Received at"),
    "occurred_at": _l("Happened at"),
    "location": _l("Where it happened"),
    "product": _l("Product"),
    "model_batch": _l("Model / batch"),
    "order_no": _l("Order no."),
    "purchase_date": _l("Purchase date"),
    "complained_department": _l("Department complained about"),
    "complained_person": _l("Person complained about"),
    "description": _l("Description"),
    "demand": _l("Customer's demand"),
    "claimed_loss": _l("Claimed loss (CNY)"),
}

# The sign-in log (/admin/logins).
LOGIN_OUTCOMES = {
    "ok": _l("Signed in"),
    "wrong-password": _l("Wrong password"),
    "unknown-user": _l("Unknown username"),
    "inactive": _l("Account deactivated"),
    "locked": _l("Refused: locked"),
}

# The official holidays by the English name the chinesecalendar package gives them.
HOLIDAY_LABELS = {
    "New Year's Day": _l("New Year's Day"),
    "Spring Festival": _l("Spring Festival"),
    "Tomb-sweeping Day": _l("Tomb-sweeping Day"),
    "Labour Day": _l("Labour Day"),
    "Dragon Boat Festival": _l("Dragon Boat Festival"),
    "National Day": _l("National Day"),
    "Mid-autumn Festival": _l("Mid-autumn Festival"),
    "Anti-Fascist 70th Day": _l("70th anniversary of the victory in the War of Resistance"),
}
