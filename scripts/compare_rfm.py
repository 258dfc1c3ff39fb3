"""Checks that clm's per-customer RFM equals the polars reference script's on the same file.

Usage: python3 scripts/compare_rfm.py CLM_OUT.csv POLARS_OUT.csv
"""
import sys

import polars as pl

ours = pl.read_csv(sys.argv[1], schema_overrides={"customer_id": pl.String}).sort("customer_id")
ref = pl.read_csv(sys.argv[2], schema_overrides={"customer_id": pl.String}).sort("customer_id")
assert ours.height == ref.height, (ours.height, ref.height)
assert (ours["customer_id"] == ref["customer_id"]).all()
assert (ours["recency_days"] == ref["recency_days"]).all()
assert (ours["frequency"] == ref["frequency"]).all()
assert ((ours["monetary"] - ref["monetary"]).abs() < 0.006).all()
print(f"identical recency, frequency and monetary for {ours.height} customers")
