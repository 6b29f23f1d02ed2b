"""Posters: time to draw each kind (PDF and PNG at 300 dpi) and a batch of 50+ posters, against a
baseline measured in the same run (one bare Vega-Lite bar chart through vl-convert at 300 dpi:
the floor cost of the renderer). Targets (issue 9): any poster < 3 s; 50 posters < 60 s.

    .venv/bin/python benchmarks/bench_publish.py
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

import vl_convert as vlc

import halqa.publish as publish
from halqa import domains
from halqa.vault import TEST_KDF


def _demo_vault(folder: Path):
    v = domains.create_vault(folder / "bench.halqa", "bench passphrase", TEST_KDF)
    rng = random.Random(2026)
    for mod in domains.load():
        if mod.__name__ != "halqa.publish" and hasattr(mod, "demo"):
            mod.demo(v, rng)
    return v


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    vault = _demo_vault(folder)
    spec = {"data": {"values": [{"a": f"حي {i}", "b": i} for i in range(6)]}, "mark": "bar", "width": 480, "height": 500,
            "encoding": {"x": {"field": "a", "type": "nominal"}, "y": {"field": "b", "type": "quantitative"}}}
    t = time.perf_counter()
    vlc.vegalite_to_png(spec, ppi=300)
    base_png = time.perf_counter() - t
    t = time.perf_counter()
    vlc.vegalite_to_pdf(spec)
    base_pdf = time.perf_counter() - t
    rows = [("baseline: bare bar chart", "-", f"{base_pdf:.2f}", f"{base_png:.2f}")]
    worst = 0.0
    for kind in [k.kind for k in publish.poster_kinds()]:
        area = None
        times = []
        for fmt in ("pdf", "png"):
            res = publish.render(vault, kind, folder / f"{kind}.{fmt}", area=area, style="print2")
            times.append(res.seconds)
        worst = max(worst, *times)
        rows.append((kind, "city", f"{times[0]:.2f}", f"{times[1]:.2f}"))
    print(f"{'poster':<28}{'area':<6}{'pdf s':>8}{'png s':>8}")
    for r in rows:
        print(f"{r[0]:<28}{r[1]:<6}{r[2]:>8}{r[3]:>8}")
    print(f"slowest poster: {worst:.2f} s (target < 3 s)")
    done = []
    t = time.perf_counter()
    res = publish.render_batch(vault, folder / "batch", formats=("pdf",), style="screen",
                               progress=lambda i, n, label: done.append(i))
    res += publish.render_batch(vault, folder / "batch1", kinds=["blackouts", "supply"], formats=("pdf",), style="print1",
                                progress=lambda i, n, label: done.append(i))
    batch = time.perf_counter() - t
    n = len({(r.kind, r.area, r.file.split("-")[-2]) for r in res if isinstance(r, publish.DrawnPoster)})
    print(f"batch: {n} posters (PDF, every district) in {batch:.1f} s, {batch / max(n, 1):.2f} s each "
          f"(target: 50 in < 60 s); baseline x{batch / max(n, 1) / base_pdf:.1f} per poster")
    vault.close()


if __name__ == "__main__":
    main()
