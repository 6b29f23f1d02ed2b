"""The settings of the ledger's evidence computation (:mod:`halqa.ledger.analysis`,
:mod:`halqa.ledger.detection`)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Params"]


@dataclass(frozen=True)
class Params:
    """Settings of the evidence computation (defaults follow IEEE 1366 and GridWatch)."""

    momentary_seconds: int = 300
    cemi_n: int = 3
    med_beta: float = 2.5
    med_ddof: int = 1
    event_min_households: int = 3
    event_window_seconds: int = 600
    event_max_span_seconds: int = 3000
    event_min_confidence: float = 0.5
