"""Screenshots of the explorer against a running server, for docs/ (Debian's chromium through Playwright).

    .venv/bin/graphsvc demo --mixesdb ../shared/data/mixesdb/djmix-mixes-upto-2018.json.gz --port 8013 &
    .venv/bin/python scripts/explorer_screenshots.py http://127.0.0.1:8013 "armin van buuren" "strings of life" \
        docs/explorer-real

Writes PREFIX-network.png (the artist's collaboration network, depth 2), PREFIX-track.png (a track's
neighbourhood and next tracks) and PREFIX-set.png (a set built from that track).
"""

from __future__ import annotations

import sys
import time

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def wait_js(page, expr: str, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if page.evaluate(expr):
            return
        time.sleep(0.1)
    raise TimeoutError(expr)


def main(base: str, artist: str, track: str, prefix: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(base + "/")
        page.fill("#search", artist)
        page.click('#search-results .item[data-kind="artist"] >> nth=0')
        wait_js(page, "() => document.querySelector('#status').textContent.startsWith('Collaboration network')")
        time.sleep(0.5)
        page.screenshot(path=f"{prefix}-network.png")
        page.fill("#search", track)
        page.click('#search-results .item[data-kind="track"] >> nth=0')
        wait_js(page, "() => document.querySelector('#status').textContent.includes('next tracks for')")
        time.sleep(0.5)
        page.screenshot(path=f"{prefix}-track.png")
        page.click('.tabs button[data-tab="set"]')
        page.fill('[data-testid="pick-start"]', track)
        page.click('#tab-set .dropdown .item[data-kind="track"] >> nth=0')
        page.select_option('#set-form [name="strictness"]', "relaxed")
        page.click("#build-set")
        page.wait_for_selector('[data-testid="set-result"], [data-testid="set-diagnosis"]', timeout=60_000)
        time.sleep(0.5)
        page.screenshot(path=f"{prefix}-set.png")
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:5])
