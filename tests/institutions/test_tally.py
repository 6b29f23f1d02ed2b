"""Known answers for each mode, and properties of instant runoff."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from halqa.institutions import irv, tally

CITIES = ["Memphis", "Nashville", "Chattanooga", "Knoxville"]


def tennessee() -> list[tuple[list[str], int]]:
    """Wikipedia, "Instant-runoff voting", Tennessee capital example (percentages as voters):
    IRV elects Knoxville after Chattanooga then Nashville are eliminated (42 to 58)."""
    return [(["Memphis", "Nashville", "Chattanooga", "Knoxville"], 42),
            (["Nashville", "Chattanooga", "Knoxville", "Memphis"], 26),
            (["Chattanooga", "Knoxville", "Nashville", "Memphis"], 15),
            (["Knoxville", "Chattanooga", "Nashville", "Memphis"], 17)]


def test_irv_tennessee_known_answer():
    winner, rounds = irv(CITIES, tennessee())
    assert winner == "Knoxville"
    assert rounds[0] == {"Memphis": 42, "Nashville": 26, "Chattanooga": 15, "Knoxville": 17}
    assert rounds[1] == {"Memphis": 42, "Nashville": 26, "Knoxville": 32}
    assert rounds[2] == {"Memphis": 42, "Knoxville": 58}


def test_tennessee_through_tally_with_named_and_in_person_ballots():
    positions = {f"m-{i}": ["Knoxville", "Chattanooga", "Nashville", "Memphis"] for i in range(17)}
    counts = [{">".join(r): n for r, n in tennessee()[:3]}]
    res = tally("ranked", CITIES, positions, counts)
    assert res.outcome == "Knoxville" and res.participants == 100
    assert res.counts == {"Memphis": 42, "Nashville": 26, "Chattanooga": 15, "Knoxville": 17}
    # plurality and majority would give Memphis no majority: the same ballots, first choices only
    first = {f"v{i}": [r[0]] for i, (r, n) in enumerate(b for b in tennessee() for _ in range(b[1]))}
    assert tally("majority", CITIES, first).outcome == "no_majority"


def test_irv_exhausted_ballots_and_backwards_tie_break():
    # hand-worked: round 1 A3 B3 C2 D1 -> D out (its ballot exhausts); round 2 A3 B3 C2 -> C out,
    # C's ballots go to B -> B 5 of 8 wins.
    ballots = [(["A"], 3), (["B"], 3), (["C", "B"], 2), (["D"], 1)]
    winner, rounds = irv(["A", "B", "C", "D"], ballots)
    assert winner == "B" and len(rounds) == 3 and sum(rounds[-1].values()) == 8
    # B and C tie for last in round 2; C had fewer in round 1, so C goes first
    ballots = [(["A"], 4), (["B"], 2), (["C"], 1), (["D", "C"], 1)]
    winner, rounds = irv(["A", "B", "C", "D"], ballots)
    assert rounds[1] == {"A": 4, "B": 2, "C": 2} and "C" not in rounds[2]
    # a final two-way tie is a tie
    assert irv(["A", "B"], [(["A"], 2), (["B"], 2)])[0] is None
    assert tally("ranked", ["A", "B"], {"x": ["A"], "y": ["B"]}).outcome == "tie"


def test_consent_known_answers():
    opts = ["agree", "abstain", "disagree", "block"]
    pos = {"a": ["agree"], "b": ["agree"], "c": ["abstain"], "d": ["disagree"]}
    assert tally("consent", opts, pos).outcome == "agreed"
    assert tally("consent", opts, pos | {"e": ["block"]}).outcome == "blocked"
    assert tally("consent", opts, {"a": ["agree"], "d": ["disagree"], "c": ["abstain"]}).outcome == "not_agreed"
    # one block in a secret hand count blocks as well
    assert tally("consent", opts, pos, [{"block": 1}]).outcome == "blocked"
    res = tally("consent", opts, pos, [{"agree": 3}], quorum=8)
    assert res.outcome == "no_quorum" and res.participants == 7 and res.counts["agree"] == 5


def test_majority_known_answers():
    opts = ["A", "B", "C"]
    assert tally("majority", opts, {"x": ["A"], "y": ["A"], "z": ["B"]}).outcome == "A"
    assert tally("majority", opts, {"x": ["A"], "y": ["B"]}).outcome == "tie"
    assert tally("majority", opts, {"x": ["A"], "y": ["B"], "z": ["C"]}).outcome == "tie"
    assert tally("majority", opts, {"x": ["A"], "y": ["A"], "z": ["B"], "w": ["C"]}).outcome == "no_majority"
    assert tally("majority", opts, {}).outcome == "no_votes"
    assert tally("majority", opts, {}, [{"B": 4, "A": 3}]).outcome == "B"


RANKINGS = st.lists(st.permutations(["A", "B", "C", "D"]).map(lambda p: p[: 1 + hash(tuple(p)) % 4]), min_size=1,
                    max_size=40)


@settings(max_examples=200, deadline=None)
@given(RANKINGS)
def test_irv_properties(rankings):
    ballots = [(list(r), 1) for r in rankings]
    winner, rounds = irv(["A", "B", "C", "D"], ballots)
    firsts = {o: sum(1 for r in rankings if r[0] == o) for o in "ABCD"}
    assert rounds[0] == firsts
    top = max(firsts, key=firsts.get)
    if 2 * firsts[top] > len(rankings):  # a first-preference majority always wins
        assert winner == top and len(rounds) == 1
    if winner is not None:
        assert 2 * rounds[-1][winner] > sum(rounds[-1].values())
    # the count never grows and each round drops one option
    assert all(sum(b.values()) <= sum(a.values()) for a, b in itertools.pairwise(rounds))
    assert all(len(b) == len(a) - 1 for a, b in itertools.pairwise(rounds))
    # order of ballots does not matter
    assert irv(["A", "B", "C", "D"], list(reversed(ballots))) == (winner, rounds)
