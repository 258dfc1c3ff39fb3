"""Checks `clm cohorts` against an independent pandas computation, cell by cell.

A log is simulated with `clm simulate`, then returns are planted (netted returns, a customer with
only returns, a return before a customer's first purchase). For each period (week, month,
quarter) the script runs `clm cohorts` with an as-of date inside a period, so that partial and
unobserved cells exist, and compares:
  - the long rows (-o cells.csv): every cell's status and all five metrics;
  - the wide matrix of every metric (--summary -o), including the empty censored cells and the
    "all" row averaged over the cohorts that observed each column.
The reference uses pandas' own calendar periods (Period ordinals), not clm's arithmetic.

Usage: python3 scripts/check_cohorts.py [--clm target/debug/clm] [--customers 3000]
       [--as-of 2025-05-14] [--keep DIR]
Needs pandas (pip install pandas). Exits 1 on the first mismatch, after printing it.
"""
import argparse
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

FREQ = {"week": "W-SUN", "month": "M", "quarter": "Q"}
METRICS = {
    # metric flag: (long column, decimals printed)
    "active": ("customers_active", 0),
    "retention": ("retention_pct", 1),
    "revenue": ("revenue", 2),
    "revenue-retention": ("revenue_retention_pct", 1),
    "cumulative-revenue": ("cumulative_revenue_per_customer", 2),
}


def label(period: pd.Period, name: str) -> str:
    if name == "week":
        return period.start_time.strftime("%Y-%m-%d")
    if name == "quarter":
        return f"{period.year}-Q{period.quarter}"
    return period.strftime("%Y-%m")


def simulated_log(clm: str, customers: int, folder: Path) -> Path:
    raw = folder / "simulated.csv"
    subprocess.run(
        [clm, "-q", "simulate", "--customers", str(customers), "--seed", "11", "-o", str(raw)],
        check=True,
    )
    log = pd.read_csv(raw, dtype={"customer_id": str})
    rng = np.random.default_rng(5)
    # Returns of part of a purchase a few days later: they net against revenue, are not activity.
    picked = log.sample(frac=0.03, random_state=5)
    returns = picked.assign(
        date=(pd.to_datetime(picked["date"]) + pd.to_timedelta(rng.integers(0, 40, len(picked)), "D"))
        .dt.strftime("%Y-%m-%d"),
        amount=-(picked["amount"] * 0.5).round(2),
    )
    planted = pd.DataFrame(
        {
            "customer_id": ["ONLY-RETURNS", "EARLY-RETURN", "EARLY-RETURN"],
            "date": ["2024-03-10", "2024-02-03", "2024-04-20"],
            "amount": [-12.5, -3.0, 40.0],
        }
    )
    path = folder / "log.csv"
    pd.concat([log, returns, planted]).to_csv(path, index=False)
    return path


def reference(log: pd.DataFrame, name: str, as_of: pd.Timestamp):
    """Per-cell figures (long) and the "all" averages, computed independently."""
    freq = FREQ[name]
    rows = log[log["date"] <= as_of].copy()
    purchases = rows[rows["amount"] >= 0]
    first = purchases.groupby("customer_id")["date"].min().rename("first_purchase")
    rows = rows.join(first, on="customer_id", how="inner")
    rows = rows[rows["date"] >= rows["first_purchase"]]
    rows["period"] = rows["date"].dt.to_period(freq).array.asi8
    rows["cohort"] = rows["first_purchase"].dt.to_period(freq).array.asi8
    rows["k"] = rows["period"] - rows["cohort"]
    rows["purchase"] = rows["amount"] >= 0
    size = first.dt.to_period(freq).array.asi8
    size = pd.Series(size).value_counts().sort_index()
    as_of_ordinal = pd.Period(as_of, freq).ordinal
    cells = []
    for cohort, n in size.items():
        for k in range(0, as_of_ordinal - cohort + 1):
            cells.append((cohort, k, n))
    grid = pd.DataFrame(cells, columns=["cohort", "k", "cohort_size"])
    active = (
        rows[rows["purchase"]].groupby(["cohort", "k"])["customer_id"].nunique().rename("active")
    )
    revenue = rows.groupby(["cohort", "k"])["amount"].sum().rename("revenue")
    grid = grid.join(active, on=["cohort", "k"]).join(revenue, on=["cohort", "k"])
    grid[["active", "revenue"]] = grid[["active", "revenue"]].fillna(0.0)

    def status(row):
        period = pd.Period(ordinal=int(row.cohort + row.k), freq=freq)
        if period.end_time.normalize() <= as_of:
            return "observed"
        return "partial" if period.start_time <= as_of else "unobserved"

    grid["status"] = grid.apply(status, axis=1)
    grid["first_revenue"] = grid.groupby("cohort")["revenue"].transform("first")
    grid["cumulative"] = grid.groupby("cohort")["revenue"].cumsum()
    observed = grid["status"] == "observed"
    nan = float("nan")
    grid["customers_active"] = grid["active"].where(observed, nan)
    grid["retention_pct"] = (100 * grid["active"] / grid["cohort_size"]).where(observed, nan)
    grid["revenue_out"] = grid["revenue"].where(observed, nan)
    grid["revenue_retention_pct"] = (100 * grid["revenue"] / grid["first_revenue"]).where(
        observed & (grid["first_revenue"] > 0), nan
    )
    grid["cumulative_revenue_per_customer"] = (grid["cumulative"] / grid["cohort_size"]).where(
        observed, nan
    )
    seen = grid[observed].groupby("k")
    all_row = {
        "active": seen["active"].mean(),
        "retention": 100 * seen["active"].sum() / seen["cohort_size"].sum(),
        "revenue": seen["revenue"].mean(),
        "revenue-retention": 100 * seen["revenue"].sum() / seen["first_revenue"].sum(),
        "cumulative-revenue": seen["cumulative"].sum() / seen["cohort_size"].sum(),
    }
    grid["label"] = [label(pd.Period(ordinal=int(c), freq=freq), name) for c in grid["cohort"]]
    columns = as_of_ordinal - int(size.index.min()) + 1
    return grid.rename(columns={"revenue": "revenue_raw", "revenue_out": "revenue"}), all_row, columns


def same(ours: float, theirs: float, decimals: int) -> bool:
    if math.isnan(theirs):
        return math.isnan(ours)
    if math.isnan(ours):
        return False
    return abs(ours - theirs) <= 0.5 * 10 ** -decimals + 1e-6 * max(1.0, abs(theirs))


def fail(message: str):
    print(f"MISMATCH: {message}")
    sys.exit(1)


def check_period(clm: str, log_path: Path, log: pd.DataFrame, name: str, as_of: str, folder: Path):
    grid, all_row, columns = reference(log, name, pd.Timestamp(as_of))
    base = [clm, "-q", "cohorts", str(log_path), "--period", name, "--as-of", as_of]
    long_path = folder / f"cells_{name}.csv"
    subprocess.run(base + ["-o", str(long_path)], check=True)
    ours = pd.read_csv(long_path, dtype={"cohort": str})
    expected = grid[grid["status"] != "unobserved"]
    if len(ours) != len(expected):
        fail(f"{name}: {len(ours)} long rows, reference {len(expected)}")
    ours = ours.set_index(["cohort", "period_index"])
    compared = empty = 0
    for row in expected.itertuples():
        key = (row.label, row.k)
        if key not in ours.index:
            fail(f"{name}: cell {key} missing")
        cell = ours.loc[key]
        if cell["status"] != row.status or cell["cohort_size"] != row.cohort_size:
            fail(f"{name} {key}: status/size {cell['status']}/{cell['cohort_size']}, reference {row.status}/{row.cohort_size}")
        for column, decimals in METRICS.values():
            theirs = float(getattr(row, column))
            if not same(float(cell[column]), theirs, decimals):
                fail(f"{name} {key} {column}: clm {cell[column]}, reference {theirs}")
            compared += 1
            empty += math.isnan(theirs)
    wide_cells = wide_empty = 0
    for metric, (column, decimals) in METRICS.items():
        wide_path = folder / f"wide_{name}_{metric}.csv"
        subprocess.run(base + ["--metric", metric, "--summary", "-o", str(wide_path)], check=True)
        wide = pd.read_csv(wide_path, dtype={"cohort": str}).set_index("cohort")
        if list(wide.columns) != ["customers"] + [str(k) for k in range(columns)]:
            fail(f"{name} {metric}: wide columns {list(wide.columns)}")
        labels = list(dict.fromkeys(grid["label"]))
        if list(wide.index) != labels + ["all"]:
            fail(f"{name} {metric}: wide rows {list(wide.index)}")
        by_cell = grid.set_index(["label", "k"])[column]
        for cohort in labels:
            for k in range(columns):
                theirs = float(by_cell.get((cohort, k), float("nan")))
                if not same(float(wide.at[cohort, str(k)]), theirs, decimals):
                    fail(f"{name} {metric} wide ({cohort}, {k}): clm {wide.at[cohort, str(k)]}, reference {theirs}")
                wide_cells += 1
                wide_empty += math.isnan(theirs)
        for k in range(columns):
            theirs = float(all_row[metric].get(k, float("nan")))
            if not same(float(wide.at["all", str(k)]), theirs, decimals):
                fail(f"{name} {metric} all row, column {k}: clm {wide.at['all', str(k)]}, reference {theirs}")
            wide_cells += 1
            wide_empty += math.isnan(theirs)
    print(
        f"{name:8} as of {as_of}: {len(expected)} long rows ({(expected['status'] == 'partial').sum()} partial), "
        f"{compared} long figures ({empty} empty) and {wide_cells} wide cells ({wide_empty} empty) "
        f"over {len(labels)} cohorts x {columns} columns: all equal"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clm", default="target/debug/clm")
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--as-of", default="2025-05-14")
    parser.add_argument("--keep", help="folder to keep the files in")
    args = parser.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="check-cohorts-"))
    folder.mkdir(parents=True, exist_ok=True)
    log_path = simulated_log(args.clm, args.customers, folder)
    log = pd.read_csv(log_path, dtype={"customer_id": str}, parse_dates=["date"])
    for name in ["month", "week", "quarter"]:
        check_period(args.clm, log_path, log, name, args.as_of, folder)
    print("clm cohorts equals the pandas reference in every cell, empty censored cells included")


if __name__ == "__main__":
    main()
