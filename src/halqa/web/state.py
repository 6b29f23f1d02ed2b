"""The server's memory: the open vault (its key never leaves this process), idle lock, devices.

States of the vault in the server::

    locked --unlock(passphrase)--> open --lock() / idle timeout--> locked
    open | locked --panic()--> gone (keys shredded, files removed, devices forgotten)

Results of domain functions are cached per open vault (:meth:`WebState.cached`), keyed on the
vault's state: the highest event id. Any write (a page, the CLI in another process, a merge, a
redaction) adds an event and so empties the cache; locking or unlocking empties it too, so a
decoy opened with the duress passphrase never sees what the real vault computed.

A duress passphrase simply opens the decoy through :meth:`halqa.vault.Vault.open`; the server
cannot tell and shows whatever opened. Unlocking again always replaces what is open, so the
duress passphrase works even while the real vault is open.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from halqa.errors import AccessDenied, VaultLocked
from halqa.web.pairing import Certificate, Devices
from halqa.web.security import new_secret, served_hosts

__all__ = ["DEFAULT_PORT", "WebState"]

DEFAULT_PORT = 8765


@dataclass
class WebState:
    """Everything the web face holds between requests."""

    vault_path: Path
    idle_seconds: float = 600.0
    lan: bool = False
    https: bool = False
    clock: Callable[[], float] = time.monotonic
    devices: Devices = field(default_factory=Devices)
    secret: bytes = field(default_factory=new_secret)
    certificate: Certificate | None = None
    base_url: str = ""
    port: int = DEFAULT_PORT
    lan_addresses: tuple[str, ...] = ()  # the addresses announced to phones (besides loopback)
    vault: Any = None
    last_activity: float = 0.0
    failures: list[float] = field(default_factory=list)
    events: list[str] = field(default_factory=list)  # the state machine's transitions (tests read them)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _results: dict[Any, Any] = field(default_factory=dict)
    _results_top: int = -1

    def hosts(self) -> frozenset[str]:
        """The ``Host`` values requests may carry (see :func:`halqa.web.security.served_hosts`)."""
        return served_hosts(self.port, self.lan_addresses, self.https)

    # ------------------------------------------------------------------ transitions
    def unlock(self, passphrase: str) -> None:
        """Open the vault with ``passphrase`` (replacing what is open). Five wrong passphrases
        within a minute refuse further tries for a minute (Argon2id makes each try slow too)."""
        from halqa.domains import load
        from halqa.errors import WrongPassphrase
        from halqa.vault import Vault

        now = self.clock()
        with self._lock:
            self.failures = [f for f in self.failures if now - f < 60]
            if len(self.failures) >= 5:
                raise AccessDenied("web.error.too_many")
        if not passphrase:
            raise WrongPassphrase()
        load()
        try:
            vault = Vault.open(self.vault_path, passphrase)
        except WrongPassphrase:
            with self._lock:
                self.failures.append(self.clock())
            raise
        with self._lock:
            self._close()
            self.vault = vault
            self.failures.clear()
            self.last_activity = self.clock()
            self.events.append("unlocked")

    def adopt(self, vault: Any) -> None:
        """Serve an already open vault (``halqa serve`` given a passphrase, tests)."""
        with self._lock:
            self._close()
            self.vault = vault
            self.last_activity = self.clock()
            self.events.append("unlocked")

    #: Cached results kept per vault state (a page needs a handful; the oldest go first).
    MAX_RESULTS = 256

    def cached(self, vault: Any, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()``'s result, reused until the next event is written to ``vault`` (the open
        one, held by the caller). Callers must not change what they get back."""
        with self._lock:
            if vault is not self.vault:  # not the open vault (should not happen): never share
                return compute()
            top = vault.last_event_id()
            if top != self._results_top:
                self._results.clear()
                self._results_top = top
            if key in self._results:
                return self._results[key]
            value = compute()
            if len(self._results) >= self.MAX_RESULTS:
                self._results.pop(next(iter(self._results)))
            self._results[key] = value
            return value

    def _close(self) -> None:
        self._results.clear()
        self._results_top = -1
        if self.vault is not None:
            try:
                self.vault.close()
            finally:
                self.vault = None

    def lock(self, reason: str = "locked") -> None:
        """Close the vault: its key leaves memory with the connection."""
        with self._lock:
            if self.vault is not None:
                self._close()
                self.events.append(reason)

    def panic(self) -> None:
        """Destroy the vault (keys first), with the files it lists as written outside it when it is
        open (a locked vault's list cannot be read); forget every device."""
        from halqa.vault import panic

        with self._lock:
            self._results.clear()
            self._results_top = -1
            if self.vault is not None:
                vault, self.vault = self.vault, None
                vault.panic()  # no close-time upkeep: not a moment spent on the decoy
            else:
                panic(self.vault_path)
            self.devices.clear()
            self.events.append("panic")

    def check_idle(self) -> bool:
        """Lock if idle longer than ``idle_seconds``; True if it locked now."""
        with self._lock:
            if self.vault is not None and self.clock() - self.last_activity > self.idle_seconds:
                self.lock("idle")
                return True
        return False

    # ------------------------------------------------------------------ use
    @property
    def is_open(self) -> bool:
        return self.vault is not None

    @contextmanager
    def use(self) -> Iterator[Any]:
        """The open vault, held exclusively for one request (domain calls are not re-entrant)."""
        with self._lock:
            self.check_idle()
            if self.vault is None:
                raise VaultLocked("web.error.locked")
            self.last_activity = self.clock()
            yield self.vault
