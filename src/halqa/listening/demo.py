"""Synthetic grievances for the demo neighbourhood (made by :func:`halqa.places.demo`) and the decoy.

The story the numbers tell: electricity and generator fees are heard in every district, sect and
sector (the shared cause); unpaid wages are loud in the Port Quarter and among port workers only;
salty tap water clusters on the river (Riverside and the Market Quarter) and grows week by week.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from halqa.i18n import current_language
from halqa.listening.analysis import hotspots, shared_causes
from halqa.listening.read import themes
from halqa.listening.write import Vocabulary, build_grievance, set_border
from halqa.vault import Vault
from halqa.vault.values import today_date

#: Which demo districts touch (a river town: the port and riverside along the water).
DEMO_BORDERS = [("NKH", "SUQ"), ("NKH", "JSR"), ("MNA", "SHT"), ("MNA", "MAM"), ("SHT", "SUQ"), ("SHT", "JSR"),
                ("SUQ", "MAM"), ("SUQ", "JSR")]

TEXTS: dict[str, list[tuple[str, str]]] = {
    "electricity": [("ar", "الكهرباء الوطنية تنطفي ثمان ساعات باليوم والحر ما ينطاق"),
                    ("ar", "من الصبح ماكو كهرباء، المحولة محترقة من اسبوع"),
                    ("ar", "برنامج القطع صار اربع بأربع، الجهال ما ناموا"),
                    ("en", "Power cut again since morning, the transformer burned out"),
                    ("en", "Eight hours a day without grid electricity in this heat")],
    "generator": [("ar", "صاحب المولدة صعد سعر الامبير وما يشغل بالليل"),
                  ("ar", "الاشتراك بالمولدة صار اغلى من الايجار"),
                  ("en", "The generator owner raised the ampere fee again")],
    "wages": [("ar", "صار ثلاث شهور ما استلمنا رواتبنا بالميناء"),
              ("ar", "عمال العقود بالميناء بلا راتب من شهرين"),
              ("en", "Port contract workers have not been paid for two months")],
    "water": [("ar", "ماي الاسالة مالح وريحته تخبل، الجهال مرضوا"),
              ("ar", "نشتري ماي من التانكر لأن الاسالة مالحة"),
              ("en", "The tap water is salty again, kids got sick")],
    "prices": [("ar", "الاسعار صعدت وياه الدولار وما نكدر نشتري"),
               ("en", "Prices went up with the dollar, we cannot afford basics")],
    "corruption": [("ar", "بالدائرة ما يمشون المعاملة الا برشوة"),
                   ("en", "They asked for a bribe to process the paper")],
    "unemployment": [("ar", "الخريجين كاعدين بالبيت ماكو تعيينات"),
                     ("en", "No jobs for graduates, my sons sit at home")],
    "food": [("ar", "الحصة التموينية ناقصة والوكيل يكول ما وصل الطحين"),
             ("en", "The ration card flour did not come this month")],
    "sanitation": [("ar", "الزبالة متجمعة بالشارع والبلدية ما تجي"),
                   ("en", "Garbage piles up, the municipality never comes")],
}

_SECTS = ["shia", "sunni", "christian"]
_SECTORS = ["port", "oil", "market", "public", "daily"]
_AREAS = ["NKH", "MNA", "SHT", "SUQ", "MAM", "JSR"]


def _themes_for(rng: random.Random, area: str, sector: str, week: int) -> list[str]:
    chosen = []
    if rng.random() < 0.42:
        chosen.append("electricity")
    if rng.random() < 0.22:
        chosen.append("generator")
    if (area == "MNA" or sector == "port") and rng.random() < 0.55:
        chosen.append("wages")
    if area in ("SHT", "SUQ") and rng.random() < 0.15 + 0.04 * week:
        chosen.append("water")
    for theme, p in (("prices", 0.12), ("corruption", 0.07), ("unemployment", 0.08), ("food", 0.06), ("sanitation", 0.06)):
        if rng.random() < p:
            chosen.append(theme)
    return chosen or [rng.choice(["prices", "electricity", "sanitation"])]


def demo(vault: Vault, rng: random.Random, n: int = 420, weeks: int = 12,
         today: date | None = None) -> dict[str, int | str]:
    """Add ``n`` grievances over ``weeks`` weeks to the demo areas; return headline figures."""
    end = today or today_date()
    vocab = Vocabulary(vault)
    puts = []
    for _ in range(n):
        week = rng.randrange(weeks)
        day = end - timedelta(days=7 * (weeks - 1 - week) + rng.randrange(7))
        area = rng.choice(_AREAS)
        sector = "port" if area == "MNA" and rng.random() < 0.5 else rng.choice(_SECTORS)
        chosen = _themes_for(rng, area, sector, week)
        _lang, text = rng.choice(TEXTS.get(chosen[0], TEXTS["electricity"]))
        groups = {"sect": rng.choice(_SECTS) if rng.random() < 0.9 else "", "sector": sector,
                  "origin": rng.choices(["resident", "returnee", "migrant"], [0.75, 0.15, 0.10])[0]}
        confirmed = rng.random() < 0.8
        puts.append(build_grievance(vocab, themes=chosen if confirmed else [], place=area, day=day.isoformat(),
                                    text=text if rng.random() < 0.85 else None,
                                    groups={k: v for k, v in groups.items() if v},
                                    tone=rng.choice(["angry", "angry", "bitter_humour", "numb", "hopeful"]),
                                    count=rng.choices([1, 2, 3, 5], [0.6, 0.2, 0.15, 0.05])[0], today=end))
    with vault.transaction() as tx:
        for a, b in DEMO_BORDERS:
            set_border(vault, a, b)
        for put in puts:
            tx.append("listening_grievance.put", put)
    shared = shared_causes(vault, by=["sect", "sector", "district"])
    top = shared.themes[:3]
    spots = hotspots(vault, theme="water", weeks=4)
    lang = current_language()
    names = {th.id: getattr(th, f"name_{lang}") or th.name_en or th.id for th in themes(vault)}
    return {
        "grievances": len(puts),
        "unconfirmed": sum(1 for p in puts if not p.themes),
        "shared_causes": ", ".join(f"{names.get(t.theme, t.theme)} {t.score:.2f}" for t in top),
        "water_hotspots": ", ".join(spots.hot) or "-",
        "hottest_water_place": spots.places[0].place if spots.places else "-",
    }


def decoy(vault: Vault, rng: random.Random) -> None:
    """A few harmless notes for the decoy vault: the everyday complaints anyone voices."""
    vocab = Vocabulary(vault)
    end = datetime.fromtimestamp(vault.hlc.now_ms() / 1000, UTC).date()  # the decoy's own "today"
    harmless = [("electricity", "الكهرباء تنطفي هواية هالاسبوع"), ("prices", "الطماطة غالية هالموسم"),
                ("sanitation", "الزبالة بالشارع من يومين")]
    with vault.transaction() as tx:
        for theme, text in rng.sample(harmless, k=len(harmless)):
            tx.append("listening_grievance.put", build_grievance(
                vocab, themes=[theme], place=rng.choice(_AREAS), day=(end - timedelta(days=rng.randrange(30))).isoformat(),
                text=text, count=1, today=end))


#: What anyone says about daily life, for the decoy's notes (no theme that hints at organising).
EVERYDAY = [("electricity", "الكهرباء تنطفي هواية هالاسبوع"), ("electricity", "المولدة طفت العصر"),
            ("prices", "الطماطة غالية هالموسم"), ("prices", "الطحين صعد سعره"),
            ("sanitation", "الزبالة بالشارع من يومين"), ("sanitation", "البلدية ما جت هالاسبوع")]


def decoy_session(vault: Vault, rng: random.Random, when: datetime) -> None:
    """A moment of a decoy's life: an everyday complaint noted on that day."""
    theme, text = EVERYDAY[rng.randrange(len(EVERYDAY))]
    day = when.date()
    vault.append("listening_grievance.put", build_grievance(
        Vocabulary(vault), themes=[theme], place=rng.choice(_AREAS), day=day.isoformat(), text=text, count=1,
        today=day))
