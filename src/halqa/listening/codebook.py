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

**Keys that travel.** :func:`fresh_codebook_key` makes a new circle key and
:func:`codebook_for_key` the codebook it gives, with no vault at all (for a starter kit handed to a
new circle). :func:`adopt_codebook` lets a new circle's vault take that key, pinning the kit's
places in the kit's order, so the kit and the vault read and write the same lines.

**Quiet-action cards.** :meth:`Codebook.encode_quiet` turns (day, hour, one of
:data:`QUIET_ACTIONS`) into an errand line: ``visit auntie on 1/4/2027 at 12:00, take dates and rice
to Abu Hassan's``. The errand stands for the action (a keyed choice among 16 errands; the 8 unused
ones are decoys), and the two items and the shop keeper are a keyed check on (day, hour, action):
a line made with another circle's key decodes as "not a code" except by a roughly 1-in-70,000
accident (a coded errand, the matching pair out of 630 and shop keeper out of 56).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

import msgspec

from halqa.errors import InvalidInput
from halqa.listening.events import CodebookPut, CodePut, check_count, check_place
from halqa.listening.read import circle_key, stored_codes, themes
from halqa.listening.text import default_themes, fold_digits, normalise
from halqa.vault import Vault
from halqa.vault.values import check_day

__all__ = ["QUIET_ACTIONS", "Codebook", "DecodedLine", "adopt_codebook", "codebook", "codebook_for_key", "decode_lines",
           "encode_line", "fresh_codebook_key"]

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
#: Quiet actions a card can ask for (the same ids in every circle; each circle's key disguises them).
QUIET_ACTIONS: tuple[str, ...] = ("silence", "cleanup", "candles", "white", "pause", "greet", "plant", "share_food")
# Errands a quiet-action card is written as: (English, Arabic, Sorani) forms; the first is written.
# None holds an item, a unit word, a shop keeper or a number (checked in the tests).
ERRANDS: list[dict[str, list[str]]] = [
    {"en": ["visit auntie"], "ar": ["زيارة الخالة", "زياره الخاله"], "ckb": ["سەردانی پوور"]},
    {"en": ["visit grandma"], "ar": ["زيارة الحبوبة", "زيارة الجدة"], "ckb": ["سەردانی داپیرە"]},
    {"en": ["fix the fridge"], "ar": ["تصليح الثلاجة", "تصليح الثلاجه"], "ckb": ["چاککردنی سەلاجە"]},
    {"en": ["pick up the kids"], "ar": ["جلب الاطفال", "جيب الجهال"], "ckb": ["هێنانەوەی منداڵەکان"]},
    {"en": ["wash the car"], "ar": ["غسل السيارة"], "ckb": ["شۆردنی ئۆتۆمبێل"]},
    {"en": ["buy school shoes"], "ar": ["شراء حذاء المدرسة"], "ckb": ["کڕینی پێڵاوی قوتابخانە"]},
    {"en": ["go to the barber"], "ar": ["الذهاب للحلاق", "الحلاق"], "ckb": ["سەرتاشخانە"]},
    {"en": ["clinic appointment"], "ar": ["موعد العيادة"], "ckb": ["کاتی نۆرینگە"]},
    {"en": ["engagement party"], "ar": ["حفلة الخطوبة"], "ckb": ["ئاهەنگی دەستگیرانی"]},
    {"en": ["condolence visit"], "ar": ["واجب العزاء", "الفاتحة"], "ckb": ["سەرە خۆشی"]},
    {"en": ["football match"], "ar": ["مباراة الكرة"], "ckb": ["یاری تۆپی پێ"]},
    {"en": ["see the tailor"], "ar": ["مراجعة الخياط"], "ckb": ["بەرگدروو"]},
    {"en": ["change the gas"], "ar": ["تبديل الغاز"], "ckb": ["گۆڕینی غاز"]},
    {"en": ["paint the door"], "ar": ["صبغ الباب"], "ckb": ["بۆیەکردنی دەرگا"]},
    {"en": ["repair the mobile"], "ar": ["تصليح الموبايل"], "ckb": ["چاککردنی مۆبایل"]},
    {"en": ["help with moving house"], "ar": ["المساعدة بنقل الاثاث"], "ckb": ["یارمەتی گواستنەوە"]},
]
_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[/\\.-]\s*(\d{1,2})\s*[/\\.-]\s*(\d{4})(?!\d)")
_HOUR = re.compile(r"(?<!\d)(\d{1,2})(?:\s*[:.]\s*00)?(?!\d)")
_SHOP_PREFIXES = ["abu", "abou", "abo", "um", "umm", "om", "kak", "kaka", "mam", "ابو", "ابي", "ام", "كاك", "مام", "حجي"]
_NUMBER = re.compile(r"(?<![\w.])(\d{1,6})(?![\d.])")


def _key_rank(key: bytes, purpose: bytes, label: str) -> bytes:
    return hashlib.blake2b(label.encode("utf-8"), key=key, person=b"halqa-codebook1"[:16], salt=purpose[:16].ljust(16, b"\0"),
                           digest_size=16).digest()


class DecodedLine(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """What one disguised line says: ``theme``, ``count`` and ``place``, or ``not_a_code`` (as data,
    only the fields that apply: ``{"theme", "count", "place"}`` or ``{"not_a_code": true}``)."""

    theme: str | None = None
    count: int | None = None
    place: str | None = None
    not_a_code: bool = False


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

    # ---------------------------------------------------------------- quiet-action cards
    def _errands(self) -> dict[str, int]:
        order = sorted(range(len(ERRANDS)), key=lambda i: _key_rank(self.key, b"errand", str(i)))
        return dict(zip(QUIET_ACTIONS, order, strict=False))

    def _quiet_check(self, day: str, hour: int, action: str) -> tuple[int, int, int]:
        """Two different items and a shop keeper, keyed on (day, hour, action)."""
        h = int.from_bytes(_key_rank(self.key, b"quiet", f"{day}|{hour}|{action}"), "big")
        first, h = h % len(ITEMS), h // len(ITEMS)
        second, h = (first + 1 + h % (len(ITEMS) - 1)) % len(ITEMS), h // (len(ITEMS) - 1)
        return first, second, h % len(SHOPS)

    def encode_quiet(self, day: str, hour: int, action: str, lang: str = "en") -> str:
        """A quiet-action card as an errand line: ``day`` (ISO), ``hour`` (0-23) and one of
        :data:`QUIET_ACTIONS`; ``lang`` is ``en``, ``ar`` or ``ckb``."""
        import datetime as dt

        if action not in QUIET_ACTIONS:
            raise InvalidInput("listening.bad_quiet_action", action=action, actions=", ".join(QUIET_ACTIONS))
        the_day = dt.date.fromisoformat(check_day(str(day), required=True))
        if not 0 <= int(hour) <= 23:
            raise InvalidInput("listening.bad_hour", hour=hour)
        hour = int(hour)
        errand = ERRANDS[self._errands()[action]]
        i, j, s = self._quiet_check(the_day.isoformat(), hour, action)
        item, other, shop = ITEMS[i], ITEMS[j], SHOPS[s]
        date = f"{the_day.day}/{the_day.month}/{the_day.year}"
        if lang in ("ar", "ckb"):
            date, h = (x.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")) for x in (date, str(hour)))
            if lang == "ar":
                return f"{errand['ar'][0]} يوم {date} الساعة {h}، وخذ {item['ar'][0]} و{other['ar'][0]} لبيت أبو {shop[1]}"
            return f"{errand['ckb'][0]} ڕۆژی {date} کاتژمێر {h}، {item['ckb'][0]} و {other['ckb'][0]} ببە بۆ کاک {shop[2]}"
        return f"{errand['en'][0]} on {date} at {hour}:00, take {item['en'][0]} and {other['en'][0]} to Abu {shop[0]}'s"

    def decode_quiet(self, line: str) -> dict[str, Any]:
        """``{"day", "hour", "action"}`` for a card made with this codebook, else ``{"not_a_code": True}``."""
        import datetime as dt

        text = normalise(fold_digits(line or ""))
        dates = _DATE.findall(text)
        if len(dates) != 1:
            return {"not_a_code": True}
        d, m, y = (int(x) for x in dates[0])
        try:
            day = dt.date(y, m, d).isoformat()
        except ValueError:
            return {"not_a_code": True}
        rest = _DATE.sub(" ", text)
        hours = _HOUR.findall(rest)
        if len(hours) != 1 or not 0 <= int(hours[0]) <= 23:
            return {"not_a_code": True}
        hour = int(hours[0])
        words = " " + re.sub(r"[^\w\s]", " ", _HOUR.sub(" ", rest).replace("'s", " ").replace("’s", " ")) + " "
        errands = {i for i, pat in _errand_patterns() if pat.search(words)}
        items = {i for i, pat in _item_patterns() if pat.search(words)}
        shops = {s for s, pat in _shop_patterns() if pat.search(words)}
        actions = {e: a for a, e in self._errands().items()}
        if len(errands) != 1 or len(items) != 2 or len(shops) != 1:
            return {"not_a_code": True}
        action = actions.get(errands.pop())
        if action is None:
            return {"not_a_code": True}
        first, second, shop = self._quiet_check(day, hour, action)
        if items != {first, second} or shops != {shop}:
            return {"not_a_code": True}
        return {"day": day, "hour": hour, "action": action}

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


_ERRAND_PATTERNS: list[tuple[int, re.Pattern[str]]] = []


def _errand_patterns() -> list[tuple[int, re.Pattern[str]]]:
    if not _ERRAND_PATTERNS:
        for i, errand in enumerate(ERRANDS):
            alts = sorted({re.escape(normalise(w)).replace(r"\ ", r"\s+") for w in errand["en"] + errand["ar"] + errand["ckb"]},
                          key=len, reverse=True)
            _ERRAND_PATTERNS.append((i, re.compile(rf"(?<!\w)(?:و)?(?:{'|'.join(alts)})(?!\w)")))
    return _ERRAND_PATTERNS


def _shop_patterns() -> list[tuple[int, re.Pattern[str]]]:
    if not _SHOP_PATTERNS:
        prefixes = "|".join(sorted({re.escape(normalise(p)) for p in _SHOP_PREFIXES}, key=len, reverse=True))
        for i, names in enumerate(SHOPS):
            alts = "|".join(sorted({re.escape(normalise(n)) for n in names}, key=len, reverse=True))
            _SHOP_PATTERNS.append((i, re.compile(rf"(?<!\w)(?:{prefixes})[\s_-]*(?:{alts})s?(?!\w)")))
    return _SHOP_PATTERNS


def _circle_key(vault: Vault, create: bool) -> bytes | None:
    key = circle_key(vault)
    if key is not None or not create:
        return key
    key = fresh_codebook_key()
    vault.append("listening_codebook.put", CodebookPut(id="circle", key=key))
    return key


def fresh_codebook_key() -> bytes:
    """A new random 256-bit circle key (for a new circle's codebook, e.g. in a starter kit)."""
    return secrets.token_bytes(32)


def _check_key(key: bytes | str) -> bytes:
    if isinstance(key, str):
        try:
            key = bytes.fromhex(key.strip())
        except ValueError:
            raise InvalidInput("listening.bad_codebook_key") from None
    if not isinstance(key, bytes | bytearray) or len(key) != 32:
        raise InvalidInput("listening.bad_codebook_key")
    return bytes(key)


def _usable_items(key: bytes) -> list[int]:
    order = sorted(range(len(ITEMS)), key=lambda i: _key_rank(key, b"item", str(i)))
    return order[: len(ITEMS) - 8]


def _pick(key: bytes, code: str, candidates: list[int], taken: set[int], purpose: bytes, limit: int) -> int:
    """The first candidate not yet taken, in the keyed probe order for ``code`` (and take it)."""
    probe = sorted(candidates, key=lambda s: _key_rank(key, purpose, f"{code}\x00{s}"))
    free = [s for s in probe if s not in taken]
    if not free:
        raise InvalidInput("listening.codebook_full", max=limit)
    taken.add(free[0])
    return free[0]


def _new_codes(key: bytes, theme_item: dict[str, int], place_shop: dict[str, int], places: list[str],
               new_themes: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Codes for ``places`` and ``new_themes`` not yet coded, in the order given (pure)."""
    usable = _usable_items(key)
    taken = set(place_shop.values())
    placed = {p: _pick(key, p, list(range(len(SHOPS))), taken, b"shop", len(SHOPS)) for p in places if p not in place_shop}
    taken_items = set(theme_item.values())
    themed = {t: _pick(key, "theme:" + t, usable, taken_items, b"item", len(usable)) for t in new_themes if t not in theme_item}
    return placed, themed


def codebook_for_key(key: bytes | str, places: list[str] | tuple[str, ...] = (),
                     theme_list: list[str] | tuple[str, ...] = ()) -> Codebook:
    """The codebook a circle key gives, with no vault: the 13 default themes, then ``theme_list``
    (circle themes) and ``places`` coded in the order given, exactly as a vault holding that key
    codes them when it meets them in that order (see :func:`adopt_codebook`). ``key`` is 32 bytes
    or their hex."""
    key = _check_key(key)
    usable = _usable_items(key)
    defaults = [t["id"] for t in default_themes()]
    theme_item = {t: usable[i] for i, t in enumerate(defaults)}
    extra = [t for t in dict.fromkeys(x.strip().lower() for x in theme_list) if t and t not in theme_item]
    place_list = list(dict.fromkeys(check_place(p) for p in places))
    placed, themed = _new_codes(key, theme_item, {}, place_list, extra)
    return Codebook(theme_item={**theme_item, **themed}, place_shop=placed, key=key)


def adopt_codebook(vault: Vault, key: bytes | str, places: list[str] | tuple[str, ...] = ()) -> Codebook:
    """Make ``key`` this vault's circle key (a new circle taking the codebook of its starter kit)
    and code ``places`` now, in the order given, so the vault and :func:`codebook_for_key` with the
    same key and places agree line for line. Pass the kit's places in the kit's order.

    Adopting the key the vault already has only adds places; a vault that already holds another
    key is refused (its old notes would no longer decode).
    """
    key = _check_key(key)
    current = _circle_key(vault, create=False)
    if current is not None and current != key:
        raise InvalidInput("listening.codebook_exists")
    if current is None:
        vault.append("listening_codebook.put", CodebookPut(id="circle", key=key))
    return codebook(vault, places)


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
    defaults = [t.id for t in all_themes if t.default]
    usable = _usable_items(key)
    theme_item = {t: usable[i] for i, t in enumerate(defaults)}
    stored = stored_codes(vault)
    assigned = {p: s for p, s in stored.items() if not p.startswith("theme:")}
    theme_item.update({p[6:]: s for p, s in stored.items() if p.startswith("theme:")})
    new_places = [p for p in dict.fromkeys(check_place(p) for p in places) if p not in assigned]
    known = {t.id for t in all_themes}
    new_themes = [t for t in dict.fromkeys(x.strip().lower() for x in theme_list) if t in known and t not in theme_item]
    if new_places or new_themes:
        placed, themed = _new_codes(key, theme_item, assigned, new_places, new_themes)
        with vault.transaction() as tx:
            for place, shop in placed.items():
                tx.append("listening_code.put", CodePut(place=place, shop=shop))
            for theme, item in themed.items():
                tx.append("listening_code.put", CodePut(place="theme:" + theme, shop=item))
        assigned.update(placed)
        theme_item.update(themed)
    return Codebook(theme_item=theme_item, place_shop=assigned, key=key)


def encode_line(vault: Vault, theme: str, count: int | str, place: str, lang: str = "en") -> str:
    """Disguise one grievance (theme, how often heard, place) as a shopping-list line."""
    place = check_place(place)
    theme = theme.strip().lower()
    n = check_count(count)
    return codebook(vault, [place], [theme]).encode(theme, n, place, lang=lang if lang in ("ar", "ckb", "en") else "en")


def decode_lines(vault: Vault, lines: list[str]) -> list[DecodedLine]:
    """Read disguised lines back: one result per line (blank lines included)."""
    key = _circle_key(vault, create=False)
    if key is None:
        return [DecodedLine(not_a_code=True) for _ in lines]
    book = codebook(vault, create=False)
    return [DecodedLine(**book.decode(line)) for line in lines]
