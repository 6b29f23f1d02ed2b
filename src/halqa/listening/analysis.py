"""Understanding what was heard: shared causes across groups, hotspots and trends.

All functions take either an open :class:`~halqa.vault.Vault` or a :class:`ListeningData` (two
pandas frames, handy in notebooks and for synthetic data) and are vectorised with numpy, so a
million grievances take seconds.

**Shared causes.** The unit of evidence is the grievance record (``count``, how often it was
heard, adds volume, not independent evidence). For every theme and every group (``sect=sunni``,
``district=NKH``…) the prevalence is the share of themed grievances from that group that raise
the theme, with a Jeffreys interval (the Beta(k+½, n−k+½) posterior of a binomial proportion).
A theme's *shared score* is the largest prevalence that, with at least ``level`` posterior
probability, is exceeded in **every** judged group at once: the minimum over groups of the lower
Beta quantile at ``(1 − level) / m`` (Bonferroni over the ``m`` groups). A theme loud in one
district and absent in another scores near zero however common it is overall. Groups with fewer
than ``min_n`` records are listed in ``too_few`` and left out of the score.

**Hotspots.** Hearings (sum of ``count``) per place in a window of weeks; the Getis–Ord Gi*
statistic over binary neighbourhood weights (self included): declared area borders, area H3
cells that touch, or H3 rings for places that are H3 cells. Two-sided normal p-values are
corrected for the number of places with the Benjamini–Hochberg false discovery rate.

**Trends.** Weekly hearings per theme (zeros filled) and a least-squares slope with its p-value.

**Two ways in.** Given a :class:`ListeningData`, every function works on the rows (the reference
implementation). Given a vault, :func:`shared_causes`, :func:`hotspots`, :func:`place_week_counts`
and :func:`theme_trends` read the small aggregate tables the grievance projection keeps up to date
as events arrive (``listening_agg_*``: counts per theme x group value, per place x theme, per
place/theme x day), never every grievance; the results are identical (tests compare both paths).
They fall back to :func:`load_data` only where the aggregates cannot answer exactly, said at each
fallback: grievances without a place or a regular ISO day (only reachable through redacted or
hand-made events) for the place/day views, and a time-zone-aware ``until``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
import numpy as np
import pandas as pd

from halqa.errors import InvalidInput
from halqa.listening.events import PLACE_KEYS
from halqa.listening.read import (
    agg_day_range,
    agg_group_cells,
    agg_group_keys,
    agg_place_days,
    agg_place_window,
    agg_places,
    agg_theme_days,
    agg_themes,
    agg_totals,
    borders,
    grievance_group_rows,
    grievance_rows,
    grievance_theme_rows,
)
from halqa.places import area_cells
from halqa.vault import Vault
from halqa.vault.values import today_date

__all__ = ["GroupShare", "HotspotPlace", "Hotspots", "ListeningData", "SharedCauses", "SharedTheme", "ThemeTrend",
           "hotspots", "load_data", "place_week_counts", "shared_causes", "shared_causes_frame", "theme_trends"]


class GroupShare(msgspec.Struct, kw_only=True, frozen=True):
    """How many of a group's themed grievances raise a theme: the share and its Jeffreys interval."""

    prevalence: float
    low: float
    high: float
    n: int


class SharedTheme(msgspec.Struct, kw_only=True, frozen=True):
    """One theme in :func:`shared_causes`: its shared score, its share in each judged group
    (``"key=value"``), overall, and the group where it is weakest."""

    theme: str
    score: float
    groups: dict[str, GroupShare]
    overall: float
    weakest: str | None


class SharedCauses(msgspec.Struct, kw_only=True, frozen=True):
    """Themes by how surely they recur in every group (best first), the groups too small to
    judge, and the question asked (``by``, ``level``, ``min_n``; ``records``: themed grievances)."""

    themes: list[SharedTheme]
    too_few: list[str]
    by: list[str]
    level: float
    min_n: int
    records: int


class HotspotPlace(msgspec.Struct, kw_only=True, frozen=True):
    """One place in :func:`hotspots`: hearings and grievances in the window, Gi* ``z``, its
    p-value and FDR-corrected ``q``, whether it is a hot or cold spot, and its neighbours."""

    place: str
    hearings: int
    grievances: int
    z: float
    p: float
    q: float
    hot: bool
    cold: bool
    neighbours: list[str]


class Hotspots(msgspec.Struct, kw_only=True, frozen=True):
    """Where complaints cluster: the ``window`` (``{"from", "until"}``, ISO days), places by z
    (hottest first), the hot, cold and isolated ones, and the method and false discovery rate."""

    window: dict[str, str]
    theme: str | None
    places: list[HotspotPlace]
    hot: list[str]
    cold: list[str]
    isolated: list[str]
    method: str
    alpha: float


class ThemeTrend(msgspec.Struct, kw_only=True, frozen=True):
    """Weekly hearings of one theme (oldest week first, from Monday ``weeks_from``) and their
    least-squares trend: ``slope`` (hearings/week), ``relative`` (slope/mean), its p-value."""

    theme: str
    weekly: list[int]
    slope: float
    relative: float
    p: float
    direction: str  # "rising", "falling" or "flat"
    weeks_from: str


@dataclass
class ListeningData:
    """Grievances in columnar form.

    ``grievances``: one row per grievance (positional index 0..n-1) with columns ``id``,
    ``place``, ``day`` (``datetime64[D]``-like), ``count`` (int), ``tone``, and one column per
    speaker-group key (``group.sect``, ``group.sector``…; missing values are ``None``/NaN).
    ``themes``: one row per (grievance, theme) with columns ``row`` (position in ``grievances``)
    and ``theme``.
    """

    grievances: pd.DataFrame
    themes: pd.DataFrame
    areas: pd.DataFrame | None = None  # code, h3 (known areas; may have no grievances)
    borders: list[tuple[str, str]] | None = None


def load_data(vault: Vault) -> ListeningData:
    """Read every grievance from the vault into :class:`ListeningData`."""
    g = pd.DataFrame(grievance_rows(vault), columns=["id", "place", "day", "count", "tone", "lang"])
    g["day"] = pd.to_datetime(g["day"]) if len(g) else pd.Series([], dtype="datetime64[ns]")
    g["count"] = g["count"].fillna(1).astype("int64")
    index = pd.Index(g["id"])
    t = pd.DataFrame(grievance_theme_rows(vault), columns=["gid", "theme"])
    t["row"] = index.get_indexer(t["gid"])
    t = t[t["row"] >= 0][["row", "theme"]].reset_index(drop=True)
    grp = grievance_group_rows(vault)
    if grp:
        gf = pd.DataFrame(grp, columns=["gid", "key", "value"])
        wide = gf.pivot(index="gid", columns="key", values="value")
        for key in wide.columns:
            g[f"group.{key}"] = wide[key].reindex(g["id"]).to_numpy()
    return ListeningData(g, t, _areas(vault), borders(vault))


def _data(source: Vault | ListeningData) -> ListeningData:
    return source if isinstance(source, ListeningData) else load_data(source)


def _areas(vault: Vault) -> pd.DataFrame:
    return pd.DataFrame(list(area_cells(vault).items()), columns=["code", "h3"])


def _can_aggregate(vault: Vault) -> bool:
    """Whether the place/day aggregates hold every grievance (see the module docstring)."""
    return agg_totals(vault)[2] == 0


def _group_column(data: ListeningData, key: str) -> np.ndarray | None:
    if key in PLACE_KEYS:
        return data.grievances["place"].to_numpy(dtype=object)
    col = f"group.{key}"
    if col not in data.grievances.columns:
        return None
    return data.grievances[col].to_numpy(dtype=object)


def _theme_codes(data: ListeningData) -> tuple[np.ndarray, np.ndarray, list[str]]:
    codes, names = pd.factorize(data.themes["theme"], sort=True)
    return data.themes["row"].to_numpy(dtype=np.int64), codes.astype(np.int64), [str(x) for x in names]


def shared_causes(source: Vault | ListeningData, by: list[str] | tuple[str, ...] = ("district",), min_n: int = 10,
                  level: float = 0.95) -> SharedCauses:
    """Rank themes by how surely they recur in every group of every key in ``by`` (best first)."""
    from scipy.stats import beta

    keys = [k.strip().lower() for k in by if k.strip()]
    if not keys:
        raise InvalidInput("listening.shared_needs_key")
    if not 0.5 <= level < 1:
        raise InvalidInput("listening.bad_level", level=level)
    if isinstance(source, ListeningData):
        names, group_labels, n_list, k_list, n_themed, k_total = _shared_counts_rows(source, keys)
    else:
        names, group_labels, n_list, k_list, n_themed, k_total = _shared_counts_agg(source, keys)
    n_themes = len(names)
    n_all = np.concatenate(n_list) if n_list else np.zeros(0, dtype=np.int64)
    k_all = np.vstack(k_list) if k_list else np.zeros((0, n_themes), dtype=np.int64)
    judged = n_all >= min_n
    too_few = [lab for lab, j in zip(group_labels, judged, strict=True) if not j]
    nj, kj = n_all[judged][:, None].astype(float), k_all[judged].astype(float)
    labels_j = [lab for lab, j in zip(group_labels, judged, strict=True) if j]
    m = max(len(labels_j), 1)
    a, b = kj + 0.5, nj - kj + 0.5
    tail = (1 - level) / 2
    low = np.where(kj > 0, beta.ppf(tail, a, b), 0.0) if len(labels_j) else np.zeros((0, n_themes))
    high = np.where(kj < nj, beta.ppf(1 - tail, a, b), 1.0) if len(labels_j) else np.zeros((0, n_themes))
    joint_low = np.where(kj > 0, beta.ppf((1 - level) / m, a, b), 0.0) if len(labels_j) else np.zeros((0, n_themes))
    prev = kj / np.maximum(nj, 1)
    out = []
    for t in range(n_themes):
        if len(labels_j):
            weakest = int(np.argmin(joint_low[:, t]))
            score = float(joint_low[weakest, t])
        else:
            weakest, score = -1, 0.0
        out.append(SharedTheme(
            theme=names[t],
            score=round(score, 4),
            groups={lab: GroupShare(prevalence=round(float(prev[i, t]), 4), low=round(float(low[i, t]), 4),
                                    high=round(float(high[i, t]), 4), n=int(nj[i, 0])) for i, lab in enumerate(labels_j)},
            overall=round(float(k_total[t]) / max(n_themed, 1), 4),
            weakest=labels_j[weakest] if weakest >= 0 else None,
        ))
    out.sort(key=lambda x: (-x.score, -x.overall, x.theme))
    return SharedCauses(themes=out, too_few=too_few, by=keys, level=level, min_n=min_n, records=n_themed)


def _shared_counts_rows(data: ListeningData, keys: list[str]) -> tuple[Any, ...]:
    """Counts for :func:`shared_causes` from the rows: theme names, group labels, per-key group
    sizes ``n`` and (group x theme) counts ``k``, themed records, records per theme."""
    rows, tcode, names = _theme_codes(data)
    n_rec = len(data.grievances)
    themed = np.zeros(n_rec, dtype=bool)
    themed[rows] = True
    n_themes = len(names)
    group_labels: list[str] = []
    n_list: list[np.ndarray] = []
    k_list: list[np.ndarray] = []
    for key in keys:
        values = _group_column(data, key)
        if values is None:
            raise InvalidInput("listening.unknown_group_key", key=key, keys=", ".join(["district", *sorted(
                c[6:] for c in data.grievances.columns if c.startswith("group."))]))
        codes, uniq = pd.factorize(pd.Series(values, dtype=object), sort=True)
        codes = np.where(themed, codes, -1)
        n_groups = len(uniq)
        n_g = np.bincount(codes[codes >= 0], minlength=n_groups)
        gc = codes[rows]
        ok = gc >= 0
        k_g = np.bincount(gc[ok] * n_themes + tcode[ok], minlength=n_groups * n_themes).reshape(n_groups, n_themes)
        group_labels += [f"{key}={v}" for v in uniq]
        n_list.append(n_g)
        k_list.append(k_g)
    return names, group_labels, n_list, k_list, int(themed.sum()), np.bincount(tcode, minlength=n_themes)


def _shared_counts_agg(vault: Vault, keys: list[str]) -> tuple[Any, ...]:
    """The same counts as :func:`_shared_counts_rows`, read from the aggregate tables.

    Groups are every value seen on any grievance (themed or not: such a group has ``n = 0``, as
    in the row path); ``n`` counts themed grievances, ``k`` grievances per theme.
    """
    theme_rows = agg_themes(vault)
    names = [t for t, _ in theme_rows]
    tpos = {t: i for i, t in enumerate(names)}
    k_total = np.array([n for _, n in theme_rows], dtype=np.int64)
    present: list[str] | None = None
    group_labels: list[str] = []
    n_list: list[np.ndarray] = []
    k_list: list[np.ndarray] = []
    for key in keys:
        if key not in PLACE_KEYS:
            if present is None:
                present = agg_group_keys(vault)
            if key not in present:
                raise InvalidInput("listening.unknown_group_key", key=key, keys=", ".join(["district", *present]))
        sizes, cells = agg_group_cells(vault, key, by_place=key in PLACE_KEYS)
        uniq = sorted(str(r[0]) for r in sizes)
        gpos = {v: i for i, v in enumerate(uniq)}
        n_g = np.zeros(len(uniq), dtype=np.int64)
        for value, themed in sizes:
            n_g[gpos[value]] = themed
        k_g = np.zeros((len(uniq), len(names)), dtype=np.int64)
        for value, theme, n in cells:
            k_g[gpos[value], tpos[theme]] = n
        group_labels += [f"{key}={v}" for v in uniq]
        n_list.append(n_g)
        k_list.append(k_g)
    return names, group_labels, n_list, k_list, agg_totals(vault)[1], k_total


def shared_causes_frame(result: SharedCauses) -> pd.DataFrame:
    """The result of :func:`shared_causes` as a long frame: theme, score, group, prevalence, low, high, n."""
    rows = [{"theme": t.theme, "score": t.score, "group": g, **msgspec.structs.asdict(v)}
            for t in result.themes for g, v in t.groups.items()]
    return pd.DataFrame(rows, columns=["theme", "score", "group", "prevalence", "low", "high", "n"])


# ---------------------------------------------------------------------------- weeks and places
def _weeks(days: pd.Series) -> np.ndarray:
    """Monday of each day's ISO week, as ``datetime64[D]``."""
    d = days.to_numpy(dtype="datetime64[D]")
    # 1970-01-01 was a Thursday: weekday (Mon=0) = (days + 3) % 7
    return d - ((d.astype(np.int64) + 3) % 7).astype("timedelta64[D]")


def _theme_mask(data: ListeningData, theme: str | None) -> np.ndarray:
    if theme is None:
        return np.ones(len(data.grievances), dtype=bool)
    mask = np.zeros(len(data.grievances), dtype=bool)
    mask[data.themes["row"].to_numpy()[data.themes["theme"].to_numpy() == theme]] = True
    return mask


def place_week_counts(source: Vault | ListeningData, theme: str | None = None) -> pd.DataFrame:
    """Grievances and hearings (sum of ``count``) per place and week (Monday), optionally for one theme."""
    if not isinstance(source, ListeningData):
        if _can_aggregate(source):
            frame = pd.DataFrame(agg_place_days(source, theme), columns=["place", "day", "n", "hearings"])
            frame = pd.DataFrame({"place": frame["place"].to_numpy(dtype=object),
                                  "week": _weeks(pd.to_datetime(frame["day"])) if len(frame) else np.zeros(0, "datetime64[ns]"),
                                  "n": frame["n"].to_numpy(dtype=np.int64), "hearings": frame["hearings"].to_numpy(dtype=np.int64)})
            out = frame.groupby(["place", "week"], sort=True).agg(grievances=("n", "sum"), hearings=("hearings", "sum"))
            return _place_week_frame(out)
        # Grievances without a place or a regular day are not in the place/day aggregates: read the rows.
        source = load_data(source)
    data = source
    g = data.grievances
    mask = _theme_mask(data, theme)
    frame = pd.DataFrame({"place": g["place"].to_numpy()[mask], "week": _weeks(g["day"])[mask],
                          "count": g["count"].to_numpy()[mask]})
    out = frame.groupby(["place", "week"], sort=True).agg(grievances=("count", "size"), hearings=("count", "sum"))
    return _place_week_frame(out)


def _place_week_frame(out: pd.DataFrame) -> pd.DataFrame:
    out = out.reset_index()
    out["week"] = out["week"].dt.date.astype(str) if len(out) else out["week"].astype(str)
    return out


def _neighbours(places: list[str], data: ListeningData, ring: int) -> list[set[int]]:
    """Neighbour sets (self excluded) by declared borders, touching area H3 cells, or H3 rings."""
    import h3

    pos = {p: i for i, p in enumerate(places)}
    nb: list[set[int]] = [set() for _ in places]
    for a, b in data.borders or []:
        if a in pos and b in pos:
            nb[pos[a]].add(pos[b])
            nb[pos[b]].add(pos[a])
    cell_of: dict[str, str] = {}
    if data.areas is not None:
        cell_of = {c: h for c, h in zip(data.areas["code"], data.areas["h3"], strict=True) if isinstance(h, str) and h}
    for p in places:
        if len(p) == 15 and h3.is_valid_cell(p):
            cell_of[p] = p
    by_cell: dict[str, list[int]] = {}
    for p, c in cell_of.items():
        if p in pos:
            by_cell.setdefault(c, []).append(pos[p])
    for c, members in by_cell.items():
        for other in h3.grid_disk(c, ring):
            for j in by_cell.get(other, ()):
                for i in members:
                    if i != j:
                        nb[i].add(j)
    return nb


def _gi_star(x: np.ndarray, nb: list[set[int]]) -> np.ndarray:
    """Getis–Ord Gi* z-scores with binary weights, self included (Getis & Ord 1995)."""
    n = len(x)
    if n < 3:
        return np.zeros(n)
    mean = x.mean()
    s = np.sqrt(max((x * x).mean() - mean * mean, 0.0))
    if s == 0:
        return np.zeros(n)
    z = np.zeros(n)
    for i in range(n):
        members = [i, *nb[i]]
        w = len(members)
        denom = s * np.sqrt((n * w - w * w) / (n - 1))
        z[i] = (x[members].sum() - mean * w) / denom if denom > 0 else 0.0
    return z


def hotspots(source: Vault | ListeningData, theme: str | None = None, weeks: int | None = 8,
             until: str | None = None, alpha: float = 0.05, ring: int = 1) -> Hotspots:
    """Where complaints cluster: Gi* per place over the last ``weeks`` weeks (all time if ``None``)."""
    if not isinstance(source, ListeningData):
        counted = _hotspot_counts_agg(source, theme, weeks, until)
        if counted is not None:
            return _hotspots_result(*counted, ring=ring, theme=theme, alpha=alpha)
        # Not answerable from the aggregates (see _hotspot_counts_agg): read the rows.
        source = load_data(source)
    data = source
    g = data.grievances
    mask = _theme_mask(data, theme)
    end = pd.Timestamp(until) if until else (g["day"].max() if len(g) else pd.Timestamp(today_date()))
    start = end - pd.Timedelta(days=7 * weeks - 1) if weeks else (g["day"].min() if len(g) else end)
    in_window = mask & (g["day"] >= start).to_numpy() & (g["day"] <= end).to_numpy()
    known = list(data.areas["code"]) if data.areas is not None else []
    places = sorted(set(g["place"].dropna().unique()) | set(known))
    pos = {p: i for i, p in enumerate(places)}
    idx = np.array([pos[p] for p in g["place"].to_numpy()[in_window]], dtype=np.int64) if in_window.any() else np.zeros(0, int)
    hearings = np.bincount(idx, weights=g["count"].to_numpy()[in_window], minlength=len(places))
    counts = np.bincount(idx, minlength=len(places))
    return _hotspots_result(data, places, hearings, counts, start, end, ring=ring, theme=theme, alpha=alpha)


def _hotspot_counts_agg(vault: Vault, theme: str | None, weeks: int | None, until: str | None) -> tuple[Any, ...] | None:
    """Hearings and grievances per place in the window, from the place/day aggregates; ``None``
    when they cannot answer exactly (irregular grievances, or a time-zone-aware ``until`` that the
    row path compares with naive days)."""
    if not _can_aggregate(vault):
        return None
    n = agg_totals(vault)[0]
    first, last = agg_day_range(vault)
    if until:
        end = pd.Timestamp(until)
        if end.tz is not None:
            return None
    elif n:
        end = pd.Timestamp(last)
    else:
        end = pd.Timestamp(today_date())
    if weeks:
        start = end - pd.Timedelta(days=7 * weeks - 1)
    else:
        start = pd.Timestamp(first) if n else end
    # Days are midnight timestamps in the row path: day >= start <=> day >= start rounded up to a day.
    lo, hi = start.ceil("D").date().isoformat(), end.floor("D").date().isoformat()
    cells = agg_place_window(vault, theme, lo, hi)
    areas = _areas(vault)
    places = sorted(set(agg_places(vault)) | set(areas["code"]))
    pos = {p: i for i, p in enumerate(places)}
    hearings = np.zeros(len(places), dtype=float)
    counts = np.zeros(len(places), dtype=np.int64)
    for place, k, h in cells:
        hearings[pos[place]] = float(h)
        counts[pos[place]] = int(k)
    data = ListeningData(pd.DataFrame(), pd.DataFrame(), areas, borders(vault))
    return data, places, hearings, counts, start, end


def _hotspots_result(data: ListeningData, places: list[str], hearings: np.ndarray, counts: np.ndarray, start: Any,
                     end: Any, *, ring: int, theme: str | None, alpha: float) -> Hotspots:
    from scipy.stats import false_discovery_control, norm

    nb = _neighbours(places, data, ring)
    z = _gi_star(hearings.astype(float), nb)
    p = 2 * norm.sf(np.abs(z))
    q = false_discovery_control(p, method="bh") if len(p) else p
    rows: list[HotspotPlace] = []
    for i, place in enumerate(places):
        hot, cold = bool(q[i] < alpha and z[i] > 0), bool(q[i] < alpha and z[i] < 0)
        rows.append(HotspotPlace(place=place, hearings=int(hearings[i]), grievances=int(counts[i]), z=round(float(z[i]), 3),
                                 p=round(float(p[i]), 4), q=round(float(q[i]), 4), hot=hot, cold=cold,
                                 neighbours=sorted(places[j] for j in nb[i])))
    rows.sort(key=lambda r: (-r.z, r.place))
    return Hotspots(window={"from": str(pd.Timestamp(start).date()), "until": str(pd.Timestamp(end).date())},
                    theme=theme, places=rows, hot=[r.place for r in rows if r.hot], cold=[r.place for r in rows if r.cold],
                    isolated=[r.place for r in rows if not r.neighbours],
                    method="Getis-Ord Gi* (binary weights, self included), Benjamini-Hochberg FDR", alpha=alpha)


def theme_trends(source: Vault | ListeningData, weeks: int = 12, until: str | None = None) -> list[ThemeTrend]:
    """Per theme: weekly hearings over the last ``weeks`` weeks and a least-squares trend, sorted
    by relative slope, steepest rise first."""

    if weeks < 3:
        raise InvalidInput("listening.trend_weeks", weeks=weeks)
    if not isinstance(source, ListeningData):
        if _can_aggregate(source):
            return _trends_agg(source, weeks, until)
        # Grievances without a regular day are not in the day aggregates: read the rows.
        source = load_data(source)
    data = source
    g = data.grievances
    if not len(g):
        return []
    rows, tcode, names = _theme_codes(data)
    week = _weeks(g["day"])
    last = np.datetime64(pd.Timestamp(until).date(), "D") if until else week.max()
    last = last - ((last.astype(np.int64) + 3) % 7).astype("timedelta64[D]")
    offset = ((last - week[rows]).astype(np.int64) // 7)
    ok = (offset >= 0) & (offset < weeks)
    w_idx = (weeks - 1 - offset[ok]).astype(np.int64)
    counts = g["count"].to_numpy()[rows[ok]]
    table = np.bincount(tcode[ok] * weeks + w_idx, weights=counts, minlength=len(names) * weeks).reshape(len(names), weeks)
    return _trends_result(table, names, weeks, last)


def _trends_agg(vault: Vault, weeks: int, until: str | None) -> list[ThemeTrend]:
    """:func:`theme_trends` from the per theme x day aggregate (only the days in the window)."""
    if not agg_totals(vault)[0]:
        return []
    names = [t for t, _ in agg_themes(vault)]
    tpos = {t: i for i, t in enumerate(names)}
    if until:
        last = np.datetime64(pd.Timestamp(until).date(), "D")
    else:
        last = np.datetime64(agg_day_range(vault)[1], "D")
    last = last - ((last.astype(np.int64) + 3) % 7).astype("timedelta64[D]")
    first = last - np.timedelta64(7 * (weeks - 1), "D")
    cells = agg_theme_days(vault, str(first), str(last + np.timedelta64(6, "D")))
    table = np.zeros((len(names), weeks))
    if cells:
        tcode = np.array([tpos[r[0]] for r in cells], dtype=np.int64)
        day = np.array([r[1] for r in cells], dtype="datetime64[D]")
        week = day - ((day.astype(np.int64) + 3) % 7).astype("timedelta64[D]")
        offset = ((last - week).astype(np.int64) // 7)
        ok = (offset >= 0) & (offset < weeks)
        w_idx = (weeks - 1 - offset[ok]).astype(np.int64)
        hearings = np.array([r[2] for r in cells], dtype=np.int64)[ok]
        table += np.bincount(tcode[ok] * weeks + w_idx, weights=hearings, minlength=len(names) * weeks).reshape(len(names), weeks)
    return _trends_result(table, names, weeks, last)


def _trends_result(table: np.ndarray, names: list[str], weeks: int, last: Any) -> list[ThemeTrend]:
    from scipy.stats import linregress

    x = np.arange(weeks, dtype=float)
    first = str(last - np.timedelta64(7 * (weeks - 1), "D"))
    out: list[ThemeTrend] = []
    for t, name in enumerate(names):
        y = table[t]
        if y.sum() == 0:
            continue
        fit = linregress(x, y) if y.std() > 0 else None
        slope = float(fit.slope) if fit else 0.0
        pval = float(fit.pvalue) if fit else 1.0
        mean = float(y.mean())
        direction = "flat" if pval >= 0.05 else ("rising" if slope > 0 else "falling")
        out.append(ThemeTrend(theme=name, weekly=[int(v) for v in y], slope=round(slope, 3),
                              relative=round(slope / mean, 3) if mean else 0.0, p=round(pval, 4), direction=direction,
                              weeks_from=first))
    out.sort(key=lambda r: (-r.relative, r.theme))
    return out
