"""The committed htmx file is the version pinned in package.json (the npm package htmx.org)."""

import json
import re
from pathlib import Path

from portal.templating import htmx_version

ROOT = Path(__file__).resolve().parents[2]


def test_vendored_htmx_matches_the_pin():
    pin = json.loads((ROOT / "package.json").read_text())["dependencies"]["htmx.org"]
    path = ROOT / "static" / "vendor" / f"htmx-{pin}.min.js"
    assert path.exists()
    assert re.search(r'version:"([^"]+)"', path.read_text()).group(1) == pin
    assert htmx_version() == pin
    assert [p.name for p in (ROOT / "static" / "vendor").glob("htmx-*.js")] == [path.name]
