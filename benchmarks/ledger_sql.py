"""The ledger's indices in SQL (DuckDB): the tool a user would reach for, as a yardstick.

Computes, from the same arrays as :func:`halqa.ledger.analysis.compute` (households' outage
intervals, each household's area, customers per area) and by the same conventions (merged
intervals per household, momentary up to ``momentary_seconds``, durations clipped at the end of the
period, supply hours clipped to each day), per area: SAIFI, SAIDI, CAIDI, CAIFI, ASAI, MAIFI, CEMIn
and supply hours per day. Event detection is not part of it (halqa is timed without it when compared).
DuckDB is a benchmark-only dependency (``pip install -c constraints.txt -e '.[bench]'``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAY = 86_400

SQL = """
WITH iv AS (SELECT hh, s, greatest(e, s) AS e FROM intervals),
w AS (SELECT hh, s, e, max(e) OVER (PARTITION BY hh ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
      FROM iv),
g AS (SELECT hh, s, e, sum(CASE WHEN prev IS NULL OR s > prev THEN 1 ELSE 0 END)
                         OVER (PARTITION BY hh ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS grp FROM w),
m AS (SELECT g.hh, h.area, min(s) AS s, max(e) AS e FROM g JOIN households h ON h.hh = g.hh GROUP BY g.hh, h.area, grp),
inp AS (SELECT hh, area, s, e, (e - s) > $momentary AS sus, (least(e, $p1) - s) / 60.0 AS minutes
        FROM m WHERE s >= $p0 AND s < $p1),
per_hh AS (SELECT area, hh, count(*) AS n FROM inp WHERE sus GROUP BY area, hh),
by_area AS (SELECT area, count(*) FILTER (WHERE sus) AS ci, coalesce(sum(minutes) FILTER (WHERE sus), 0) AS cmi,
                   count(*) FILTER (WHERE NOT sus) AS mi FROM inp GROUP BY area),
hit AS (SELECT area, count(*) AS cn, count(*) FILTER (WHERE n > $cemi_n) AS cemi FROM per_hh GROUP BY area),
off AS (SELECT area, sum(least(e, $p1) - greatest(s, $p0)) AS secs FROM m WHERE e > $p0 AND s < $p1 AND e > s GROUP BY area)
SELECT a.area, a.nt, coalesce(b.ci, 0) AS ci, coalesce(b.cmi, 0) AS cmi, coalesce(b.mi, 0) AS mi,
       coalesce(h.cn, 0) AS cn, coalesce(h.cemi, 0) AS cemi, coalesce(o.secs, 0) AS off_secs
FROM areas a LEFT JOIN by_area b USING (area) LEFT JOIN hit h USING (area) LEFT JOIN off o USING (area)
ORDER BY a.area
"""


def indices(hh: np.ndarray, start: np.ndarray, end: np.ndarray, hh_area: np.ndarray, n_customers: np.ndarray,
            first_day: int, days: int, momentary: int = 300, cemi_n: int = 3, threads: int | None = None) -> dict:
    """Per-area arrays ``saifi, saidi, caidi, caifi, asai, maifi, cemi, supply`` (NaN where undefined)."""
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    intervals = pd.DataFrame({"hh": hh, "s": start, "e": end})  # noqa: F841 - scanned by name
    households = pd.DataFrame({"hh": np.arange(len(hh_area)), "area": hh_area})  # noqa: F841
    areas = pd.DataFrame({"area": np.arange(len(n_customers)), "nt": n_customers})  # noqa: F841
    p0, p1 = first_day * DAY, (first_day + days) * DAY
    r = con.execute(SQL, {"p0": p0, "p1": p1, "momentary": momentary, "cemi_n": cemi_n}).df()
    con.close()
    nt = r["nt"].to_numpy(dtype=float)
    ci, cmi, mi = (r[k].to_numpy(dtype=float) for k in ("ci", "cmi", "mi"))
    cn, cemi, off = (r[k].to_numpy(dtype=float) for k in ("cn", "cemi", "off_secs"))
    with np.errstate(invalid="ignore", divide="ignore"):
        saifi, saidi = ci / nt, cmi / nt
        return {"saifi": saifi, "saidi": saidi, "caidi": np.where(saifi > 0, saidi / saifi, np.nan),
                "caifi": np.where(cn > 0, ci / cn, np.nan), "asai": 1.0 - cmi / (nt * days * 1440.0),
                "maifi": mi / nt, "cemi": cemi / nt, "supply": 24.0 - off / 3600.0 / nt / days}
