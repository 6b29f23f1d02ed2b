"""``halqa unlock``'s check: every page's HMAC, then SQLite's own check."""

from __future__ import annotations

import pytest

from halqa import places
from halqa.errors import VaultCorrupt
from halqa.vault import Vault
from halqa.vault.integrity import integrity_problems
from halqa.vault.store import DB_FILES

from ..conftest import PASSPHRASE


def test_a_sound_vault_has_no_problem_and_a_flipped_byte_is_named(vault, vault_path):
    places.add_area(vault, "NKH", "حي النخيل")
    for i in range(300):
        places.add_household(vault, "NKH", pseudonym=f"hh-{i:04d}")
    assert integrity_problems(vault) == []
    real = vault_path / DB_FILES[vault._slot_content.db_index]
    vault.close()
    original = real.read_bytes()
    page = 16384
    # A page the opening reads do not need (an early event page): the vault opens, the check names it.
    for number in range(4, len(original) // page):
        data = bytearray(original)
        data[number * page + 100] ^= 0x01
        real.write_bytes(bytes(data))
        try:
            damaged = Vault.open(vault_path, PASSPHRASE)
        except VaultCorrupt:
            continue
        with damaged:
            problems = integrity_problems(damaged)
        assert problems and any("HMAC" in p for p in problems), problems
        return
    pytest.fail("every damaged page stopped the vault from opening")
