"""RFM per customer with pandas (same definitions as scripts/rfm_polars.py).

Usage: python3 scripts/rfm_pandas.py FILE.csv|FILE.parquet OUT.csv
"""
import sys

import pandas as pd

path, out = sys.argv[1], sys.argv[2]
if path.endswith(".parquet"):
    df = pd.read_parquet(path, columns=["customer_id", "date", "amount"])
else:
    df = pd.read_csv(path, usecols=["customer_id", "date", "amount"], dtype={"customer_id": str, "date": str})
df["date"] = pd.to_datetime(df["date"], format="%Y-%m-%d")
as_of = df["date"].max()
g = df.groupby("customer_id")
rfm = pd.DataFrame(
    {
        "recency_days": (as_of - g["date"].max()).dt.days,
        "frequency": g["date"].nunique(),
        "monetary": g["amount"].sum(),
    }
).sort_index()
rfm.to_csv(out)
