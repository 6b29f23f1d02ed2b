"""Counting a decision: consent, majority and ranked choice, as pure functions of the ballots.

Nothing here reads a vault: :func:`tally` takes the options, the mode, the named ballots and the
in-person counts and returns the result, so the same code closes a proposal, runs in the benchmark
and is tested against worked examples.

**Consent** (Loomio's proposal poll): each participant says ``agree``, ``abstain``, ``disagree`` or
``block``. Any block stops the proposal (``blocked``); otherwise it is ``agreed`` when agrees
outnumber disagrees, else ``not_agreed``. Abstentions count towards the quorum, not the outcome.

**Majority**: one option each; an option with more than half the ballots wins. Otherwise the
outcome is ``tie`` (two or more options share the most votes) or ``no_majority``.

**Ranked choice** is instant-runoff voting (IRV): each ballot counts for its highest-ranked option
still in the count; while no option holds more than half the continuing ballots, the option with
the fewest is eliminated. Ties for elimination go to the option with fewer votes in the latest
earlier round where they differ (backwards tie-break), then to the later option in the proposal's
order; exhausted ballots leave the count. Two options tied at the end give ``tie``. ``counts`` are
first preferences; ``rounds`` hold each round's counts. Worked examples with published answers are
in the tests (the Tennessee capital example of Wikipedia's "Instant-runoff voting" article).

A quorum not reached gives ``no_quorum`` in every mode (the counts are still reported).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import msgspec

__all__ = ["CONSENT", "MODES", "RANK_SEP", "Tally", "irv", "tally"]

#: The four positions of a consent proposal, as in Loomio.
CONSENT: tuple[str, ...] = ("agree", "abstain", "disagree", "block")
#: Decision modes.
MODES: tuple[str, ...] = ("consent", "majority", "ranked")
#: Joins the options of one ranked in-person ballot (``"A>B>C"``).
RANK_SEP = ">"

Ballot = Sequence[str]


class Tally(msgspec.Struct, kw_only=True, frozen=True):
    """The result of a decision: the outcome, how many took part, first preferences per option,
    whether the quorum was met and, for ranked choice, each round's counts."""

    participants: int
    counts: dict[str, int]
    quorum_met: bool
    rounds: list[dict[str, int]] | msgspec.UnsetType = msgspec.UNSET
    outcome: str


def irv(options: Sequence[str], ballots: Iterable[tuple[Ballot, int]]) -> tuple[str | None, list[dict[str, int]]]:
    """Instant-runoff over ``(ranking, weight)`` ballots: ``(winner or None for a tie, rounds)``."""
    order = {o: i for i, o in enumerate(options)}
    piles: list[tuple[tuple[str, ...], int]] = [(tuple(b), w) for b, w in ballots if w > 0]
    alive = list(options)
    rounds: list[dict[str, int]] = []
    while alive:
        live = set(alive)
        counts = dict.fromkeys(alive, 0)
        for ranking, weight in piles:
            for choice in ranking:
                if choice in live:
                    counts[choice] += weight
                    break
        rounds.append(counts)
        total = sum(counts.values())
        if total == 0:
            return None, rounds
        top = max(counts.values())
        leaders = [o for o in alive if counts[o] == top]
        if 2 * top > total:
            return leaders[0], rounds
        if len(alive) == 1:  # pragma: no cover - one option always holds all continuing ballots
            return alive[0], rounds
        if len(alive) == 2 and len(leaders) == 2:
            return None, rounds
        low = min(counts.values())
        tied = [o for o in alive if counts[o] == low]
        for past in reversed(rounds[:-1]):
            if len(tied) == 1:
                break
            least = min(past[o] for o in tied)
            tied = [o for o in tied if past[o] == least]
        alive.remove(max(tied, key=order.__getitem__))
    return None, rounds  # pragma: no cover - the loop always returns


def tally(mode: str, options: Sequence[str], positions: Mapping[str, Ballot],
          in_person: Iterable[Mapping[str, int]] = (), quorum: int = 0) -> Tally:
    """The result of a decision.

    ``positions`` maps each member who took part to their choice (one option, or a ranking for
    ``ranked``); ``in_person`` are counts from meetings (``{option: n}``, for ranked
    ``{"A>B>C": n}``), which carry no names. Returns a :class:`Tally` (``rounds`` for ranked
    choice only). Choices that are not options are ignored
    (the recording functions refuse them; the tally stays total).
    """
    valid = set(options)
    ballots: list[tuple[tuple[str, ...], int]] = []
    for choice in positions.values():
        ranking = tuple(dict.fromkeys(c for c in choice if c in valid))
        if ranking:
            ballots.append((ranking, 1))
    for counts in in_person:
        for key, n in counts.items():
            ranking = tuple(dict.fromkeys(c for c in key.split(RANK_SEP) if c in valid))
            if ranking and n > 0:
                ballots.append((ranking, int(n)))
    participants = sum(w for _, w in ballots)
    first = dict.fromkeys(options, 0)
    for ranking, w in ballots:
        first[ranking[0]] += w
    quorum_met = participants >= quorum
    rounds: list[dict[str, int]] | msgspec.UnsetType = msgspec.UNSET
    if mode == "ranked":
        winner, rounds = irv(options, ballots)
        outcome = winner if winner is not None else ("tie" if participants else "no_votes")
    elif mode == "consent":
        outcome = ("no_votes" if not participants else "blocked" if first.get("block") else
                   "agreed" if first.get("agree", 0) > first.get("disagree", 0) else "not_agreed")
    else:
        top = max(first.values(), default=0)
        leaders = [o for o, n in first.items() if n == top]
        outcome = ("no_votes" if not participants else leaders[0] if 2 * top > participants else
                   "tie" if len(leaders) > 1 else "no_majority")
    return Tally(participants=participants, counts=first, quorum_met=quorum_met, rounds=rounds,
                 outcome=outcome if quorum_met else "no_quorum")
