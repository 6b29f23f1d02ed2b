"""Errors that halqa shows to people.

Every error a person can meet derives from :class:`HalqaError`. It carries a message id and
parameters rather than a finished sentence, so faces (CLI, web) render it in the reader's
language, and an exit code the CLI returns. The tree::

    HalqaError                      exit 1  unexpected failure
    ├── InvalidInput                exit 2  bad arguments, bad rows, unknown ids
    │   └── NotFound                exit 2  a named record does not exist
    ├── AccessDenied                exit 3
    │   ├── WrongPassphrase         exit 3  no key slot opens with this passphrase
    │   └── VaultLocked             exit 3  no passphrase given / vault busy
    ├── VaultUnreadable             exit 4
    │   ├── VaultMissing            exit 4  nothing at the path
    │   └── VaultCorrupt            exit 4  truncated, damaged or not a vault
    │       └── HeaderTampered      exit 4  the header's fixed fields changed without a key
    └── DiskFull                    exit 5  the disk filled up: the last change was not saved
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AccessDenied",
    "DiskFull",
    "HalqaError",
    "HeaderTampered",
    "InvalidInput",
    "NotFound",
    "VaultCorrupt",
    "VaultLocked",
    "VaultMissing",
    "VaultUnreadable",
    "WrongPassphrase",
]


class HalqaError(Exception):
    """Root of every error halqa reports to a person.

    ``msg_id`` names a message in the catalogues of :mod:`halqa.i18n`; ``params`` fill its
    placeholders. ``str(err)`` renders it in the current language.
    """

    exit_code = 1
    default_msg = "error.unexpected"

    def __init__(self, msg_id: str | None = None, **params: Any) -> None:
        self.msg_id = msg_id or self.default_msg
        self.params = params
        super().__init__(self.msg_id)

    def render(self, lang: str | None = None) -> str:
        from halqa.i18n import t

        return t(self.msg_id, lang=lang, **self.params)

    def __str__(self) -> str:
        return self.render()

    def to_dict(self) -> dict[str, Any]:
        """The one JSON shape of an error (CLI ``--json`` and the web API)."""
        return {
            "error": self.msg_id,
            "message": self.render(),
            "exit_code": self.exit_code,
            "params": {k: str(v) for k, v in self.params.items()},
        }


class InvalidInput(HalqaError):
    exit_code = 2
    default_msg = "error.invalid_input"


class NotFound(InvalidInput):
    default_msg = "error.not_found"


class AccessDenied(HalqaError):
    exit_code = 3
    default_msg = "error.access_denied"


class WrongPassphrase(AccessDenied):
    default_msg = "error.wrong_passphrase"


class VaultLocked(AccessDenied):
    default_msg = "error.locked"


class VaultUnreadable(HalqaError):
    exit_code = 4
    default_msg = "error.unreadable"


class VaultMissing(VaultUnreadable):
    default_msg = "error.vault_missing"


class VaultCorrupt(VaultUnreadable):
    default_msg = "error.corrupt"


class HeaderTampered(VaultCorrupt):
    default_msg = "error.header_tampered"


class DiskFull(HalqaError):
    """The disk filled up mid-write: the transaction was rolled back, everything committed
    before it is intact."""

    exit_code = 5
    default_msg = "error.disk_full"
