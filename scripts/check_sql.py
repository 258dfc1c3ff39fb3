"""Runs the SQL of `clm sql` on real engines and checks its table against docs/summary.md.

For each case (the fixtures, a messy file of planted edge cases, a simulated log) and each
summary shape (one cut-off for rfm/clv/loyalty, three for churn):
  - DuckDB (the `duckdb` package) runs the generated SQL over the CSV loaded as text columns in
    a schema-qualified table; the result is compared column by column with an independent
    pandas implementation of docs/summary.md (integers and dates exactly, floats to 1e-9
    relative);
  - when the build has `clm summary`, its output is compared with the engine's the same way;
  - when the build has `--input-kind summary`, `clm rfm|clv|churn|loyalty` on the engine's
    table is compared with the same command on the raw transactions;
  - the BigQuery, Snowflake, Postgres and Spark SQL is parsed with `sqlglot` in its dialect;
  - the Postgres SQL is run on a throw-away local server when the Postgres binaries are on the
    machine (skipped with the reason otherwise), and compared like DuckDB's.
The Spark SQL is run by scripts/check_sql_spark.py (slow: a JVM).

Usage: python3 scripts/check_sql.py [--clm target/debug/clm] [--customers 20000]
       [--no-postgres] [--keep DIR]
Needs duckdb, sqlglot, pandas. Exits 1 after printing the first mismatch.
"""
import argparse
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = [
    "summary_version", "customer_id", "cutoff", "first_day", "last_day", "purchase_days",
    "orders", "rows", "return_rows", "revenue", "repeat_revenue", "revenue_last_quarter",
    "revenue_prior_quarter", "gap_square_sum",
]
INTEGERS = ["summary_version", "purchase_days", "orders", "rows", "return_rows"]
FLOATS = ["revenue", "repeat_revenue", "revenue_last_quarter", "revenue_prior_quarter",
          "gap_square_sum"]
DATES = ["cutoff", "first_day", "last_day"]
CHURN_HORIZON = 90


@dataclass
class Case:
    """A transaction file and how its columns are named."""
    name: str
    path: Path
    customer: str = "customer_id"
    date: str = "date"
    amount: str | None = "amount"
    quantity: str | None = None
    price: str | None = None
    order: str | None = None
    date_format: str | None = None  # strftime, for `clm sql --date-format`
    returns: str = "net"
    exclude_ids: list[str] = field(default_factory=list)
    as_of: str | None = None
    # Flags only the analyses on the raw file need (clm reads no empty id without it).
    raw_flags: list[str] = field(default_factory=list)
    # False for a file clm's loader cannot read (see messy_cases): engines and pandas only.
    clm_reads: bool = True

    def column_flags(self) -> list[str]:
        flags = ["--customer-col", self.customer, "--date-col", self.date]
        if self.quantity:
            flags += ["--quantity-col", self.quantity, "--price-col", self.price]
        else:
            flags += ["--amount-col", self.amount]
        if self.order:
            flags += ["--order-col", self.order]
        if self.date_format:
            flags += ["--date-format", self.date_format]
        return flags

    def policy_flags(self) -> list[str]:
        flags = ["--returns", self.returns]
        for ids in self.exclude_ids:
            flags += ["--exclude-ids", ids]
        if self.as_of:
            flags += ["--as-of", self.as_of]
        return flags


def fixture_cases() -> list[Case]:
    fixtures = ROOT / "fixtures"
    return [
        Case("online_retail_sample", fixtures / "online_retail_sample.csv",
             customer="CustomerID", date="InvoiceDate", amount=None, quantity="Quantity",
             price="UnitPrice", order="InvoiceNo"),
        Case("online_retail_sample (drop, --exclude-ids 0.0)",
             fixtures / "online_retail_sample.csv", customer="CustomerID", date="InvoiceDate",
             amount=None, quantity="Quantity", price="UnitPrice", order="InvoiceNo",
             returns="drop", exclude_ids=["0.0"]),
        Case("cdnow_sample", fixtures / "cdnow_sample.csv"),
        Case("rfm_data_orders", fixtures / "rfm_data_orders.csv", date="order_date",
             amount="revenue"),
        Case("transactions", fixtures / "transactions.csv", as_of="2024-09-30"),
    ]


def messy_cases(folder: Path) -> list[Case]:
    """Edge cases planted on purpose: quoted and spaced column names, padded ids, a quote in an
    id, returns by sign and by C-invoice, a customer with only returns, several rows a day, an
    order over two days, rows without an order id or a customer id, US dates with times."""
    rows = [
        # id, date, amount, invoice
        (" A ", "12/1/2010 8:26", "10.5", "1001"),
        ("A", "12/1/2010 9:00", "4.5", "1002"),
        ("A", "12/3/2010 10:00", "-2", ""),
        ("A", "1/15/2011 10:00", "20", "1003"),
        ("A", "1/16/2011 10:00", "5", "1003"),
        ("A", "3/2/2011 11:11", "7.25", ""),
        ("A", "3/2/2011 12:11", "1.75", ""),
        ("O'Brien", "12/2/2010 8:00", "30", "2001"),
        ("O'Brien", "12/20/2010 8:00", "12", "C2002"),
        ("O'Brien", "2/20/2011 8:00", "40", "2003"),
        ("B\\", "2/1/2011 8:00", "-9", "3001"),
        ("B\\", "2/2/2011 8:00", "3", "C3002"),
        ("  ", "2/2/2011 8:00", "3", "4001"),
        ("", "2/3/2011 8:00", "4", "4002"),
        ("guest", "1/1/2011 8:00", "99", "5001"),
        ("C", "11/30/2010 23:59", "15", "6001"),
        ("C", "3/31/2011 0:00", "25", "6002"),
        ("C", "4/1/2011 0:00", "35", "6003"),
    ]
    frame = pd.DataFrame(rows, columns=["Cust 'ID'", "when`day", "net amount", "Invoice No"])
    path = folder / "messy.csv"
    frame.to_csv(path, index=False)
    # A double quote in a header: clm's loader (polars) keeps the CSV-escaped `""` in the name,
    # so only the engines and pandas read this one.
    quoted = folder / "quoted_header.csv"
    frame.rename(columns={"Cust 'ID'": 'Cust "ID"'}).to_csv(quoted, index=False)
    float_rows = [
        ("17850.0", "2010-12-01", "10"), ("17850.0", "2010-12-05", "11"),
        (" 17851.0", "2010-12-02", "12"), ("0.0", "2010-12-02", "500"),
        ("0.0", "2010-12-03", "500"), ("17852.0 ", "2010-12-09", "-3"),
    ]
    floats = folder / "float_ids.csv"
    pd.DataFrame(float_rows, columns=["CustomerID", "Day", "Revenue"]).to_csv(floats, index=False)
    messy = dict(customer="Cust 'ID'", date="when`day", amount="net amount", order="Invoice No",
                 date_format="%m/%d/%Y", raw_flags=["--skip-missing-ids"])
    return [
        Case("messy (net)", path, exclude_ids=["guest"], **messy),
        Case("messy (keep, as-of)", path, returns="keep", as_of="2011-03-01", **messy),
        Case("messy (drop)", path, returns="drop", **messy),
        Case("quoted header", quoted, **{**messy, "customer": 'Cust "ID"'}, clm_reads=False),
        Case("float ids (--exclude-ids 0.0)", floats, customer="CustomerID", date="Day",
             amount="Revenue", exclude_ids=["0.0"]),
    ]


def simulated_case(clm: str, customers: int, folder: Path) -> Case:
    path = folder / f"simulated_{customers}.csv"
    subprocess.run([clm, "-q", "simulate", "--customers", str(customers), "--seed", "3",
                    "-o", str(path)], check=True)
    return Case(f"simulated log ({customers} customers)", path)


# ---------------------------------------------------------------------------------------------
# The reference: docs/summary.md in pandas, from the CSV as text.

def reference_rows(case: Case) -> pd.DataFrame:
    """The rows the summary counts, with the row rules of docs/input.md applied."""
    raw = pd.read_csv(case.path, dtype=str, keep_default_na=False)
    ids = raw[case.customer].str.strip()
    present = ids != ""
    float_ids = present.any() and ids[present].str.fullmatch(r"[0-9]+\.0").all()
    if float_ids:
        ids = ids.str.replace(r"\.0$", "", regex=True)
    excluded = [i.strip() for value in case.exclude_ids for i in value.split(",") if i.strip()]
    if float_ids:
        excluded = [i[:-2] if re.fullmatch(r"[0-9]+\.0", i) else i for i in excluded]
    if case.date_format:
        text = raw[case.date].str.strip().str.replace(
            r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d*)?)?( ?[AaPp][Mm])?$", "", regex=True)
        days = pd.to_datetime(text, format=case.date_format)
    else:
        days = pd.to_datetime(raw[case.date], format="ISO8601")
    if case.quantity:
        amount = raw[case.quantity].astype(float) * raw[case.price].astype(float)
    else:
        amount = raw[case.amount].astype(float)
    is_return = amount < 0
    order = None
    if case.order:
        order = raw[case.order].where(raw[case.order] != "", None)
        is_return = is_return | raw[case.order].str.startswith("C")
    rows = pd.DataFrame({
        "customer_id": ids, "day": days.dt.normalize(), "amount": amount,
        "is_return": is_return if case.returns != "keep" else False,
        "order": order,
    })
    rows = rows[present & ~ids.isin(excluded)]
    if case.returns == "drop":
        rows = rows[~rows["is_return"]]
    return rows


def reference_summary(case: Case, churn_horizon: int | None) -> pd.DataFrame:
    rows = reference_rows(case)
    last_day = rows["day"].max()
    as_of = pd.Timestamp(case.as_of) if case.as_of else last_day
    cutoffs = {as_of}
    if churn_horizon:
        # What clm churn reads: as-of and as-of - h, and its back-test's evaluation cut-off
        # (as-of, or the last date - h when that is earlier) with one horizon either side.
        h = pd.Timedelta(days=churn_horizon)
        evaluation = min(as_of, last_day - h)
        cutoffs |= {as_of - h, evaluation + h, evaluation, evaluation - h}
    parts = [summary_at(rows, cutoff, case.order is not None) for cutoff in sorted(cutoffs)]
    return pd.concat(parts, ignore_index=True)


def summary_at(rows: pd.DataFrame, cutoff: pd.Timestamp, has_orders: bool) -> pd.DataFrame:
    rows = rows[rows["day"] <= cutoff]
    by_customer = rows.groupby("customer_id")
    out = pd.DataFrame({
        "rows": by_customer.size(),
        "return_rows": by_customer["is_return"].sum(),
        "revenue": by_customer["amount"].sum(),
    })
    purchases = rows[~rows["is_return"]]
    purchase_days = purchases.groupby("customer_id")["day"]
    out["first_day"] = purchase_days.min()
    out["last_day"] = purchase_days.max()
    out["purchase_days"] = purchase_days.nunique()
    out["purchase_days"] = out["purchase_days"].fillna(0)
    if has_orders:
        named = purchases.dropna(subset=["order"]).groupby("customer_id")["order"].nunique()
        unnamed = purchases[purchases["order"].isna()].groupby("customer_id")["day"].nunique()
        out["orders"] = named.reindex(out.index, fill_value=0) + unnamed.reindex(out.index,
                                                                                 fill_value=0)
    else:
        out["orders"] = out["purchase_days"]
    # Day totals (all rows of the day) of the purchase days, in date order.
    totals = rows.groupby(["customer_id", "day"])["amount"].sum()
    bought = purchases[["customer_id", "day"]].drop_duplicates().sort_values(["customer_id", "day"])
    bought["total"] = totals.reindex(pd.MultiIndex.from_frame(bought)).to_numpy()
    first = bought.groupby("customer_id")["day"].transform("min")
    out["repeat_revenue"] = bought[bought["day"] > first].groupby("customer_id")["total"].sum()
    gaps = bought.groupby("customer_id")["day"].diff().dt.days
    out["gap_square_sum"] = (gaps ** 2).groupby(bought["customer_id"]).sum()
    last_q = rows[rows["day"] > cutoff - pd.Timedelta(days=91)]
    prior_q = rows[(rows["day"] > cutoff - pd.Timedelta(days=182))
                   & (rows["day"] <= cutoff - pd.Timedelta(days=91))]
    out["revenue_last_quarter"] = last_q.groupby("customer_id")["amount"].sum()
    out["revenue_prior_quarter"] = prior_q.groupby("customer_id")["amount"].sum()
    for column in ["repeat_revenue", "gap_square_sum", "revenue_last_quarter",
                   "revenue_prior_quarter"]:
        out[column] = out[column].fillna(0.0)
    out["summary_version"] = 1
    out["cutoff"] = cutoff
    return out.reset_index()[COLUMNS]


# ---------------------------------------------------------------------------------------------
# Comparing tables.

def normalised(table: pd.DataFrame) -> pd.DataFrame:
    table = table[COLUMNS].copy()
    table["customer_id"] = table["customer_id"].astype(str)
    for column in DATES:
        table[column] = pd.to_datetime(table[column]).dt.strftime("%Y-%m-%d").fillna("")
    for column in INTEGERS:
        table[column] = table[column].astype("int64")
    for column in FLOATS:
        table[column] = table[column].astype(float)
    return table.sort_values(["customer_id", "cutoff"]).reset_index(drop=True)


def compare(what: str, got: pd.DataFrame, expected: pd.DataFrame) -> None:
    got, expected = normalised(got), normalised(expected)
    keys = ["customer_id", "cutoff"]
    got_keys = set(map(tuple, got[keys].to_numpy()))
    expected_keys = set(map(tuple, expected[keys].to_numpy()))
    if got_keys != expected_keys:
        fail(what, f"rows differ: {len(got_keys - expected_keys)} extra, e.g. "
             f"{sorted(got_keys - expected_keys)[:3]}; {len(expected_keys - got_keys)} "
             f"missing, e.g. {sorted(expected_keys - got_keys)[:3]}")
    for column in COLUMNS:
        a, b = got[column].to_numpy(), expected[column].to_numpy()
        if column in FLOATS:
            same = np.isclose(a, b, rtol=1e-9, atol=1e-9)
        else:
            same = a == b
        if not same.all():
            at = int(np.flatnonzero(~same)[0])
            fail(what, f"column {column}: customer {got['customer_id'][at]!r} at "
                 f"{got['cutoff'][at]}: {a[at]!r} where {b[at]!r} was expected "
                 f"({int((~same).sum())} rows differ)")


def fail(what: str, message: str) -> None:
    print(f"FAIL {what}: {message}", file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------------------------------------
# Running the SQL.

def generated_sql(clm: str, analysis: str, dialect: str, case: Case, table: str) -> str:
    command = [clm, "sql", analysis, "--dialect", dialect, "--table", table,
               *case.column_flags(), *case.policy_flags()]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def duckdb_summary(sql: str, case: Case):
    import duckdb
    con = duckdb.connect()
    con.execute('CREATE SCHEMA "sales"')
    con.execute('CREATE TABLE "sales"."tx" AS SELECT * FROM read_csv(?, all_varchar = true, '
                'header = true)', [str(case.path)])
    return con.sql(sql).df()


def parse_with_sqlglot(sql: str, dialect: str, what: str) -> None:
    import sqlglot
    try:
        statements = sqlglot.parse(sql, read=dialect)
    except sqlglot.errors.ParseError as error:
        fail(what, f"sqlglot cannot parse the {dialect} SQL: {error}")
    statements = [s for s in statements if s is not None]
    if len(statements) != 1:
        fail(what, f"sqlglot reads {len(statements)} statements in the {dialect} SQL")


class Postgres:
    """A throw-away local Postgres server on a Unix socket, for one run of the script."""

    def __init__(self, folder: Path):
        self.folder = folder

    @staticmethod
    def binaries() -> Path | None:
        for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
            if (candidate / "postgres").exists() and (candidate / "initdb").exists():
                return candidate
        found = shutil.which("pg_ctl")
        return Path(found).parent if found else None

    def __enter__(self):
        bin_dir = self.binaries()
        if bin_dir is None or shutil.which("psql") is None:
            raise RuntimeError("no Postgres server binaries (apt-get install postgresql) or psql")
        self.data = self.folder / "pgdata"
        self.data.mkdir()
        # initdb refuses to run as root: run the server as the postgres user then.
        prefix = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
            shutil.chown(self.data, "postgres")
            prefix = ["runuser", "-u", "postgres", "--"]
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = str(probe.getsockname()[1])
        run = dict(check=True, capture_output=True, text=True)
        subprocess.run([*prefix, str(bin_dir / "initdb"), "-D", str(self.data), "-A", "trust",
                        "-U", "clm", "--no-sync"], **run)
        options = f"-k {self.folder} -p {self.port} -c listen_addresses='' -c fsync=off"
        subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options,
                        "-l", str(self.folder / "server.log"), "-w", "start"], **run)
        self.stop = [*prefix, str(bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                     "stop"]
        return self

    def __exit__(self, *exc):
        subprocess.run(self.stop, capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def psql(self, script: str, *flags: str) -> str:
        command = ["psql", "-h", str(self.folder), "-p", self.port, "-U", "clm", "-d",
                   "postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1", *flags]
        done = subprocess.run(command, input=script, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip())
        return done.stdout

    def summary(self, sql: str, case: Case) -> pd.DataFrame:
        header = pd.read_csv(case.path, dtype=str, nrows=0).columns
        columns = ", ".join('"' + c.replace('"', '""') + '" text' for c in header)
        load = ("DROP SCHEMA IF EXISTS sales CASCADE; CREATE SCHEMA sales;\n"
                f"CREATE TABLE sales.tx ({columns});\n"
                f"\\copy sales.tx FROM '{case.path}' WITH (FORMAT csv, HEADER true)\n")
        self.psql(load)
        out = self.psql(sql, "--csv")
        from io import StringIO
        return pd.read_csv(StringIO(out), dtype={"customer_id": str}, keep_default_na=False,
                           na_values={c: [""] for c in DATES})


# ---------------------------------------------------------------------------------------------
# The analyses on the engine's table (once clm reads summaries).

def clm_has(clm: str, *args: str) -> bool:
    return subprocess.run([clm, *args, "--help"], capture_output=True).returncode == 0


def clm_reads_summaries(clm: str) -> bool:
    done = subprocess.run([clm, "rfm", "--help"], capture_output=True, text=True)
    return "--input-kind" in done.stdout and "summary" in done.stdout


def check_clm_summary(clm: str, case: Case, analysis: str, engine: pd.DataFrame, folder: Path):
    out = folder / "clm_summary.csv"
    command = [clm, "-q", "summary", str(case.path), *clm_input_flags(case),
               *case.policy_flags(), "-o", str(out)]
    if analysis == "churn":
        command += ["--horizon", str(CHURN_HORIZON)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"{case.name}, {analysis}", f"clm summary failed: {done.stderr.strip()}")
    ours = pd.read_csv(out, dtype={"customer_id": str})
    compare(f"{case.name}, {analysis}: clm summary vs DuckDB", ours, engine)


def clm_input_flags(case: Case) -> list[str]:
    """Column flags for clm on the raw file (it multiplies quantity by price on its own)."""
    flags = ["--customer-col", case.customer, "--date-col", case.date]
    if case.amount:
        flags += ["--amount-col", case.amount]
    if case.order:
        flags += ["--order-col", case.order]
    if case.date_format:
        flags += ["--date-format", case.date_format]
    return flags + case.raw_flags


ANALYSIS_FLAGS = {
    "rfm": [],
    "clv": [],
    "churn": ["--horizon", str(CHURN_HORIZON)],
    "loyalty": ["--survey", str(ROOT / "fixtures" / "survey.csv")],
}


def check_analysis_on_summary(clm: str, case: Case, analysis: str, engine: pd.DataFrame,
                              folder: Path) -> None:
    """The analysis gives the same exit code and output on the engine's summary as on the rows."""
    table = folder / "engine_summary.csv"
    engine.to_csv(table, index=False, date_format="%Y-%m-%d")
    extra = ANALYSIS_FLAGS[analysis]
    raw = subprocess.run([clm, "-q", analysis, str(case.path), *clm_input_flags(case),
                          *case.policy_flags(), *extra, "--format", "csv"],
                         capture_output=True, text=True)
    as_of = ["--as-of", case.as_of] if case.as_of else []
    summary = subprocess.run([clm, "-q", analysis, str(table), "--input-kind", "summary",
                              *as_of, *extra, "--format", "csv"], capture_output=True, text=True)
    if raw.returncode != summary.returncode:
        fail(f"{case.name}, clm {analysis}", f"exit {raw.returncode} on the transactions "
             f"({raw.stderr.strip()}) but {summary.returncode} on the engine's summary "
             f"({summary.stderr.strip()})")
    if raw.stdout != summary.stdout:
        raw_lines, summary_lines = raw.stdout.splitlines(), summary.stdout.splitlines()
        # The first line that differs, or the end of the shorter output when one is a prefix.
        first = next((i for i, (a, b) in enumerate(zip(raw_lines, summary_lines)) if a != b),
                     min(len(raw_lines), len(summary_lines)))
        fail(f"{case.name}, clm {analysis}", "the output on the engine's summary differs from "
             f"the output on the transactions at line {first + 1}")


# ---------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clm", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", "target"), "debug", "clm"))
    parser.add_argument("--customers", type=int, default=20000,
                        help="customers of the simulated log (0 for none)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--keep", help="keep the generated files in this folder")
    args = parser.parse_args()

    folder = Path(args.keep or tempfile.mkdtemp(prefix="clm-sql-"))
    folder.mkdir(parents=True, exist_ok=True)
    cases = fixture_cases() + messy_cases(folder)
    if args.customers:
        cases.append(simulated_case(args.clm, args.customers, folder))
    has_summary = clm_has(args.clm, "summary")
    reads_summaries = clm_reads_summaries(args.clm)
    if not has_summary:
        print("clm summary: not in this build, its comparison skipped")
    if not reads_summaries:
        print("--input-kind summary: not in this build, the analyses' comparison skipped")

    postgres = contextlib.nullcontext(None)
    if not args.no_postgres:
        if Postgres.binaries() is None:
            print("Postgres: skipped (no server binaries; apt-get install postgresql)")
        else:
            postgres = Postgres(Path(tempfile.mkdtemp(prefix="clm-pg-")))
    with postgres as server:
        for case in cases:
            for analysis, horizon in (("rfm", None), ("churn", CHURN_HORIZON)):
                what = f"{case.name}, {analysis}"
                started = time.monotonic()
                expected = reference_summary(case, horizon)
                sql = generated_sql(args.clm, analysis, "duckdb", case, "sales.tx")
                engine = duckdb_summary(sql, case)
                compare(f"{what}: DuckDB vs pandas", engine, expected)
                for dialect in ("bigquery", "snowflake", "postgres", "spark", "duckdb"):
                    other = generated_sql(args.clm, analysis, dialect, case, "sales.tx")
                    parse_with_sqlglot(other, dialect, what)
                checked = ["DuckDB = pandas", "sqlglot parses 5 dialects"]
                if server is not None:
                    pg_sql = generated_sql(args.clm, analysis, "postgres", case, "sales.tx")
                    compare(f"{what}: Postgres vs pandas", server.summary(pg_sql, case), expected)
                    checked.append("Postgres = pandas")
                if has_summary and case.clm_reads:
                    check_clm_summary(args.clm, case, analysis, engine, folder)
                    checked.append("clm summary = DuckDB")
                if reads_summaries and case.clm_reads:
                    names = ["rfm", "clv", "loyalty"] if analysis == "rfm" else ["churn"]
                    for name in names:
                        check_analysis_on_summary(args.clm, case, name, engine, folder)
                    checked.append(f"clm {'/'.join(names)} on the summary = on the rows")
                print(f"ok  {what}: {len(engine)} summary rows; {', '.join(checked)} "
                      f"({time.monotonic() - started:.1f} s)")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
