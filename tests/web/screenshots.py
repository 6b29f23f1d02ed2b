"""Screenshots of key pages at a phone's viewport (360x800), in Arabic, Sorani and English, for
the user guide.

    python tests/web/screenshots.py [--out docs/img] [--vault demo.halqa --passphrase ...]

Without ``--vault`` it makes the demo vault in a temporary folder. It serves the vault with real
uvicorn, drives Debian's Chromium with Playwright (unlock in the browser, as a person would) and
writes ``web-<page>.<lang>.png`` files, each quantised to a small palette to stay well under 150 KB.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
LANGS = ("ar", "ckb", "en")
#: (file name, path, full page?)
SHOTS = (("quick-entry", "/", False), ("listening-map", "/listen/hotspots", True), ("ledger", "/ledger", False),
         ("circles", "/circles", False), ("poster", "/publish", False))


def shrink(path: Path, colours: int = 96) -> int:
    """Quantise a PNG in place (text and flat colours survive a small palette); return its size."""
    from PIL import Image

    with Image.open(path) as img:
        small = img.convert("RGB").quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)
    return path.stat().st_size


def main() -> None:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from halqa.domains import run_demo
    from halqa.vault import TEST_KDF
    from halqa.web import create_app
    from halqa.web.state import WebState

    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="docs/img")
    ap.add_argument("--vault")
    ap.add_argument("--passphrase", default="screenshot passphrase")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    vault_path = Path(args.vault) if args.vault else run_demo(tempfile.mkdtemp(prefix="halqa-shots-"), args.passphrase,
                                                              kdf=TEST_KDF)[0]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    state = WebState(vault_path, port=port)  # the server answers only to its own host and port
    app = create_app(vault_path, state=state)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            ctx = browser.new_context(viewport={"width": 360, "height": 800}, locale="ar-IQ", device_scale_factor=1)
            page = ctx.new_page()
            page.goto(base + "/unlock")
            page.fill("#passphrase", args.passphrase)
            page.click("button[type=submit]")
            page.wait_for_url(base + "/")
            for lang in LANGS:
                page.goto(f"{base}/lang?to={lang}")
                for name, path, full in SHOTS:
                    page.goto(base + path)
                    target = out / f"web-{name}.{lang}.png"
                    page.screenshot(path=str(target), full_page=full)
                    print(f"{target}: {shrink(target) / 1024:.0f} KB")
            browser.close()
    finally:
        server.should_exit = True
        state.lock()


if __name__ == "__main__":
    main()
