"""A full disk mid-import: a clear error (DiskFull, exit code 5), the vault closes and opens
again with every transaction committed before. Needs root to mount a small tmpfs; skipped
otherwise."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest

from halqa import domains, listening, places
from halqa.errors import DiskFull
from halqa.vault import TEST_KDF, Vault

from ..conftest import PASSPHRASE

CHUNK = 500


@pytest.fixture
def small_disk(tmp_path: Path):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _chunk(n: int) -> str:
    day = dt.date.today().isoformat()
    return "text,themes,place,day,groups,tone,count\n" + "".join(
        f"{'x' * 200} {n} {i},electricity,JSR,{day},,,1\n" for i in range(CHUNK))


def test_a_full_disk_mid_import(small_disk: Path, tmp_path: Path, cli, monkeypatch):
    path = small_disk / "v.halqa"
    v = domains.create_vault(path, PASSPHRASE, TEST_KDF)
    places.add_area(v, "JSR", "حي الجسر")
    committed = 0
    with pytest.raises(DiskFull) as info:
        for n in range(1000):
            listening.import_grievances(v, _chunk(n), fmt="csv")
            committed += CHUNK
    assert committed > 0 and info.value.exit_code == 5
    v.close()  # the close-time upkeep must not fail on the full disk
    with Vault.open(path, PASSPHRASE) as v:
        assert v.query_one("SELECT count(*) FROM listening_grievance")[0] == committed
        assert [r[0] for r in v.conn.execute("PRAGMA integrity_check")] == ["ok"]
    # The CLI says so, with exit code 5, and still nothing is lost.
    (tmp_path / "more.csv").write_text(_chunk(10**6), encoding="utf-8")
    monkeypatch.setenv("HALQA_VAULT", str(path))
    code, out = cli("--json", "listen", "import", str(tmp_path / "more.csv"))
    assert code == 5 and "error.disk_full" in out
    with Vault.open(path, PASSPHRASE) as v:
        assert v.query_one("SELECT count(*) FROM listening_grievance")[0] == committed
