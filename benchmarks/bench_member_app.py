"""Member app (issue 16): the targets are the app shell and bundle at most 150 KB compressed, opening
offline in at most 1 s and sealing one entry in at most 50 ms under Chromium's 4x CPU throttling,
and importing 10,000 outbox entries in at most 5 s.

Runs Debian's Chromium (Playwright) against a real server on 127.0.0.1 (a secure context, so no
certificate is needed here); times come from the page's own performance marks (``ready`` at the
end of start-up, ``seal`` around sealing one entry: the first tap after the app has compiled its
sealing code, which it does on nothing right after opening, ``warm``). The import is timed on a fresh test vault
with one paired member phone whose 10,000 entries are sealed by :func:`halqa.bridge.outbox.seal_entry`.

    python benchmarks/bench_member_app.py [--runs 10] [--entries 10000]
"""

from __future__ import annotations

import argparse
import gzip
import os
import socket
import statistics
import tempfile
import threading
import time
import warnings
from importlib import resources
from pathlib import Path

warnings.filterwarnings("ignore")

from halqa.domains import create_vault  # noqa: E402
from halqa.vault import TEST_KDF  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PASSPHRASE = "bench passphrase"
SHELL = ("index.html", "app.js", "app.css", "sw.js", "manifest.webmanifest", "icon.svg")


def bundle_size() -> tuple[int, int]:
    """Raw and gzip-compressed bytes of everything the phone downloads and caches."""
    folder = resources.files("halqa.web").joinpath("static/m")
    raw = comp = 0
    for name in SHELL:
        data = folder.joinpath(name).read_bytes()
        raw += len(data)
        comp += len(gzip.compress(data, 9))
    return raw, comp


def _filled(path: Path):
    import halqa.places as places

    vault = create_vault(path, PASSPHRASE, TEST_KDF)
    places.add_area(vault, "JSR", "حي الجسر", name_en="Bridge Quarter", name_ckb="گەڕەکی پرد")
    places.add_household(vault, "JSR", pseudonym="hh-b1")
    return vault


def _until(page, expression: str) -> None:
    """Poll ``expression`` (the page's CSP forbids the string evaluation wait_for_function uses)."""
    while not page.evaluate(expression):
        time.sleep(0.01)


def browser_times(folder: Path, runs: int) -> tuple[list[float], list[float]]:
    """Offline open times and sealing times (ms) under 4x CPU throttling."""
    import uvicorn
    from playwright.sync_api import sync_playwright

    from halqa.web import create_app
    from halqa.web.state import WebState

    vault = _filled(folder / "v.db")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    state = WebState(folder / "v.db", port=port)
    server = uvicorn.Server(uvicorn.Config(create_app(folder / "v.db", state=state, vault=vault), host="127.0.0.1",
                                           port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    opens, seals = [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            ctx = browser.new_context(viewport={"width": 360, "height": 800})
            page = ctx.new_page()
            page.goto(f"http://127.0.0.1:{port}/m/#code={state.devices.new_code('member', 'hh-b1')}")
            page.wait_for_selector("[data-screen=home]:not([hidden])")
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            ctx.set_offline(True)
            cdp = ctx.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
            for _ in range(runs):
                page.reload()
                _until(page, "performance.getEntriesByName('ready').length > 0")
                opens.append(page.evaluate("performance.getEntriesByName('ready')[0].startTime"))
                cdp = ctx.new_cdp_session(page)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
                _until(page, "performance.getEntriesByName('warm').length > 0")  # compiled while the member looks
                page.click("[data-action=power-off]")
                _until(page, "performance.getEntriesByName('seal').length > 0")
                seals.append(page.evaluate("performance.getEntriesByName('seal')[0].duration"))
            browser.close()
    finally:
        server.should_exit = True
        thread.join(10)
        state.lock()
    return opens, seals


def import_time(folder: Path, entries: int) -> tuple[float, float]:
    """Seconds to seal ``entries`` entries (the phones' side, done in Python here) and to import them."""
    import secrets

    from nacl.signing import SigningKey
    from pyrage import x25519

    from halqa.bridge import add_contact
    from halqa.bridge.keys import age_recipient
    from halqa.bridge.outbox import import_outbox, outbox_file, seal_entry

    vault = _filled(folder / "i.db")
    key = os.urandom(32)
    add_contact(vault, "phone-bench", age_recipient=str(x25519.Identity.generate().to_public()),
                signing_key=SigningKey(key).verify_key.encode().hex(), role="member", household="hh-b1")
    recipients = [age_recipient(vault)]
    now = time.time_ns() // 1_000_000
    synced = now - (entries + 10) * 60_000
    t0 = time.perf_counter()
    sealed_entries = []
    for i in range(entries):  # alternating outages over the last days, and some grievances
        body = {"id": secrets.token_hex(16), "at": now - (entries - i) * 60_000, "offset": 0, "synced_at": synced}
        if i % 10 == 9:
            body.update(type="grievance", theme="water", place="JSR", text=f"entry {i}")
        else:
            body["type"] = "power-off" if i % 2 == 0 else "power-on"
        sealed_entries.append((body["id"], seal_entry(body, key, recipients)))
    sealed = time.perf_counter() - t0
    data = outbox_file(sealed_entries)
    t0 = time.perf_counter()
    got = import_outbox(vault, data)
    took = time.perf_counter() - t0
    assert got.added == entries
    vault.close()
    return sealed, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--entries", type=int, default=10_000)
    args = parser.parse_args()
    raw, comp = bundle_size()
    print(f"app shell and bundle: {raw / 1024:.1f} KB raw, {comp / 1024:.1f} KB gzip (target <= 150 KB)")
    with tempfile.TemporaryDirectory() as tmp:
        if Path(CHROMIUM).exists():
            opens, seals = browser_times(Path(tmp), args.runs)
            print(f"open offline, 4x CPU throttling: median {statistics.median(opens):.0f} ms, max {max(opens):.0f} ms "
                  f"over {len(opens)} (target <= 1000 ms)")
            print(f"seal one entry, 4x CPU throttling: median {statistics.median(seals):.1f} ms, max {max(seals):.1f} ms "
                  f"(target <= 50 ms)")
        sealed, took = import_time(Path(tmp), args.entries)
        print(f"import {args.entries:,} outbox entries: {took:.2f} s (target <= 5 s); sealing them in Python took "
              f"{sealed:.2f} s; cpu: {os.cpu_count()}")


if __name__ == "__main__":
    main()
