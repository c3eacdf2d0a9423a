"""Search over every complaint a user may see, in any status (the header box, /search, the
inbox's and /mine's `q`). One condition for all of them, so the lists cannot disagree.

Results come in tiers by kind of match, each newest first: the exact number (or the sequence
number typed without its year, a whole phone, an email, the last four digits of a phone),
then numbers that end with the digits typed, then the rest (numbers containing them, customer
name, product, order no., description, demand). Each tier excludes the rows of the earlier
ones, so the keyset cursor `tier.id` pages through each row once.

On PostgreSQL the LIKE/ILIKE conditions are answered by pg_trgm GIN indexes (migration
2026-12-03). A text query of one or two characters has no trigram. It first finds customer
names that begin with it in every complaint (the btree complaint_customer_name_prefix), then
the text columns containing it:
- two characters (漏水, 退款: most Chinese words) in every complaint, through the GIN index
  complaint_text_bigrams over complaint_bigrams(BIGRAM_SOURCE), every overlapping pair of
  characters of the searched columns, lower-cased (migration 2026-12-05T06:30; _BIGRAM_MATCH
  is the condition): among the latest SHORT_WINDOW complaints, then the older ones;
- one character among the latest SHORT_WINDOW complaints only, a bounded newest-first scan
  (a single character is rarely a useful search; the page says so).
SQLite has no such index: LIKE reads every complaint for two characters too (cheap at its
sizes); one character keeps the same window as PostgreSQL."""

from __future__ import annotations

from piccolo.columns.combination import WhereRaw

from db.queries import LIST_COLUMNS, PAGE_SIZE
from db.tables import Complaint
from db.transactions import is_sqlite
from portal.search import MIN_BIGRAM, SearchQuery
from portal.workflow import DEPARTMENT_ROLES, OFFICE_ROLES, Viewer

SHORT_WINDOW = 100_000
TEXT_COLUMNS = (Complaint.customer_name, Complaint.product, Complaint.order_no,
                Complaint.description, Complaint.demand)
# The text the bigram index is built on (migration 2026-12-05T06:30 repeats it): a query must
# use the very same expression for PostgreSQL to use the index. Every column is NOT NULL.
BIGRAM_INDEX = "complaint_text_bigrams"
BIGRAM_SOURCE = " || ' ' || ".join(f'"complaint"."{c._meta.db_column_name}"' for c in TEXT_COLUMNS)
# The index condition, and the same test as a plain substring search of the lowered text (two
# characters hold no blank, so it never spans two columns). Where the planner walks the
# primary key newest first (a common pair) the cheap strpos runs first and the pairs are
# computed for the matches only; and it is estimated to keep a third of the rows, which keeps
# a rare pair, whose frequency the planner overestimates, on the index.
_BIGRAM_MATCH = (f"(complaint_bigrams({BIGRAM_SOURCE}) @> ARRAY[lower({{}})] "
                 f"AND strpos(lower({BIGRAM_SOURCE}), lower({{}})) > 0)")


def _escape(text: str) -> str:
    # Wildcards typed by the user are dropped rather than escaped: Piccolo's LIKE has no ESCAPE.
    return text.replace("%", "").replace("_", "")


def _contains(column, text: str):
    # SQLite's LIKE already ignores ASCII case; PostgreSQL needs ILIKE.
    op = "like" if is_sqlite() else "ilike"
    return getattr(column, op)(f"%{_escape(text)}%")


def _text_contains(text: str):
    """Any of the text columns contains `text`."""
    if len(text) == MIN_BIGRAM and not is_sqlite():  # the bigram index (3+: the trigram ones)
        return WhereRaw(_BIGRAM_MATCH, text, text)
    return _any([_contains(column, text) for column in TEXT_COLUMNS])


def _any(conditions: list):
    match = conditions[0]
    for extra in conditions[1:]:
        match = match | extra
    return match


def _tiers(sq: SearchQuery, floor: int | None) -> list[list[tuple]]:
    """Each tier as (condition, its negation) pairs; the last tier needs no negation."""
    if sq.number:
        return [[(Complaint.number == sq.number, None)]]
    first, second, rest = [], [], []
    if sq.email:
        first.append((Complaint.customer_email == sq.email, Complaint.customer_email != sq.email))
    if sq.phone:
        first.append((Complaint.customer_phone == sq.phone, Complaint.customer_phone != sq.phone))
    if sq.fragment:
        frag = sq.fragment
        seq = f"-{frag.zfill(6)}" if frag.isdigit() and len(frag) <= 6 else frag
        first.append((Complaint.number.like(f"%{seq}"), Complaint.number.not_like(f"%{seq}")))
        if sq.phone_suffix:
            first.append((Complaint.customer_phone.like(f"%{sq.phone_suffix}"),
                          Complaint.customer_phone.not_like(f"%{sq.phone_suffix}")))
        if seq != frag:
            second.append((Complaint.number.like(f"%{frag}"),
                           Complaint.number.not_like(f"%{frag}")))
        rest.append((Complaint.number.like(f"%{frag}%"), Complaint.number.not_like(f"%{frag}%")))
    recent, older = [], []
    if sq.short:
        prefix = f"{_escape(sq.text)}%"
        rest.append((Complaint.customer_name.like(prefix), Complaint.customer_name.not_like(prefix)))
        # Tiers of their own: the names that begin with the query come first, and ORed with the
        # name prefix, neither the id bound nor the bigram index could limit the scan.
        text = _text_contains(sq.text)
        if floor is None:
            recent.append((text, None))
        else:
            # The newest SHORT_WINDOW complaints, then (two characters) the older ones: still
            # newest first, as one list. A pair in some hundredths of the complaints (冰箱退…)
            # fills a page from the window (the index ANDed with an id range: a few ms) instead
            # of reading its thousands of complaints all over the table.
            recent.append((text & (Complaint.id > floor), None))
            if not sq.windowed:
                older.append((text & (Complaint.id <= floor), None))
    else:
        rest.extend((_contains(column, sq.text), None) for column in TEXT_COLUMNS)
    return [tier for tier in (first, second, rest, recent, older) if tier]


def tier_conditions(sq: SearchQuery, floor: int | None = None) -> list:
    """One condition per tier, each excluding the rows of the tiers before it; a one-character
    text query looks into the text of complaints with an id above `floor` only, a
    two-character one above `floor` first, then at or below it."""
    conditions, earlier = [], []
    for tier in _tiers(sq, floor):
        condition = _any([c for c, _ in tier])
        for negation in earlier:
            condition = condition & negation
        conditions.append(condition)
        earlier.extend(n for _, n in tier if n is not None)
    return conditions


def search_condition(sq: SearchQuery, floor: int | None = None):
    """Every match of the query, in one condition (for lists with an order of their own)."""
    return _any(tier_conditions(sq, floor))


async def short_floor(sq: SearchQuery) -> int | None:
    """The id of the newest complaint before the latest SHORT_WINDOW (None: fewer of them, or
    not a one- or two-character query): a one-character query reads no text below it, a
    two-character one reads the complaints above it first."""
    if not sq.short:
        return None
    newest = await Complaint.select(Complaint.id).order_by(Complaint.id, ascending=False).first()
    return newest["id"] - SHORT_WINDOW if newest and newest["id"] > SHORT_WINDOW else None


def visible_to(viewer: Viewer):
    """portal.workflow.can_view as a condition: the office sees every complaint, a department
    its own, anyone what they logged. None means no restriction."""
    if viewer.role in OFFICE_ROLES:
        return None
    mine = Complaint.logged_by == viewer.id
    if viewer.role in DEPARTMENT_ROLES and viewer.department:
        return (Complaint.department == viewer.department) | mine
    return mine


def parse_cursor(cursor: str) -> tuple[int, int | None]:
    try:
        tier, ident = cursor.split(".", 1)
        return int(tier), int(ident)
    except (ValueError, AttributeError):
        return 0, None


def tier_query(condition, scope, before: int | None, limit: int):
    """One tier's rows, newest first (also what bench/search.py explains)."""
    query = Complaint.select(*LIST_COLUMNS).where(condition)
    if scope is not None:
        query = query.where(scope)
    if before is not None:
        query = query.where(Complaint.id < before)
    return query.order_by(Complaint.id, ascending=False).limit(limit)


async def search_page(sq: SearchQuery, viewer: Viewer, after: str = "",
                      page_size: int = PAGE_SIZE) -> tuple[list[dict], str | None]:
    """One page of matches (each row with its `match` tier) and the next page's cursor."""
    if sq.is_empty:
        return [], None
    start, ident = parse_cursor(after) if after else (0, None)
    scope = visible_to(viewer)
    rows: list[dict] = []
    for tier, condition in enumerate(tier_conditions(sq, await short_floor(sq))):
        if tier < start or len(rows) > page_size:
            continue
        query = tier_query(condition, scope, ident if tier == start else None,
                           page_size + 1 - len(rows))
        found = await query
        rows += [{**row, "match": tier} for row in found]
    next_cursor = None
    if len(rows) > page_size:
        last = rows[page_size - 1]
        next_cursor = f"{last['match']}.{last['id']}"
    return rows[:page_size], next_cursor
