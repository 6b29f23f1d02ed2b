"""The export is checked by the real ``bean-check`` (Beancount, GPL-2.0-only: a test tool only)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import halqa.mutual_aid as ma
from halqa.mutual_aid.beancount_export import account_component


def _bean_check() -> str:
    exe = Path(sys.executable).with_name("bean-check")
    found = str(exe) if exe.exists() else shutil.which("bean-check")
    if not found:
        pytest.skip("bean-check (beancount, a test dependency) is not installed")
    return found


def _check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([_bean_check(), str(path)], capture_output=True, text=True, timeout=120)


def _ledger(vault):
    ma.create_fund(vault, "arrested-families", "IQD", day="2026-05-01")
    ma.create_fund(vault, "صندوق_الوقود", "IQD", day="2026-05-01")
    ma.set_rate(vault, "USD", "1310", day="2026-05-01")
    ma.contribute(vault, "arrested-families", "hh-aaaa", "25000", day="2026-05-02")
    ma.contribute(vault, "arrested-families", "hh-bbbb", "150.50", currency="USD", day="2026-05-02")
    p = ma.pledge(vault, "arrested-families", "hh-cccc", "40000", day="2026-05-03")
    ma.contribute(vault, "arrested-families", "hh-cccc", "15000", pledge_id=p.id, day="2026-05-04")
    ma.disburse(vault, "arrested-families", "hh-dddd", "10000", purpose="medicine", day="2026-05-05", private=True)
    ma.transfer(vault, "arrested-families", "صندوق_الوقود", "5000", day="2026-05-06")
    ex = ma.exchange(vault, "arrested-families", "100.25", "USD", "IQD", rate="1312.5", day="2026-05-07")
    ma.disburse(vault, "صندوق_الوقود", "hh-eeee", "9000", purpose="fuel", overdraft=True, day="2026-05-08")
    ma.void(vault, ex.id, day="2026-05-09")


def test_bean_check_accepts_the_export(vault, tmp_path):
    _ledger(vault)
    out = tmp_path / "funds.beancount"
    out.write_text(ma.export_beancount(vault), encoding="utf-8")
    result = _check(out)
    assert result.returncode == 0, result.stdout + result.stderr
    text = out.read_text(encoding="utf-8")
    # halqa's own totals are asserted inside the file, so bean-check verified them
    st_ = ma.statement(vault, "arrested-families")
    assert f"balance Assets:Funds:Arrested-families:Cash  {st_.balance} IQD" in text
    assert f"{st_.holdings['USD']} USD" in text
    assert "hh-dddd" not in text  # a private recipient never leaves in an export


def test_bean_check_catches_a_wrong_total(vault, tmp_path):
    """The same check fails when a total is wrong: the balance assertions really bite."""
    _ledger(vault)
    text = ma.export_beancount(vault)
    bal = ma.statement(vault, "arrested-families").balance
    line = f"balance Assets:Funds:Arrested-families:Cash  {bal} IQD"
    assert line in text
    out = tmp_path / "bad.beancount"
    out.write_text(text.replace(line, f"balance Assets:Funds:Arrested-families:Cash  {int(bal) + 1} IQD"), encoding="utf-8")
    result = _check(out)
    assert result.returncode != 0


def test_single_fund_and_hidden_parties_export(vault, tmp_path):
    _ledger(vault)
    out = tmp_path / "one.beancount"
    out.write_text(ma.export_beancount(vault, "صندوق_الوقود", hide_parties=True), encoding="utf-8")
    result = _check(out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "hh-eeee" not in out.read_text(encoding="utf-8")


def test_account_components():
    assert account_component("arrested-families") == "Arrested-families"
    assert account_component("fuel_share") == "Fuel-Share"
    assert account_component("صندوق").startswith("F-")
    assert account_component("medicine") == "Medicine"


def test_beancount_is_not_imported_by_the_package():
    src = Path(ma.__file__).parent
    for f in src.rglob("*.py"):
        text = f.read_text(encoding="utf-8")
        assert "import beancount" not in text and "from beancount" not in text, f
