"""The disguised-notes codebook: round trips (hypothesis), sloppy typing, 'not a code', per-circle keys."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import halqa.listening as L
from halqa.errors import InvalidInput
from halqa.listening.codebook import ITEMS, SHOPS, codebook
from halqa.results import to_data
from tests.conftest import new_vault

PLACES = ["NKH", "MNA", "SHT", "SUQ", "MAM", "JSR", "872a1072bffffff"]
THEMES = ["wages", "unemployment", "electricity", "water", "rent", "prices", "generator", "corruption", "health",
          "education", "security", "sanitation", "food"]
FILLER = ["please", "also", "tomorrow", "cheap", "ok", "بكرة", "ضروري", "رخيص", "وياه", "زوو", "بەیانی", "!", "-", "(fresh)"]
_AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


@pytest.fixture(scope="module")
def book(tmp_path_factory):

    v = new_vault(tmp_path_factory.mktemp("cb"), "v")
    b = codebook(v, PLACES)
    yield v, b
    v.close()


def _sloppy(line: str, data) -> str:
    words = line.split(" ")
    for _ in range(data.draw(st.integers(0, 3))):
        # Extra words anywhere, except inside a shop keeper's name ("Abu Ali").
        spots = [i for i in range(len(words) + 1) if i == 0 or words[i - 1] not in ("Abu", "أبو", "کاک")]
        words.insert(data.draw(st.sampled_from(spots)), data.draw(st.sampled_from(FILLER)))
    out = " ".join(words)
    if data.draw(st.booleans()):
        out = out.translate(_AR_DIGITS)
    elif data.draw(st.booleans()):
        out = out.translate(_FA_DIGITS)
    variant = data.draw(st.sampled_from(["none", "upper", "alef", "taa", "noapos", "hyphen", "joined"]))
    if variant == "upper":
        out = out.upper()
    elif variant == "alef":
        out = out.replace("ا", "أ", 1).replace("ي", "ى")
    elif variant == "taa":
        out = out.replace("ة", "ه")
    elif variant == "noapos":
        out = out.replace("'s", "s").replace("'", "")
    elif variant == "hyphen":
        out = out.replace("Abu ", "abu-").replace("أبو ", "ابو-")
    elif variant == "joined":
        out = out.replace("أبو ", "ابو").replace("Abu ", "Abu")
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(theme=st.sampled_from(THEMES), count=st.integers(1, 10_000), place=st.sampled_from(PLACES),
       lang=st.sampled_from(["en", "ar", "ckb"]), data=st.data())
def test_round_trip_survives_sloppy_typing(book, theme, count, place, lang, data):
    _, b = book
    line = b.encode(theme, count, place, lang=lang)
    assert b.decode(line) == {"theme": theme, "count": count, "place": place}
    assert b.decode(_sloppy(line, data)) == {"theme": theme, "count": count, "place": place}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_random_text_is_never_decoded_as_a_guess(book, text):
    _, b = book
    res = b.decode(text)
    if "not_a_code" not in res:
        # Only lines naming exactly one coded item, one coded shop keeper and one number decode.
        assert res["theme"] in THEMES and res["place"] in PLACES and res["count"] >= 1


def test_not_a_code(book):
    _, b = book
    decoy_items = [i for i in range(len(ITEMS)) if i not in b.theme_item.values()]
    assert len(decoy_items) >= 8
    shop = SHOPS[b.place_shop["NKH"]][0]
    item = ITEMS[b.theme_item["water"]]["en"][0]
    for line in ["", "hello", "2 kg from Abu " + shop, f"kg {item} from Abu {shop}", f"2 kg {item} and 3 kg {item} from Abu {shop}",
                 f"2 kg {ITEMS[decoy_items[0]]['en'][0]} from Abu {shop}",
                 f"2 kg {item} from Abu {SHOPS[next(s for s in range(len(SHOPS)) if s not in b.place_shop.values())][0]}",
                 f"2 kg {item} and 1 kg {ITEMS[b.theme_item['rent']]['en'][0]} from Abu {shop}",
                 f"0 kg {item} from Abu {shop}"]:
        assert b.decode(line) == {"not_a_code": True}, line


def test_hand_typed_examples(book):
    v, _ = book
    line = L.encode_line(v, "electricity", 2, "NKH", lang="ar")
    # Retype it by hand: Latin digits, no hamza, taa as haa, extra words.
    retyped = "ضروري " + line.replace("٢", "2").replace("أبو", "ابو").replace("ة", "ه") + " بكرة الصبح"
    assert to_data(L.decode_lines(v, [retyped, "اشتري خبز"])) == [{"theme": "electricity", "count": 2, "place": "NKH"},
                                                      {"not_a_code": True}]


def test_codes_differ_between_circles_and_stay_put(tmp_path):

    with new_vault(tmp_path, "a") as a, \
            new_vault(tmp_path, "b") as b:
        L.encode_line(a, "wages", 4, "MNA")
        L.encode_line(b, "wages", 4, "MNA")
        ta, tb = codebook(a).theme_item, codebook(b).theme_item
        assert ta != tb  # 28!/15! orderings: equal only by a 1-in-10^20 accident
        # Adding places and themes never changes an existing code.
        before = L.encode_line(a, "wages", 4, "MNA")
        for p in ["NKH", "SHT", "SUQ", "JSR", "MAM"]:
            L.encode_line(a, "water", 1, p)
        L.add_theme(a, "dust", name_en="Dust storms")
        L.encode_line(a, "dust", 1, "NKH")
        assert L.encode_line(a, "wages", 4, "MNA") == before
        assert to_data(L.decode_lines(a, [L.encode_line(a, "dust", 5, "SHT")])) == [{"theme": "dust", "count": 5, "place": "SHT"}]
        # Rebuilding from the log keeps the codebook.
        a.rebuild()
        assert L.encode_line(a, "wages", 4, "MNA") == before


def test_encode_refuses_bad_input(book):
    v, _ = book
    with pytest.raises(InvalidInput):
        L.encode_line(v, "weather", 1, "NKH")
    with pytest.raises(InvalidInput):
        L.encode_line(v, "water", 0, "NKH")
    with pytest.raises(InvalidInput):
        L.encode_line(v, "water", 1, "31.2,47.1")


def test_decode_without_codebook(vault):
    assert to_data(L.decode_lines(vault, ["2 kg tomatoes from Abu Ali's"])) == [{"not_a_code": True}]  # the JSON shape


# ---------------------------------------------------------------------------- keys that travel, quiet cards
def test_codebook_for_key_matches_a_vault_that_adopts_the_key(tmp_path):

    key = L.fresh_codebook_key()
    assert len(key) == 32 and key != L.fresh_codebook_key()
    kit = L.codebook_for_key(key, ["SUQ", "NKH", "MNA"])
    assert L.codebook_for_key(key.hex(), ["SUQ", "NKH", "MNA"]) == kit
    with new_vault(tmp_path, "new") as v:
        L.adopt_codebook(v, key, ["SUQ", "NKH", "MNA"])
        assert codebook(v).key == key and codebook(v).theme_item == kit.theme_item
        lines = [L.encode_line(v, t, n, p, lang=lang) for t, n, p, lang in
                 [("water", 3, "NKH", "en"), ("wages", 12, "SUQ", "ar"), ("rent", 1, "MNA", "ckb")]]
        assert [kit.decode(x) for x in lines] == to_data(L.decode_lines(v, lines))
        assert kit.decode(lines[0]) == {"theme": "water", "count": 3, "place": "NKH"}
        L.adopt_codebook(v, key)  # the same key again: fine
        with pytest.raises(InvalidInput):
            L.adopt_codebook(v, L.fresh_codebook_key())  # another key would orphan old notes
    with pytest.raises(InvalidInput):
        L.codebook_for_key(b"short")
    with pytest.raises(InvalidInput):
        L.codebook_for_key("not hex")


def test_existing_vault_codes_equal_the_pure_derivation(book):
    v, b = book
    assert L.codebook_for_key(b.key, PLACES) == codebook(v)


@settings(max_examples=150, deadline=None)
@given(day=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2040, 12, 31)),
       hour=st.integers(0, 23), action=st.sampled_from(L.QUIET_ACTIONS), lang=st.sampled_from(["en", "ar", "ckb"]),
       seed=st.binary(min_size=32, max_size=32))
def test_quiet_cards_round_trip(day, hour, action, lang, seed):
    b = L.codebook_for_key(seed)
    line = b.encode_quiet(day.isoformat(), hour, action, lang=lang)
    assert b.decode_quiet(line) == {"day": day.isoformat(), "hour": hour, "action": action}
    assert "not_a_code" in b.decode(line)  # not a grievance line either
    # retyped by hand: Latin digits, extra words, no apostrophe
    retyped = "ok " + line.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")).replace("'s", "s") + " please"
    assert b.decode_quiet(retyped) == {"day": day.isoformat(), "hour": hour, "action": action}


def test_quiet_card_needs_its_own_key():
    a = L.codebook_for_key(bytes(range(32)))
    others = [L.codebook_for_key(bytes([i]) * 32) for i in range(1, 101)]
    for i, o in enumerate(others):
        line = a.encode_quiet("2027-04-01", i % 24, L.QUIET_ACTIONS[i % len(L.QUIET_ACTIONS)], lang=("en", "ar", "ckb")[i % 3])
        assert o.decode_quiet(line) == {"not_a_code": True}
    for text in ["", "visit auntie tomorrow", "2 kg tomatoes from Abu Ali's", "1/4/2027 at 12"]:
        assert a.decode_quiet(text) == {"not_a_code": True}
    with pytest.raises(InvalidInput):
        a.encode_quiet("2027-04-01", 12, "riot")
    with pytest.raises(InvalidInput):
        a.encode_quiet("2027-04-01", 24, "silence")


def test_errands_hold_no_item_shop_or_number():
    from halqa.listening.codebook import ERRANDS, _errand_patterns, _item_patterns, _shop_patterns

    for i, errand in enumerate(ERRANDS):
        for words in errand.values():
            for w in words:
                text = " " + L.normalise(w) + " "
                assert [j for j, p in _errand_patterns() if p.search(text)] == [i], w
                assert not any(p.search(text) for _, p in _item_patterns() + _shop_patterns()), w
                assert not any(c.isdigit() for c in w), w
