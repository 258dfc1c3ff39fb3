"""RFM per customer with Python polars: the reference the benchmark compares `clm rfm` with.

Does what `clm rfm FILE` does by default on a file without an order column (docs/rfm.md):
- measures at the as-of date A = the last transaction date: recency = days from the last
  purchase to A, frequency = distinct purchase days, monetary = net total of all rows (returns,
  the negative amounts, netted); a day with only returns is not a purchase day, and customers
  with only returns are left out;
- quantile scores 1-5: a run of equal values scores floor(first_rank x 5 / n) + 1 (first_rank
  counted from 0), the highest value 5; recency scored most recent highest;
- the `rfm` code and the segment of the default table (docs/rfm.md, "The default table");
- the CSV of clm's columns, customers sorted by id, monetary with 2 decimals.
Usage: python3 scripts/rfm_polars.py FILE.csv|FILE.parquet OUT.csv
"""
import sys

import polars as pl

BINS = 5
# (segment, R, F, M) as inclusive ranges, first match wins (the table partitions the cells).
SEGMENTS = [
    ("Champions", (4, 5), (4, 5), (4, 5)),
    ("Loyal Customers", (4, 5), (4, 5), (1, 3)),
    ("Potential Loyalist", (4, 5), (2, 3), (1, 5)),
    ("New Customers", (4, 5), (1, 1), (1, 3)),
    ("Promising", (4, 5), (1, 1), (4, 5)),
    ("Need Attention", (3, 3), (2, 5), (1, 5)),
    ("About To Sleep", (2, 3), (1, 1), (1, 5)),
    ("At Risk", (1, 2), (2, 5), (1, 3)),
    ("Can't Lose Them", (1, 2), (2, 5), (4, 5)),
    ("Lost", (1, 1), (1, 1), (1, 5)),
]


def score(values: pl.Expr) -> pl.Expr:
    """clm's quantile score of each value (higher value, higher score)."""
    first_rank = values.rank("min").cast(pl.Int64) - 1
    quantile = (first_rank * BINS // pl.len()) + 1
    return pl.when(values == values.max()).then(BINS).otherwise(quantile).cast(pl.Int64)


def segment() -> pl.Expr:
    expr = pl.lit("Others")
    for name, r, f, m in reversed(SEGMENTS):
        inside = pl.col("r").is_between(*r) & pl.col("f").is_between(*f) & pl.col("m").is_between(*m)
        expr = pl.when(inside).then(pl.lit(name)).otherwise(expr)
    return expr


path, out = sys.argv[1], sys.argv[2]
if path.endswith(".parquet"):
    lf = pl.scan_parquet(path)
else:
    lf = pl.scan_csv(path, schema_overrides={"customer_id": pl.String, "date": pl.String})
lf = lf.select(
    pl.col("customer_id").cast(pl.String),
    pl.col("date").cast(pl.String).str.to_date("%Y-%m-%d"),
    pl.col("amount").cast(pl.Float64),
)
as_of = pl.col("date").max()
purchase_date = pl.when(pl.col("amount") >= 0).then(pl.col("date"))
rfm = (
    lf.with_columns(as_of.alias("as_of"))
    .group_by("customer_id")
    .agg(
        (pl.col("as_of").first() - purchase_date.max()).dt.total_days().alias("recency_days"),
        purchase_date.drop_nulls().n_unique().alias("frequency"),
        pl.col("amount").sum().alias("monetary"),
    )
    .filter(pl.col("frequency") > 0)
    .with_columns(
        score(-pl.col("recency_days")).alias("r"),
        score(pl.col("frequency")).alias("f"),
        score(pl.col("monetary")).alias("m"),
    )
    .with_columns(
        pl.concat_str(pl.col("r"), pl.col("f"), pl.col("m")).alias("rfm"),
        segment().alias("segment"),
    )
    .sort("customer_id")
    .collect()
)
rfm.write_csv(out, float_precision=2)
