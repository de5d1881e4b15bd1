"""Take the README's screenshots of every page, in English and Chinese, from a running `tradecredit serve`.

python docs/scripts/screenshots.py BASE_URL USER PASSWORD OUT_DIR AS_OF CUSTOMER
writes OUT_DIR/<page>-<en|zh>.png with Debian's chromium (/usr/bin/chromium) driven by Playwright.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def main(base: str, user: str, password: str, out: str, as_of: str, customer: str) -> None:
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    pages = {
        "login": ("/login", False),
        "portfolio": (f"/?as_of={as_of}", True),
        "watchlist": (f"/watchlist?as_of={as_of}", False),
        "worklist": (f"/worklist?as_of={as_of}", False),
        "disputes": (f"/worklist?as_of={as_of}&queue=disputes", False),
        "customer": (f"/customers/{customer}?as_of={as_of}", True),
        "what-if": (f"/customers/{customer}/what-if?as_of={as_of}", True),
        "not-found": (f"/customers/NOBODY?as_of={as_of}", False),
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for lang in ("en", "zh"):
            page = browser.new_page(base_url=base, viewport={"width": 1400, "height": 900})
            page.goto(f"/login?lang={lang}")
            page.screenshot(path=folder / f"login-{lang}.png")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", password)
            page.click("#sign-in")
            page.wait_for_load_state()
            for name, (path, whole) in pages.items():
                if name != "login":
                    page.goto(path)
                    page.screenshot(path=folder / f"{name}-{lang}.png", full_page=whole)
            page.close()
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:7])
