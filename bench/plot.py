"""Draws bench/results/cost-by-n.png from the benchmark's JSON results (one file per run).

Not part of the install or the tests: matplotlib is only needed to redraw the figure.
    python3 -m venv /tmp/plot && /tmp/plot/bin/pip install matplotlib
    /tmp/plot/bin/python bench/plot.py bench/results/2026-11-26-session2-n100-r3.json \
        bench/results/2026-11-26-session2-n1000-r3.json bench/results/2026-11-26-session3-n10000-r1-nopods.json
"""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(paths: list[str]) -> None:
    runs = sorted((json.loads(Path(p).read_text()) for p in paths), key=lambda r: r["endpoints"])
    labels = [f"N={r['endpoints']}\nR={r['regions']}" for r in runs]
    x = range(len(runs))
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))

    ax = axes[0]
    ax.bar([i - 0.2 for i in x], [r["limit_s"] for r in runs], width=0.4, label="limit (tight loop)")
    ax.bar([i + 0.2 for i in x], [r["converge_s"] for r in runs], width=0.4, label="monitors converge")
    for i, r in enumerate(runs):
        ax.annotate(f"{r['converge_over_limit']}×", (i + 0.2, r["converge_s"]), ha="center", va="bottom", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("seconds (log)")
    ax.set_title("Convergence vs the physical limit")
    ax.legend(fontsize=7)

    ax = axes[1]
    ax.bar(x, [r["change_ms"]["p99"] for r in runs], color="tab:orange", label="p99")
    ax.bar(x, [r["change_ms"]["p50"] for r in runs], color="tab:green", label="p50")
    ax.set_ylabel("ms")
    ax.set_title("Change latency (write request → object)")
    ax.legend(fontsize=7)

    ax = axes[2]
    ax.bar(x, [r["monitor_rss_mb"] for r in runs], color="tab:purple")
    ax.set_ylabel("MB")
    ax.set_title("Monitor peak RSS")

    for ax in axes:
        ax.set_xticks(list(x))
        ax.set_xticklabels(labels, fontsize=8)
    fig.tight_layout()
    out = Path(__file__).parent / "results" / "cost-by-n.png"
    fig.savefig(out, dpi=110)
    print(out)


if __name__ == "__main__":
    main(sys.argv[1:])
