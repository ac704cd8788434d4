#!/usr/bin/env python3
"""Regenerates the README's table of benchmark figures.

Runs the release binary's benchmarks with --json (each repeats its measurement and its
baselines --runs times in one invocation and reports medians and spreads), then writes one
row per figure between the README's `<!-- bench-table:begin -->` and `<!-- bench-table:end -->`
lines: the figure's median and its spread, the baseline it is compared with (measured in the
same invocation), the ratio's median and spread, the goal, and whether the median meets it.

    python3 bench/table.py [--runs 5] [--binary target/release/plexus] [--print] [--save-json DIR]

Without --binary it builds the release binary first (cargo build --release). With --print it
prints the table instead of writing the README. With --save-json each benchmark's whole report
is also written to DIR.
"""

import argparse
import json
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
BEGIN = "<!-- bench-table:begin -->"
END = "<!-- bench-table:end -->"


def spread(report, key):
    """(median, min, max) of a figure: its `<key>_spread` object, else the bare median."""
    s = report.get(key + "_spread")
    if isinstance(s, dict):
        return s["median"], s["min"], s["max"]
    v = report[key]
    return v, v, v


# Each row: the benchmark's arguments, then the figure, its baseline and the ratio that the
# goal is stated for, by their keys in the benchmark's JSON report.
ROWS = [
    {
        "name": "ingest: heartbeats accepted over HTTP",
        "args": ["ingest"],
        "figure": ("heartbeats_per_sec", "/s", 0),
        "baseline": ("baseline_batch_verify_per_sec_one_core", "batch verification, 1 core"),
        "ratio": "ratio",
        "goal": 1.0,
    },
    {
        "name": "ingest (vs all cores)",
        "same_as": "ingest",
        "figure": ("heartbeats_per_sec", "/s", 0),
        "baseline": ("baseline_batch_verify_per_sec_all_cores", "batch verification, all cores"),
        "ratio": "ratio_to_all_cores",
        "goal": None,
    },
    {
        "name": "rewards: 10^6 devices scored, manifest built",
        "args": ["rewards"],
        "figure": ("scoring_and_manifest_secs", " s", 2),
        "baseline": ("baseline_blake3_leaves_secs", "blake3 of the same leaves"),
        "ratio": "ratio_to_baseline",
        "goal": ("<=", "scoring_and_manifest_secs", 2.0, "≤ 2 s"),
    },
    {
        "name": "ledger: transfers executed and committed",
        "args": ["ledger"],
        "figure": ("transfers_per_sec", "/s", 0),
        "baseline": ("baseline_batch_verify_per_sec_all_cores", "batch verification, all cores"),
        "ratio": "ratio_to_all_cores",
        "goal": 0.8,
    },
    {
        "name": "storage put (disk)",
        "args": ["storage"],
        "figure": ("put_mib_per_sec", " MiB/s", 0),
        "baseline": ("copy_and_sync_mib_per_sec", "copy + fsync"),
        "ratio": "put_ratio_to_copy",
        "goal": 0.8,
    },
    {
        "name": "storage get (disk)",
        "same_as": "storage put (disk)",
        "figure": ("get_mib_per_sec", " MiB/s", 0),
        "baseline": ("copy_and_sync_mib_per_sec", "copy + fsync"),
        "ratio": "get_ratio_to_copy",
        "goal": 0.8,
    },
    {
        "name": "storage put (tmpfs)",
        "args": ["storage", "--dir", "/dev/shm"],
        "figure": ("put_mib_per_sec", " MiB/s", 0),
        "baseline": ("copy_and_sync_mib_per_sec", "copy + fsync"),
        "ratio": "put_ratio_to_copy",
        "goal": 0.8,
    },
    {
        "name": "storage get (tmpfs)",
        "same_as": "storage put (tmpfs)",
        "figure": ("get_mib_per_sec", " MiB/s", 0),
        "baseline": ("copy_and_sync_mib_per_sec", "copy + fsync"),
        "ratio": "get_ratio_to_copy",
        "goal": 0.8,
    },
]


def run_bench(binary, args, runs, save_dir):
    cmd = [binary, "--json", "bench", *args, "--runs", str(runs)]
    print("running:", " ".join(cmd[1:]), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
    if save_dir:
        os.makedirs(save_dir, exist_ok=True)
        name = "-".join(a.strip("-").replace("/", "_") for a in args) + ".json"
        with open(os.path.join(save_dir, name), "w") as f:
            f.write(out.stdout)
    return json.loads(out.stdout)


def fmt(v, decimals):
    return f"{v:,.{decimals}f}".replace(",", " ")


def row(spec, report):
    key, unit, dec = spec["figure"]
    med, lo, hi = spread(report, key)
    bkey, blabel = spec["baseline"]
    bmed, _, _ = spread(report, bkey)
    rmed, rlo, rhi = spread(report, spec["ratio"])
    goal = spec["goal"]
    if goal is None:
        goal_text, met = "(ceiling)", ""
    elif isinstance(goal, tuple):
        _, gkey, limit, goal_text = goal
        met = "yes" if spread(report, gkey)[0] <= limit else "**no**"
    else:
        goal_text = f"≥ {goal}×"
        met = "yes" if rmed >= goal else "**no**"
    bunit = unit if not isinstance(goal, tuple) else " s"
    return (
        f"| {spec['name']} | {fmt(med, dec)}{unit} ({fmt(lo, dec)}–{fmt(hi, dec)}) "
        f"| {blabel}: {fmt(bmed, dec if bunit == unit else 2)}{bunit} "
        f"| {rmed:.2f}× ({rlo:.2f}–{rhi:.2f}) | {goal_text} | {met} |"
    )


def table(binary, runs, save_dir=None):
    reports = {}
    lines = [
        f"Figures: median (min–max) of {runs} runs inside one invocation, each run next to its "
        f"own baseline; {os.cpu_count()} cores, {platform.machine()}. "
        "Regenerate with `python3 bench/table.py`.",
        "",
        "| benchmark | figure | baseline (median) | ratio | goal | met |",
        "|---|---|---|---|---|---|",
    ]
    for spec in ROWS:
        src = spec.get("same_as")
        if src:
            report = reports[src]
        else:
            report = run_bench(binary, spec["args"], runs, save_dir)
        reports[spec["name"].split(":")[0]] = report
        reports[spec["name"]] = report
        lines.append(row(spec, report))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--binary")
    ap.add_argument("--print", action="store_true")
    ap.add_argument("--save-json", metavar="DIR")
    a = ap.parse_args()
    binary = a.binary
    if binary is None:
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, "target", "release", "plexus")
    text = table(binary, a.runs, a.save_json)
    if a.print:
        print(text)
        return
    with open(README) as f:
        readme = f.read()
    if BEGIN not in readme or END not in readme:
        sys.exit(f"README.md has no {BEGIN} … {END} lines to write the table between")
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(README, "w") as f:
        f.write(f"{head}{BEGIN}\n{text}\n{END}{tail}")
    print("README.md's benchmark table written", file=sys.stderr)


if __name__ == "__main__":
    main()
