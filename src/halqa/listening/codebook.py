"""Disguised notes: a per-circle secret codebook that turns a grievance into a shopping-list line.

``(theme=electricity, count=2, place=NKH)`` becomes ``2 kg tomatoes from Abu Ali's`` (or
``٢ كيلو طماطة من أبو علي`` / ``٢ کیلۆ تەماتە لە کاک عەلی``) and back.

* A random 256-bit circle key lives in the vault (``listening_codebook``) and travels to the
  circle's other devices with its events; different circles get different codes.
* Theme -> grocery item: the item pool is shuffled by a keyed hash (BLAKE2b keyed with the circle
  key, personalised per purpose); themes take items in that order, sorted by theme id, so the
  default themes keep their items when a circle adds more. Items no theme uses are decoys: a
  real shopping line with them decodes as "not a code".
* Place -> shop keeper (``Abu Ali``): each place gets a name from the pool the first time it is
  encoded, probing names in a keyed order, and the choice is stored (``listening_code``), so
  codes never change when new places appear.
* Count -> the quantity, as written.

Decoding tolerates sloppy hand-typed lines: extra words, Arabic-Indic or Persian digits, spelling
variants (أ/ا, ة/ه, ى/ي, ک/ك), missing apostrophes, ``Abu-Ali``/``ابوعلي``. A line is a code only
when it holds exactly one number, exactly one assigned item and exactly one assigned shop keeper;
anything else decodes to ``{"not_a_code": True}``, never to a guess.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

import msgspec

from halqa.errors import InvalidInput
from halqa.listening.records import check_count, check_place, themes
from halqa.listening.text import fold_digits, normalise
from halqa.vault import RecordProjection, Vault, register_kind, register_projection

__all__ = ["Codebook", "codebook", "decode_lines", "encode_line"]

UNSET = msgspec.UNSET


class CodebookPut(msgspec.Struct, kw_only=True):
    id: str
    key: bytes | msgspec.UnsetType = UNSET


class CodebookDelete(msgspec.Struct):
    id: str


class CodePut(msgspec.Struct, kw_only=True):
    place: str
    shop: int | msgspec.UnsetType = UNSET


class CodeDelete(msgspec.Struct):
    place: str


register_kind("listening_codebook.put", CodebookPut)
register_kind("listening_codebook.delete", CodebookDelete)
register_kind("listening_code.put", CodePut)
register_kind("listening_code.delete", CodeDelete)
register_projection(RecordProjection("listening_codebook", {"id": "TEXT", "key": "BLOB"}))
register_projection(RecordProjection("listening_code", {"place": "TEXT", "shop": "INTEGER"}, key="place"))

# (English plural, English unit, Arabic forms..., Sorani forms...). The first form in each
# language is the one written; the others are accepted when decoding.
ITEMS: list[dict[str, Any]] = [
    {"en": ["tomatoes", "tomato"], "ar": ["طماطة", "طماطم", "طماط", "طماطه"], "ckb": ["تەماتە", "تماتە"], "unit": "kg"},
    {"en": ["potatoes", "potato"], "ar": ["بتيتة", "بطاطا", "بطاطس", "بتيته"], "ckb": ["پەتاتە", "پەتاتا"], "unit": "kg"},
    {"en": ["onions", "onion"], "ar": ["بصل"], "ckb": ["پیاز"], "unit": "kg"},
    {"en": ["rice"], "ar": ["تمن", "رز", "ارز"], "ckb": ["برنج"], "unit": "kg"},
    {"en": ["sugar"], "ar": ["شكر", "سكر"], "ckb": ["شەکر"], "unit": "kg"},
    {"en": ["tea"], "ar": ["چاي", "جاي", "شاي"], "ckb": ["چا", "چای"], "unit": "box"},
    {"en": ["bread", "samoon"], "ar": ["صمون", "خبز"], "ckb": ["نان", "سەموون"], "unit": "bag"},
    {"en": ["eggs", "egg"], "ar": ["بيض"], "ckb": ["هێلکە"], "unit": "tray"},
    {"en": ["cooking oil", "oil"], "ar": ["دهن", "زيت"], "ckb": ["ڕۆن", "رۆن"], "unit": "bottle"},
    {"en": ["cucumbers", "cucumber"], "ar": ["خيار"], "ckb": ["خەیار", "خیار"], "unit": "kg"},
    {"en": ["lentils", "lentil"], "ar": ["عدس"], "ckb": ["نیسک"], "unit": "kg"},
    {"en": ["flour"], "ar": ["طحين"], "ckb": ["ئارد", "ارد"], "unit": "kg"},
    {"en": ["cheese"], "ar": ["جبن", "جبنة"], "ckb": ["پەنیر"], "unit": "kg"},
    {"en": ["yoghurt", "yogurt", "laban"], "ar": ["لبن", "روبة", "روبه"], "ckb": ["ماست"], "unit": "box"},
    {"en": ["apples", "apple"], "ar": ["تفاح"], "ckb": ["سێو", "سیو"], "unit": "kg"},
    {"en": ["bananas", "banana"], "ar": ["موز"], "ckb": ["مۆز", "موز"], "unit": "kg"},
    {"en": ["oranges", "orange"], "ar": ["برتقال", "برتقان"], "ckb": ["پرتەقاڵ", "پرتقال"], "unit": "kg"},
    {"en": ["chicken"], "ar": ["دجاج"], "ckb": ["مریشک"], "unit": "piece"},
    {"en": ["dates"], "ar": ["تمر"], "ckb": ["خورما"], "unit": "kg"},
    {"en": ["salt"], "ar": ["ملح"], "ckb": ["خوێ", "خوی"], "unit": "bag"},
    {"en": ["beans"], "ar": ["فاصوليا", "فاصولية", "لوبيا"], "ckb": ["فاسۆلیا", "فاسولیا"], "unit": "kg"},
    {"en": ["aubergines", "aubergine", "eggplants", "eggplant"], "ar": ["باذنجان", "بيتنجان", "باتنجان"],
     "ckb": ["باینجان", "باینجانی ڕەش"], "unit": "kg"},
    {"en": ["peppers", "pepper"], "ar": ["فلفل"], "ckb": ["بیبەر"], "unit": "kg"},
    {"en": ["lemons", "lemon"], "ar": ["نومي", "ليمون", "لومي"], "ckb": ["لیمۆ", "لیمو"], "unit": "kg"},
    {"en": ["grapes", "grape"], "ar": ["عنب"], "ckb": ["ترێ", "تری"], "unit": "kg"},
    {"en": ["watermelons", "watermelon"], "ar": ["رقي", "بطيخ"], "ckb": ["شووتی", "شوتی"], "unit": "piece"},
    {"en": ["milk"], "ar": ["حليب"], "ckb": ["شیر"], "unit": "bottle"},
    {"en": ["soap"], "ar": ["صابون"], "ckb": ["سابوون", "سابون"], "unit": "piece"},
    {"en": ["carrots", "carrot"], "ar": ["جزر"], "ckb": ["گێزەر", "گیزەر"], "unit": "kg"},
    {"en": ["garlic"], "ar": ["ثوم"], "ckb": ["سیر"], "unit": "kg"},
    {"en": ["chickpeas", "chickpea"], "ar": ["حمص"], "ckb": ["نۆک", "نوک"], "unit": "kg"},
    {"en": ["parsley"], "ar": ["معدنوس", "بقدونس"], "ckb": ["جەعفەری"], "unit": "bunch"},
    {"en": ["okra"], "ar": ["بامية", "باميه"], "ckb": ["بامیە"], "unit": "kg"},
    {"en": ["zucchini", "courgettes", "courgette"], "ar": ["شجر", "كوسة", "كوسا"], "ckb": ["کولەکە"], "unit": "kg"},
    {"en": ["biscuits", "biscuit"], "ar": ["بسكت", "بسكويت"], "ckb": ["بسکیت"], "unit": "box"},
    {"en": ["matches"], "ar": ["شخاط", "كبريت"], "ckb": ["شقارتە"], "unit": "box"},
]
UNITS: dict[str, dict[str, list[str]]] = {
    "kg": {"en": ["kg", "kilo", "kilos", "kilogram", "kilograms"], "ar": ["كيلو", "كغم", "كيلوغرام", "كيلوات"],
           "ckb": ["کیلۆ", "کیلو"]},
    "box": {"en": ["box", "boxes", "packet", "packets"], "ar": ["علبة", "علب", "باكيت"], "ckb": ["پاکەت", "قوتوو"]},
    "bag": {"en": ["bag", "bags"], "ar": ["كيس", "اكياس"], "ckb": ["کیسە", "کیس"]},
    "tray": {"en": ["tray", "trays"], "ar": ["طبقة", "صينية", "طبكة"], "ckb": ["تەبەق"]},
    "bottle": {"en": ["bottle", "bottles"], "ar": ["قنينة", "قناني", "بطل"], "ckb": ["بوتڵ", "شووشە"]},
    "piece": {"en": ["piece", "pieces", "x"], "ar": ["حبة", "حبات"], "ckb": ["دانە", "دانه"]},
    "bunch": {"en": ["bunch", "bunches"], "ar": ["باكة", "شدة"], "ckb": ["باقە"]},
}
# Shop keepers: (Latin, Arabic, Sorani). Written as "Abu X" / "أبو X" / "کاک X".
SHOPS: list[tuple[str, str, str]] = [
    ("Ali", "علي", "عەلی"), ("Hassan", "حسن", "حەسەن"), ("Hussein", "حسين", "حوسێن"), ("Jasim", "جاسم", "جاسم"),
    ("Kadhim", "كاظم", "کازم"), ("Abbas", "عباس", "عەباس"), ("Mustafa", "مصطفى", "مستەفا"), ("Salam", "سلام", "سەلام"),
    ("Fadhil", "فاضل", "فازڵ"), ("Raad", "رعد", "ڕەعد"), ("Yasir", "ياسر", "یاسر"), ("Omar", "عمر", "عومەر"),
    ("Khalid", "خالد", "خالید"), ("Ahmed", "احمد", "ئەحمەد"), ("Sajjad", "سجاد", "سەججاد"), ("Haidar", "حيدر", "حەیدەر"),
    ("Mahdi", "مهدي", "مەهدی"), ("Yousif", "يوسف", "یوسف"), ("Sadiq", "صادق", "سادق"), ("Qasim", "قاسم", "قاسم"),
    ("Majid", "ماجد", "ماجد"), ("Saif", "سيف", "سەیف"), ("Karim", "كريم", "کەریم"), ("Adil", "عادل", "عادل"),
    ("Nasir", "ناصر", "ناسر"), ("Hamid", "حميد", "حەمید"), ("Salih", "صالح", "ساڵح"), ("Tariq", "طارق", "تاریق"),
    ("Walid", "وليد", "وەلید"), ("Zaid", "زيد", "زەید"), ("Bassim", "باسم", "باسم"), ("Jabbar", "جبار", "جەببار"),
    ("Sattar", "ستار", "سەتتار"), ("Hamza", "حمزة", "حەمزە"), ("Munir", "منير", "مونیر"), ("Ibrahim", "ابراهيم", "ئیبراهیم"),
    ("Ismail", "اسماعيل", "ئیسماعیل"), ("Jamal", "جمال", "جەمال"), ("Latif", "لطيف", "لەتیف"), ("Nabil", "نبيل", "نەبیل"),
    ("Riyadh", "رياض", "ڕیاز"), ("Samir", "سمير", "سەمیر"), ("Talib", "طالب", "تالیب"), ("Wisam", "وسام", "ویسام"),
    ("Ghazi", "غازي", "غازی"), ("Hadi", "هادي", "هادی"), ("Imad", "عماد", "عیماد"), ("Kamil", "كامل", "کامل"),
    ("Lafta", "لفتة", "لەفتە"), ("Mazin", "مازن", "مازن"), ("Nouri", "نوري", "نووری"), ("Qais", "قيس", "قەیس"),
    ("Rahim", "رحيم", "ڕەحیم"), ("Shakir", "شاكر", "شاکر"), ("Thamer", "ثامر", "سامر"), ("Uday", "عدي", "عودەی"),
]
_SHOP_PREFIXES = ["abu", "abou", "abo", "um", "umm", "om", "kak", "kaka", "mam", "ابو", "ابي", "ام", "كاك", "مام", "حجي"]
_NUMBER = re.compile(r"(?<![\w.])(\d{1,6})(?![\d.])")


def _key_rank(key: bytes, purpose: bytes, label: str) -> bytes:
    return hashlib.blake2b(label.encode("utf-8"), key=key, person=b"halqa-codebook1"[:16], salt=purpose[:16].ljust(16, b"\0"),
                           digest_size=16).digest()


@dataclass(frozen=True)
class Codebook:
    """The codebook of one circle: theme <-> item, place <-> shop keeper. Build with :func:`codebook`."""

    theme_item: dict[str, int]
    place_shop: dict[str, int]
    key: bytes

    # ---------------------------------------------------------------- encoding
    def encode(self, theme: str, count: int, place: str, lang: str = "en") -> str:
        """One disguised line; ``lang`` is ``en``, ``ar`` or ``ckb``."""
        if theme not in self.theme_item:
            raise InvalidInput("listening.unknown_theme", theme=theme)
        if place not in self.place_shop:
            raise InvalidInput("listening.code_unknown_place", place=place)
        item = ITEMS[self.theme_item[theme]]
        shop = SHOPS[self.place_shop[place]]
        unit = UNITS[item["unit"]]
        if lang == "ar":
            n = str(count).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
            return f"{n} {unit['ar'][0]} {item['ar'][0]} من أبو {shop[1]}"
        if lang == "ckb":
            n = str(count).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
            return f"{n} {unit['ckb'][0]} {item['ckb'][0]} لە دوکانی کاک {shop[2]}"
        return f"{count} {unit['en'][0]} {item['en'][0]} from Abu {shop[0]}'s"

    # ---------------------------------------------------------------- decoding
    def decode(self, line: str) -> dict[str, Any]:
        """``{"theme", "count", "place"}`` for a code line, else ``{"not_a_code": True}``."""
        text = " " + re.sub(r"[^\w\s]", " ", normalise(fold_digits(line)).replace("'s", " ").replace("’s", " ")) + " "
        numbers = _NUMBER.findall(text)
        items = {i for i, pat in _item_patterns() if pat.search(text)}
        shops = {s for s, pat in _shop_patterns() if pat.search(text)}
        item_theme = {v: k for k, v in self.theme_item.items()}
        shop_place = {v: k for k, v in self.place_shop.items()}
        coded_items = items & set(item_theme)
        coded_shops = shops & set(shop_place)
        if len(numbers) != 1 or len(items) != 1 or len(shops) != 1 or not coded_items or not coded_shops:
            return {"not_a_code": True}
        count = int(numbers[0])
        if count < 1:
            return {"not_a_code": True}
        return {"theme": item_theme[coded_items.pop()], "count": count, "place": shop_place[coded_shops.pop()]}

    def table(self) -> dict[str, Any]:
        """The mapping, for an organiser to learn by heart (then keep off the phone)."""
        return {
            "themes": {t: {"en": ITEMS[i]["en"][0], "ar": ITEMS[i]["ar"][0], "ckb": ITEMS[i]["ckb"][0]}
                       for t, i in sorted(self.theme_item.items())},
            "places": {p: {"en": f"Abu {SHOPS[s][0]}", "ar": f"أبو {SHOPS[s][1]}", "ckb": f"کاک {SHOPS[s][2]}"}
                       for p, s in sorted(self.place_shop.items())},
        }


def _alias_pattern(words: list[str]) -> re.Pattern[str]:
    alts = sorted({re.escape(normalise(w)).replace(r"\ ", r"\s*") for w in words}, key=len, reverse=True)
    # Arabic proclitics (و ب ل ال) may stick to an item: "وطماطة", "بالطماطة".
    return re.compile(rf"(?<!\w)(?:و|ب|ل|ف)?(?:ال)?(?:{'|'.join(alts)})(?!\w)")


_ITEM_PATTERNS: list[tuple[int, re.Pattern[str]]] = []
_SHOP_PATTERNS: list[tuple[int, re.Pattern[str]]] = []


def _item_patterns() -> list[tuple[int, re.Pattern[str]]]:
    if not _ITEM_PATTERNS:
        _ITEM_PATTERNS.extend((i, _alias_pattern(item["en"] + item["ar"] + item["ckb"])) for i, item in enumerate(ITEMS))
    return _ITEM_PATTERNS


def _shop_patterns() -> list[tuple[int, re.Pattern[str]]]:
    if not _SHOP_PATTERNS:
        prefixes = "|".join(sorted({re.escape(normalise(p)) for p in _SHOP_PREFIXES}, key=len, reverse=True))
        for i, names in enumerate(SHOPS):
            alts = "|".join(sorted({re.escape(normalise(n)) for n in names}, key=len, reverse=True))
            _SHOP_PATTERNS.append((i, re.compile(rf"(?<!\w)(?:{prefixes})[\s_-]*(?:{alts})s?(?!\w)")))
    return _SHOP_PATTERNS


def _circle_key(vault: Vault, create: bool) -> bytes | None:
    row = vault.query_one("SELECT key FROM listening_codebook WHERE id = 'circle'")
    if row is not None and row[0]:
        return bytes(row[0])
    if not create:
        return None
    key = secrets.token_bytes(32)
    vault.append("listening_codebook.put", CodebookPut(id="circle", key=key))
    return key


def _assign(tx: Any, key: bytes, code: str, candidates: list[int], taken: set[int], purpose: bytes, full_msg: str,
            limit: int) -> int:
    probe = sorted(candidates, key=lambda s: _key_rank(key, purpose, f"{code}\x00{s}"))
    free = [s for s in probe if s not in taken]
    if not free:
        raise InvalidInput(full_msg, max=limit)
    taken.add(free[0])
    tx.append("listening_code.put", CodePut(place=code, shop=free[0]))
    return free[0]


def codebook(vault: Vault, places: list[str] | tuple[str, ...] = (), theme_list: list[str] | tuple[str, ...] = (),
             create: bool = True) -> Codebook:
    """The circle's codebook; the circle key is made on first use.

    The 13 default themes take the first items of the keyed item order. ``places`` and circle
    themes in ``theme_list`` not yet coded get a shop keeper / item now (one commit, probing in
    keyed order), and keep it for good: codes never shift when places or themes are added.
    At least eight items always stay unassigned, as decoys.
    """
    key = _circle_key(vault, create=create or bool(places))
    if key is None:
        raise InvalidInput("listening.no_codebook")
    all_themes = themes(vault)
    defaults = [t["id"] for t in all_themes if t["default"]]
    order = sorted(range(len(ITEMS)), key=lambda i: _key_rank(key, b"item", str(i)))
    usable = order[: len(ITEMS) - 8]
    theme_item = {t: usable[i] for i, t in enumerate(defaults)}
    stored = {r[0]: int(r[1]) for r in vault.query("SELECT place, shop FROM listening_code")}
    assigned = {p: s for p, s in stored.items() if not p.startswith("theme:")}
    theme_item.update({p[6:]: s for p, s in stored.items() if p.startswith("theme:")})
    new_places = [p for p in dict.fromkeys(check_place(p) for p in places) if p not in assigned]
    known = {t["id"] for t in all_themes}
    new_themes = [t for t in dict.fromkeys(x.strip().lower() for x in theme_list) if t in known and t not in theme_item]
    if new_places or new_themes:
        with vault.transaction() as tx:
            taken = set(assigned.values())
            for place in new_places:
                assigned[place] = _assign(tx, key, place, list(range(len(SHOPS))), taken, b"shop",
                                          "listening.codebook_full", len(SHOPS))
            taken_items = set(theme_item.values())
            for theme in new_themes:
                theme_item[theme] = _assign(tx, key, "theme:" + theme, usable, taken_items, b"item",
                                            "listening.codebook_full", len(usable))
    return Codebook(theme_item=theme_item, place_shop=assigned, key=key)


def encode_line(vault: Vault, theme: str, count: int | str, place: str, lang: str = "en") -> str:
    """Disguise one grievance (theme, how often heard, place) as a shopping-list line."""
    place = check_place(place)
    theme = theme.strip().lower()
    n = check_count(count)
    return codebook(vault, [place], [theme]).encode(theme, n, place, lang=lang if lang in ("ar", "ckb", "en") else "en")


def decode_lines(vault: Vault, lines: list[str]) -> list[dict[str, Any]]:
    """Read disguised lines back: one result per line (blank lines included)."""
    key = _circle_key(vault, create=False)
    if key is None:
        return [{"not_a_code": True} for _ in lines]
    book = codebook(vault, create=False)
    return [book.decode(line) for line in lines]
