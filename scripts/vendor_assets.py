"""Copy pinned front-end assets from node_modules into the repository (run after `npm ci`).

The copies are committed with their version in the file name, so a fresh checkout needs no
Node.js; tests/unit/test_vendor_assets.py checks that they match the pins in package.json.
The app's assets go to static/vendor; axe-core, used only by the end-to-end tests' audit,
goes to e2e/vendor so the server never serves it.
"""

import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = {
    "htmx.org": ("dist/htmx.min.js", "static/vendor", "htmx-{version}.min.js"),
    "chart.js": ("dist/chart.umd.min.js", "static/vendor", "chart-{version}.umd.min.js"),
    "axe-core": ("axe.min.js", "e2e/vendor", "axe-{version}.min.js"),
}


def main() -> None:
    pins = json.loads((ROOT / "package.json").read_text())["dependencies"]
    for package, (source, folder, target) in ASSETS.items():
        version = pins[package]
        installed = json.loads((ROOT / "node_modules" / package / "package.json").read_text())
        if installed["version"] != version:
            raise SystemExit(f"{package}: node_modules has {installed['version']}, pin is {version}")
        vendor = ROOT / folder
        vendor.mkdir(parents=True, exist_ok=True)
        for old in vendor.glob(target.format(version="*")):
            old.unlink()
        shutil.copy(ROOT / "node_modules" / package / source, vendor / target.format(version=version))
        print(f"{package} {version} -> {folder}/{target.format(version=version)}")


if __name__ == "__main__":
    main()
