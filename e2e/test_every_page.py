"""Issue 13: every page, for every role, at 360, 390 and 414 px and at 1366 px, in Chinese and
English, fits the screen (no sideways scrolling of the page), has a header whose controls can
be reached and tapped (behind the menu button on a phone), keeps complaint numbers on one line,
offers 44 px tap targets on a phone, and passes axe-core with no serious or critical violation
(at 390 and 1366 px). Every page is loaded once per language and resized for the four widths.

Screenshots: e2e/screenshots/every-<lang>-390-<role>-<page>.png for every page, and
every-<lang>-1366-<role>-<page>.png for the main ones."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD, SHOTS, shot

pytestmark = pytest.mark.e2e

PACKAGE = json.loads((Path(__file__).resolve().parent.parent / "package.json").read_text())
AXE = (Path(__file__).resolve().parent / "vendor"
       / f"axe-{PACKAGE['dependencies']['axe-core']}.min.js").read_text()

ROLES = ("clerk", "office", "cshead", "admin", "qa.head", "qa.staff")
LANGUAGES = {"zh": "zh-CN", "en": "en-US"}
PHONES = (360, 390, 414)
DESKTOP = 1366
WIDTHS = (*PHONES, DESKTOP)
AXE_WIDTHS = (390, DESKTOP)
SHOT_WIDTH = 390
HEIGHT = {360: 780, 390: 844, 414: 896, DESKTOP: 900}
TAP_MIN = 44  # px

# Pages a role reaches besides its navigation links: the rest of every GET route a user can
# open (tests/pages/test_security_headers.py PAGES), by the roles that may open them.
COMMON = ("/notifications", "/account", "/search?q=2026")
EXTRA = {
    "cshead": ("/admin/policy", "/admin/policy/history", "/admin/contact-views"),
    "admin": ("/admin/users", "/admin/users/new", "/admin/users/import", "/admin/users/qa.staff",
              "/admin/departments", "/admin/policy", "/admin/policy/history", "/admin/logins",
              "/admin/contact-views"),
}
# Where a role finds a complaint to open, and the pages whose desktop screenshot is kept.
COMPLAINT_LISTS = ("/triage", "/inbox", "/mine", "/search?q=2026")
MAIN = {"/inbox", "/triage", "/mine", "/revisits", "/stats", "/leaderboard", "/intake",
        "/admin/users", "/admin/policy", "/notifications", "complaint", "revisit-complaint",
        "complaint-edit"}

# Everything but axe, in one round trip per width: the page's width and what sticks out past
# the right edge; the header's controls (on a phone, the menu is opened first and closed
# after; each control must be visible, inside the viewport and the topmost element at its
# centre); complaint numbers on one line; tap targets of at least 44 px on a phone (buttons,
# inputs, selects, the labels of checkboxes and radios however they are tied to them, and the
# links that stand alone: buttons, navigations (breadcrumbs, pagers), banners, lists, tabs).
CHECK_JS = """({phone, targets, min}) => {
  const out = {problems: []}, w = document.documentElement.clientWidth;
  const label = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const scroll = document.documentElement.scrollWidth;
  if (scroll > w) {
    const culprits = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (!r.width || r.right <= w + 0.5) continue;
      let p = el.parentElement, clipped = false;
      for (; p && p !== document.body; p = p.parentElement) {
        if (getComputedStyle(p).overflowX !== 'visible' && p.getBoundingClientRect().right <= w + 0.5) { clipped = true; break; }
      }
      if (!clipped) culprits.push(label(el) + ' right=' + Math.round(r.right));
      if (culprits.length > 4) break;
    }
    if (!culprits.length)  // something positioned escapes a clipping box: name the deepest
      for (const el of Array.from(document.body.querySelectorAll('*')).reverse()) {
        if (el.getBoundingClientRect().right > w + 0.5) culprits.push(label(el));
        if (culprits.length > 2) break;
      }
    out.problems.push('scrolls sideways: scrollWidth ' + scroll + '; sticking out: ' + culprits.join(', '));
  }
  const toggle = document.querySelector('header [data-menu-toggle]');
  const toggleShown = toggle && toggle.getBoundingClientRect().width > 0;
  if (phone && toggle && !toggleShown) out.problems.push('no menu button');
  if (!phone && toggleShown) out.problems.push('the desktop header is collapsed into the menu button');
  const open = phone && toggleShown;
  if (open) {
    toggle.click();
    if (toggle.getAttribute('aria-expanded') !== 'true') out.problems.push('the menu button does not open the menu');
  }
  const pick = (sel) => Array.from(document.querySelectorAll(sel));
  const controls = [
    ...pick('header nav a').map(e => ['nav ' + e.getAttribute('href'), e]),
    ...pick('header [data-testid=header-search]').map(e => ['search', e]),
    ...pick('header [data-testid=bell]').map(e => ['bell', e]),
    ...pick('header [data-testid=lang-switch]').map(e => ['language', e]),
    ...pick('header [data-testid=logout]').map(e => ['log out', e]),
  ];
  const unreachable = [];
  for (const [name, el] of controls) {
    el.scrollIntoView({block: 'center', inline: 'nearest'});
    const r = el.getBoundingClientRect();
    const hit = r.width && r.height ? document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) : null;
    if (!hit || !(hit === el || el.contains(hit))) unreachable.push(name + (r.width ? ' covered or off-screen' : ' not visible'));
    else if (r.left < 0 || r.right > w + 0.5) unreachable.push(name + ' off the edge');
    else if (phone && r.height < min - 0.5) unreachable.push(name + ' ' + Math.round(r.height) + 'px tall');
  }
  if (unreachable.length) out.problems.push('header controls not reachable: ' + unreachable.join(', '));
  if (!phone && new Set(pick('header nav a').map(e => Math.round(e.getBoundingClientRect().top))).size > 1)
    out.problems.push('the navigation wraps');
  if (open) {
    toggle.click();
    if (toggle.getAttribute('aria-expanded') !== 'false') out.problems.push('the menu button does not close the menu');
  }
  window.scrollTo(0, 0);
  if (phone) {
    const wrapped = pick('.number, .detail-head h1, a[href^="/complaints/TS-"]')
      .filter(e => /^TS-\\d{4}-\\d+$/.test(e.textContent.trim()) && e.getClientRects().length > 1)
      .map(e => e.textContent.trim());
    if (wrapped.length) out.problems.push('complaint numbers wrap: ' + wrapped.slice(0, 3).join(', '));
  }
  if (targets) {
    // Everything one taps in the main content: controls, the label of every checkbox and
    // radio (wrapped in it or pointing at it with for=), and the links that stand alone
    // (styled as buttons, in a navigation such as a breadcrumb or a pager, in a banner, in a
    // row of actions, in lists and cards). A link inside running text is exempt (WCAG 2.5.8).
    const sel = ['main button', 'main select', 'main input:not([type=hidden]):not([type=checkbox]):not([type=radio])',
      'main table.cards td a', 'main li > a', 'main nav a', 'main a.btn', 'main .banner a',
      'main .actions-row > a', 'main .tabs a', 'main .queues a', 'main summary'];
    const toggles = Array.from(document.querySelectorAll('main label'))
      .filter(l => l.control && (l.control.type === 'checkbox' || l.control.type === 'radio'));
    const small = [];
    for (const el of new Set([...document.querySelectorAll(sel.join(',')), ...toggles])) {
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height || el.closest('.visually-hidden')) continue;
      if (r.height < min - 0.5) small.push(label(el) + ' "' +
        (el.textContent || el.getAttribute('name') || '').trim().slice(0, 24) + '" ' + Math.round(r.height) + 'px');
    }
    if (small.length) out.problems.push('tap targets under ' + min + ' px: ' + small.slice(0, 6).join('; '));
  }
  return out.problems;
}"""

AXE_JS = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v =>
    v.id + ' (' + v.impact + ') ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""


def slug(path: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", path.lower()).strip("-") or "home"


class Audit:
    """Visits pages in one browser context and collects every problem, named by page and
    width, so that one run lists all of them."""

    def __init__(self, page: Page, who: str, lang: str) -> None:
        self.page, self.who, self.lang = page, who, lang
        self.problems: list[str] = []
        self.pages = 0
        self.listening = False
        # Issue 14: every page works under the CSP with no console error (Chromium reports
        # each CSP violation in the console), and no uncaught exception.
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.fail(page.url, None, f"uncaught {exc}"))

    def _console(self, msg) -> None:
        text = msg.text
        if not self.listening:  # finding pages (a role's refused list answers 403) is not a visit
            return
        if msg.type == "error" or "Content Security Policy" in text or "Refused to" in text:
            self.fail(self.page.url, None, f"console [{msg.type}] {text} {msg.location.get('url', '')}")

    def fail(self, path: str, width: int | None, what: str) -> None:
        self.problems.append(f"{self.who} {self.lang} {path}" + (f" @{width}" if width else "")
                             + f": {what}")

    def visit(self, path: str, name: str | None = None) -> None:
        page = self.page
        page.set_viewport_size({"width": DESKTOP, "height": HEIGHT[DESKTOP]})
        self.listening = True
        try:
            self._visit(path, name)
        finally:
            self.listening = False

    def _visit(self, path: str, name: str | None) -> None:
        page = self.page
        response = page.goto(path)
        if not response or response.status != 200:
            self.fail(path, None, f"answered {response and response.status}")
            return
        self.pages += 1
        name = name or slug(path)
        for width in reversed(WIDTHS):  # desktop first: the page was loaded at 1366
            page.set_viewport_size({"width": width, "height": HEIGHT[width]})
            for problem in page.evaluate(CHECK_JS, {"phone": width in PHONES, "min": TAP_MIN,
                                                    "targets": width == SHOT_WIDTH}):
                self.fail(path, width, problem)
            if width in AXE_WIDTHS:
                self.axe(path, width)
            # every page on a phone; the main pages on a desktop, once (the first role to open them)
            desktop_shot = (width == DESKTOP and name in MAIN_SLUGS
                            and (self.lang, name) not in DESKTOP_SHOTS)
            if width == SHOT_WIDTH or desktop_shot:
                if desktop_shot:
                    DESKTOP_SHOTS.add((self.lang, name))
                shot(page, f"every-{self.lang}-{width}-{self.who}-{name}")

    def axe(self, path: str, width: int) -> None:
        page = self.page
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            # Runs in the page through the DevTools protocol, which the page's CSP does not
            # govern (add_script_tag would insert an inline <script>, which the CSP refuses).
            page.evaluate(AXE)
        # On a phone the header menu is audited open (it is hidden, so skipped, when closed).
        toggle = "document.querySelector('header [data-menu-toggle]')"
        menu = width in PHONES and page.evaluate(f"!!{toggle} && {toggle}.offsetWidth > 0")
        if menu:
            page.evaluate(f"{toggle}.click()")
        for violation in page.evaluate(AXE_JS):
            self.fail(path, width, f"axe: {violation}")
        if menu:
            page.evaluate(f"{toggle}.click()")

    def check_header_by_clicking(self, width: int) -> None:
        """Playwright's own actionability check (visible, stable, enabled, receiving events)
        on every header control, on one page of each context at a phone and the desktop
        width: the JavaScript hit test covers every page at every width quickly."""
        page = self.page
        page.set_viewport_size({"width": width, "height": HEIGHT[width]})
        toggle = page.get_by_test_id("menu-toggle")
        if width in PHONES:
            toggle.click(trial=True)
            toggle.click()
            expect(toggle).to_have_attribute("aria-expanded", "true")
        controls = page.locator("header nav a, header [data-testid=header-search], header [data-testid=bell],"
                                " header [data-testid=lang-switch], header [data-testid=logout]")
        for i in range(controls.count()):
            try:
                controls.nth(i).click(trial=True, timeout=3000)
            except Exception as exc:  # noqa: BLE001 (reported with the page and width)
                self.fail(page.url, width, f"header control {i} not clickable: {exc}")
        if width in PHONES:
            page.keyboard.press("Escape")
            expect(toggle).to_have_attribute("aria-expanded", "false")
            expect(toggle).to_be_focused()

    def assert_clean(self) -> None:
        assert not self.problems, f"{len(self.problems)} problems:\n" + "\n".join(self.problems)


MAIN_SLUGS = {slug(p) for p in MAIN}
DESKTOP_SHOTS: set[tuple[str, str]] = set()


def _login(browser: Browser, server: str, username: str, locale: str) -> Page:
    context = browser.new_context(base_url=server, locale=locale,
                                  viewport={"width": DESKTOP, "height": HEIGHT[DESKTOP]})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/login")
    page.locator("[name=username]").fill(username)
    page.locator("[name=password]").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    expect(page.locator("html")).to_have_attribute("lang", re.compile("^" + locale[:2]))
    return page


def _first_complaint(page: Page, lists: tuple[str, ...]) -> str | None:
    for path in lists:
        if page.goto(path).status != 200:
            continue
        link = page.locator("main a[href^='/complaints/TS-']").first
        if link.count():
            return link.get_attribute("href")
    return None


def pages_of(page: Page, role: str) -> list[tuple[str, str | None]]:
    """(path, screenshot name) of every page this role may open."""
    page.goto("/mine")
    nav = [a.get_attribute("href") for a in page.locator("header nav a").all()]
    found = [(p, None) for p in dict.fromkeys([*nav, *COMMON, *EXTRA.get(role, ())])]
    complaint = _first_complaint(page, COMPLAINT_LISTS)
    if complaint:
        found.append((complaint, "complaint"))
        if role in ("office", "cshead"):  # correcting the record is the office's
            found.append((complaint + "/edit", "complaint-edit"))
    if "/revisits" in nav:
        revisit = _first_complaint(page, ("/revisits",))
        if revisit:
            found.append((revisit, "revisit-complaint"))
    if "/leaderboard" in nav:
        page.goto("/leaderboard")
        quarter = page.locator("#leaderboard").get_attribute("data-quarter")
        department = page.locator("tr[data-department]").first
        if department.count():
            found.append((f"/leaderboard/departments/{department.get_attribute('data-department')}"
                          f"?quarter={quarter}", "leaderboard-department"))
        person = page.locator("tr[data-user]").first
        if person.count():
            found.append((f"/leaderboard/people/{person.get_attribute('data-user')}?quarter={quarter}",
                          "leaderboard-person"))
    return found


def audit_role(browser: Browser, server: str, role: str, lang: str) -> Audit:
    started = time.monotonic()
    page = _login(browser, server, role, LANGUAGES[lang])
    try:
        audit = Audit(page, role, lang)
        for path, name in pages_of(page, role):
            audit.visit(path, name)
        page.goto("/mine")
        for width in (SHOT_WIDTH, DESKTOP):
            audit.check_header_by_clicking(width)
    finally:
        page.context.close()
    print(f"{role} {lang}: {audit.pages} pages in {time.monotonic() - started:.1f} s")
    return audit


def in_own_browser(work, *args) -> tuple[threading.Thread, dict]:
    """Starts work(browser, *args) in a thread with its own Playwright and Chromium (the sync
    API belongs to the thread that started it), so that two languages are audited at once on
    a machine's two cores. Returns the thread and the dict that receives "value" or "error"."""
    outcome: dict = {}

    def run() -> None:
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                     headless=True)
                try:
                    outcome["value"] = work(browser, *args)
                finally:
                    browser.close()
        except BaseException as exc:  # noqa: BLE001 (raised again in the test's thread)
            outcome["error"] = exc

    thread = threading.Thread(target=run, name=f"audit-{args}")
    thread.start()
    return thread, outcome


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_role_fits_every_width_and_passes_axe(browser, server, role):
    thread, english = in_own_browser(audit_role, server, role, "en")
    try:
        chinese = audit_role(browser, server, role, "zh")
    finally:
        thread.join()
    if "error" in english:
        raise english["error"]
    chinese.problems += english["value"].problems
    chinese.assert_clean()


def _mailed_link(mailbox, pattern: str, to: str | None = None, timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while True:
        with mailbox._arrived:
            for message in mailbox._messages:
                if to and message["To"] != to:
                    continue
                body = message.get_body(preferencelist=("plain",)).get_content()
                found = re.search(pattern, body)
                if found:
                    return found.group(0)
            if time.monotonic() > deadline:
                pytest.fail(f"no mail with {pattern} arrived")
            mailbox._arrived.wait(1)


@pytest.fixture(scope="module")
def anonymous_links(browser, server, mailbox):
    """A survey link (the demo emails one) and a set-password link (asked for here)."""
    page = _login(browser, server, "admin", "zh-CN")
    try:
        page.goto("/admin/users/svc.staff")
        page.locator("[data-action=reset-password]").click()
        expect(page.locator(".flash").first).to_be_visible()
    finally:
        page.context.close()
    survey = _mailed_link(mailbox, r"https?://\S+/survey/\S+")
    password = _mailed_link(mailbox, r"https?://\S+/set-password/\S+", to="svc.staff@example.com")
    return {"survey": urlsplit(survey).path, "set-password": urlsplit(password).path}


def audit_anonymous(browser: Browser, server: str, links: dict[str, str], lang: str) -> Audit:
    context = browser.new_context(base_url=server, locale=LANGUAGES[lang])
    context.set_default_timeout(10_000)
    try:
        audit = Audit(context.new_page(), "anonymous", lang)
        audit.visit("/login")
        for name, path in links.items():
            audit.visit(path, name)
    finally:
        context.close()
    return audit


def test_the_pages_without_log_in_fit_every_width_and_pass_axe(browser, server, anonymous_links):
    thread, english = in_own_browser(audit_anonymous, server, anonymous_links, "en")
    try:
        chinese = audit_anonymous(browser, server, anonymous_links, "zh")
    finally:
        thread.join()
    if "error" in english:
        raise english["error"]
    chinese.problems += english["value"].problems
    chinese.assert_clean()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_handling_form_of_a_typical_complaint_prints_on_one_a4_page(browser, server, lang):
    """Issue 13 item 5: static/css/print.css still gives one clean A4 page. A typical
    complaint: the first in the revisit queue, handled from intake to the reply."""
    page = _login(browser, server, "office", LANGUAGES[lang])
    try:
        page.goto("/revisits")
        page.goto(page.locator("main a.number").first.get_attribute("href"))
        assert page.locator("[data-history] li").count() >= 8, "not a complaint handled to the end"
        pdf = page.pdf(format="A4")
        SHOTS.mkdir(exist_ok=True)
        (SHOTS / f"print-handling-form-{lang}.pdf").write_bytes(pdf)
        pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
        assert pages == 1, f"the handling form takes {pages} A4 pages"
        assert re.search(rb"/Type\s*/Pages\b.*?/Count 1\b", pdf, re.S), "the page tree counts more"
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 703, "height": 1032})  # A4 less the 12 mm margins
        page.screenshot(path=str(SHOTS / f"print-handling-form-{lang}.png"), full_page=True)
    finally:
        page.context.close()
