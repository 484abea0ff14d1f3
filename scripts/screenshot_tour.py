"""Screenshots of every face of the demo, in both languages, at phone and desktop widths.

Run against a server with the demo data (`make run`), then open the PNGs:
    .venv/bin/python scripts/screenshot_tour.py [--base URL] [--out artifacts/tour]
"""

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

PASSWORD = "demo-2026"  # noqa: S105 - the printed demo password
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
TOUR = {
    "consumer@demo.test": ["/orders/", "/notifications/", "/complaints/", "FIRST_COMPLAINT"],
    "digital.owner@demo.test": [
        "/seller/",
        "/seller/deposit/",
        "/seller/complaints/",
        "FIRST_SELLER_COMPLAINT",
    ],
    "medical.owner@demo.test": ["/seller/", "/seller/deposit/"],
    "reviewer@demo.test": ["/admin/", "/admin/disputes/complaint/", "FIRST_ADMIN_COMPLAINT"],
    "finance@demo.test": ["/admin/deposits/depositaccount/", "/admin/deposits/disbursement/"],
}
FIRST_LINK = {
    "FIRST_COMPLAINT": "table a[href^='/complaints/TS']",
    "FIRST_SELLER_COMPLAINT": "table a[href^='/seller/complaints/TS']",
    "FIRST_ADMIN_COMPLAINT": "#result_list tbody th a",
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="artifacts/tour")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for language in ("zh-hans", "en"):
            for width, viewport in VIEWPORTS.items():
                for username, paths in TOUR.items():
                    context = browser.new_context(viewport=viewport)
                    context.add_cookies(
                        [{"name": "django_language", "value": language, "url": args.base}]
                    )
                    page = context.new_page()
                    page.goto(args.base + "/accounts/login/")
                    page.fill("#id_username", username)
                    page.fill("#id_password", PASSWORD)
                    page.click("form button.btn-primary")
                    page.wait_for_load_state()
                    previous = None
                    for path in paths:
                        if path in FIRST_LINK:
                            page.goto(args.base + previous)
                            page.click(FIRST_LINK[path])
                        else:
                            page.goto(args.base + path)
                            previous = path
                        page.wait_for_load_state()
                        path_part = page.url.split(args.base)[1].rstrip("/").replace("/", "_")
                        name = f"{username.split('@')[0]}{path_part}"
                        page.screenshot(path=out / f"{name}-{language}-{width}.png", full_page=True)
                    context.close()
        browser.close()


if __name__ == "__main__":
    main()
