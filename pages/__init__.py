"""One folder per page a user can name; each handlers.py exports ROUTES."""

from importlib import import_module

PAGES = ("login", "home", "intake", "triage", "inbox", "mine", "complaint", "notifications",
         "calendar", "revisits", "survey", "stats", "leaderboard",
         "account", "audit", "policy",
         "admin", "set_password",
         "search",
         "health",
         )


def routes() -> list:
    handlers = []
    for page in PAGES:
        handlers.extend(import_module(f"pages.{page}.handlers").ROUTES)
    return handlers
