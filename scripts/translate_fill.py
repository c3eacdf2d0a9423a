"""Fill zh_CN msgstrs from a Python dict file (msgid -> translation); keeps existing ones."""

import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from i18n import _po_path, load, save  # noqa: E402


def main(path: str) -> None:
    table = runpy.run_path(path)["ZH"]
    catalog = load("zh_CN")
    filled = 0
    for message in catalog:
        if not message.id or message.id not in table:
            continue
        value = table[message.id]
        if isinstance(message.id, tuple | list):
            message.string = tuple(value)
        else:
            message.string = value
        message.flags.discard("fuzzy")
        filled += 1
    save(catalog, _po_path("zh_CN"))
    print(f"filled {filled}")


if __name__ == "__main__":
    main(sys.argv[1])
