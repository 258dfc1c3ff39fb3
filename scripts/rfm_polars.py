"""RFM per customer with Python polars: the reference the benchmark compares `clm rfm` with.

Same definitions as clm: recency = days from the last purchase to the as-of date (default: the
last transaction date), frequency = distinct purchase days, monetary = total net amount.
Usage: python3 scripts/rfm_polars.py FILE.csv|FILE.parquet OUT.csv
"""
import sys

import polars as pl

path, out = sys.argv[1], sys.argv[2]
lf = pl.scan_parquet(path) if path.endswith(".parquet") else pl.scan_csv(path, schema_overrides={"customer_id": pl.String, "date": pl.String})
lf = lf.select(pl.col("customer_id").cast(pl.String), pl.col("date").cast(pl.String).str.to_date("%Y-%m-%d"), pl.col("amount").cast(pl.Float64))
df = lf.collect()
as_of = df["date"].max()
rfm = (
    df.lazy()
    .group_by("customer_id")
    .agg(
        (pl.lit(as_of) - pl.col("date").max()).dt.total_days().alias("recency_days"),
        pl.col("date").n_unique().alias("frequency"),
        pl.col("amount").sum().alias("monetary"),
    )
    .sort("customer_id")
    .collect()
)
rfm.write_csv(out)
