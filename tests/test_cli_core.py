"""The vault's commands, as scripts use them: exit codes, --json shapes, global options."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from halqa.cli.common import hoist_global_options

from .conftest import PASSPHRASE

FAST = ["--kdf-memory", "8", "--kdf-time", "1", "--kdf-lanes", "1"]


@pytest.fixture
def initialised(cli):
    code, _ = cli("init", *FAST)
    assert code == 0
    return cli


def test_hoisting_global_options():
    assert hoist_global_options(["info", "--json", "--vault", "x"]) == ["--json", "--vault", "x", "info"]
    assert hoist_global_options(["panic", "--yes", "--vault=v"]) == ["--yes", "--vault=v", "panic"]
    assert hoist_global_options(["recovery", "combine", "--", "--json"]) == ["recovery", "combine", "--", "--json"]


def test_init_info_json(initialised):
    code, out = initialised("info", "--json")
    assert code == 0
    data = json.loads(out)
    assert {"events", "created", "schema"} <= set(data)
    assert data["events"] == 0 and data["schema"] >= 1


def test_exit_codes(initialised, monkeypatch, tmp_path):
    monkeypatch.setenv("HALQA_PASSPHRASE", "definitely wrong")
    code, out = initialised("info", "--json")
    assert code == 3 and json.loads(out)["error"] == "error.wrong_passphrase"
    monkeypatch.setenv("HALQA_PASSPHRASE", PASSPHRASE)
    code, _ = initialised("--vault", str(tmp_path / "none"), "info")
    assert code == 4
    code, _ = initialised("recovery", "split", "--shares", "2", "--threshold", "5")
    assert code == 2
    code, _ = initialised("no-such-command")
    assert code == 2
    code, _ = initialised("init", *FAST)  # already exists
    assert code == 2
    (tmp_path / "bad.halqa").mkdir()
    (tmp_path / "bad.halqa" / "header").write_bytes(b"garbage")
    code, _ = initialised("--vault", str(tmp_path / "bad.halqa"), "info")
    assert code == 4


def test_passphrase_file(initialised, monkeypatch, tmp_path):
    monkeypatch.delenv("HALQA_PASSPHRASE")
    f = tmp_path / "pw"
    f.write_text(PASSPHRASE + "\n")
    code, _ = initialised("unlock", "--passphrase-file", str(f))
    assert code == 0
    code, _ = initialised("info")  # no passphrase, no terminal
    assert code == 3


def test_passwd_duress_and_recovery(initialised, monkeypatch, vault_path):
    code, out = initialised("recovery", "split", "--shares", "3", "--threshold", "2", "--json")
    shares = json.loads(out)["shares"]
    monkeypatch.setenv("HALQA_DURESS_PASSPHRASE", "under duress now")
    assert initialised("duress", "set", "--destroy")[0] == 0
    monkeypatch.setenv("HALQA_PASSPHRASE", "under duress now")
    assert initialised("info")[0] == 0  # opens the decoy and shreds the real slot
    monkeypatch.setenv("HALQA_PASSPHRASE", PASSPHRASE)
    assert initialised("info")[0] == 3
    monkeypatch.setenv("HALQA_NEW_PASSPHRASE", "rebuilt from shares")
    code, _ = initialised("recovery", "combine", "-", stdin="\n".join(shares[1:]))
    assert code == 0
    monkeypatch.setenv("HALQA_PASSPHRASE", "rebuilt from shares")
    assert initialised("unlock")[0] == 0
    monkeypatch.setenv("HALQA_NEW_PASSPHRASE", "and changed again")
    assert initialised("passwd")[0] == 0
    monkeypatch.setenv("HALQA_PASSPHRASE", "and changed again")
    assert initialised("info")[0] == 0


def test_backup_restore_rebuild_panic(initialised, monkeypatch, vault_path, tmp_path):
    assert initialised("backup", "-o", str(tmp_path / "b.bak"))[0] == 0
    shutil.copy(tmp_path / "b.bak", tmp_path / "kept.bak")  # a copy halqa did not make
    code, out = initialised("rebuild", "--json")
    assert code == 0 and json.loads(out)["ok"] is True
    assert initialised("panic")[0] == 2  # no terminal, no --yes: refuses
    assert vault_path.exists()
    assert initialised("panic", "--yes")[0] == 0
    assert not vault_path.exists()
    assert not (tmp_path / "b.bak").exists()  # panic shreds the backups halqa wrote
    assert initialised("restore", str(tmp_path / "kept.bak"))[0] == 0
    assert initialised("unlock")[0] == 0


def test_wipe_after(initialised, monkeypatch, vault_path):
    assert initialised("config", "wipe-after", "2")[0] == 0
    monkeypatch.setenv("HALQA_PASSPHRASE", "wrong wrong wrong")
    assert initialised("info")[0] == 3
    assert vault_path.exists()
    initialised("info")
    assert not vault_path.exists()


def test_demo_console_script(tmp_path):
    """The main job through the installed console script, as `make demo` runs it."""
    exe = Path(sys.executable).with_name("halqa")
    env = {**os.environ, "HALQA_PASSPHRASE": "demo passphrase", "HALQA_LANG": "en"}
    done = subprocess.run([str(exe), "demo", "--path", str(tmp_path), "--json", "--kdf-memory", "8"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["places"]["households"] >= 200
    assert report["vault"]["events"] > 200
    assert "passphrase" not in report  # it was given, so it is not printed
    info = subprocess.run([str(exe), "--vault", str(tmp_path / "demo.halqa"), "info", "--json"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert json.loads(info.stdout)["events"] == report["vault"]["events"]
