"""Runs the Spark SQL of `clm sql` on Apache Spark in local mode and checks its table.

The same cases as scripts/check_sql.py (the fixtures, the planted edge cases, a simulated log):
each CSV is read by Spark as text columns into the qualified view `global_temp.tx`, the
generated Spark SQL runs on it, and the result is compared column by column with the pandas
implementation of docs/summary.md in check_sql.py (integers and dates exactly, floats to 1e-9
relative); when the build reads summaries (`--input-kind summary`), `clm rfm|clv|churn|loyalty`
on Spark's table is compared with the same command on the raw transactions. Prints the time
taken by the JVM start and by the queries.

Usage: python3 scripts/check_sql_spark.py [--clm target/debug/clm] [--customers 20000]
Needs pyspark (pip install pyspark) and Java 17. Exits 1 after printing the first mismatch.
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_sql as common  # noqa: E402


def spark_session():
    from pyspark.sql import SparkSession
    return (SparkSession.builder.master("local[2]").appName("clm-sql-check")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate())


def spark_summary(spark, sql: str, case: common.Case):
    # RFC 4180 quoting (`""` inside a quoted field), as the files are written; Spark's
    # default escape is a backslash.
    frame = spark.read.csv(str(case.path), header=True, inferSchema=False, escape='"')
    frame.createOrReplaceGlobalTempView("tx")
    return spark.sql(sql.rstrip().rstrip(";")).toPandas()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clm", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", "target"), "debug", "clm"))
    parser.add_argument("--customers", type=int, default=20000,
                        help="customers of the simulated log (0 for none)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="clm-sql-spark-"))
    cases = common.fixture_cases() + common.messy_cases(folder)
    if args.customers:
        cases.append(common.simulated_case(args.clm, args.customers, folder))
    reads_summaries = common.clm_reads_summaries(args.clm)
    # pyspark warns that it is not tested with pandas 3; toPandas of plain columns works.
    warnings.filterwarnings("ignore", category=FutureWarning)
    started = time.monotonic()
    spark = spark_session()
    spark.sparkContext.setLogLevel("ERROR")
    print(f"Spark {spark.version} local[2] started in {time.monotonic() - started:.1f} s")
    queries = 0.0
    try:
        for case in cases:
            for analysis, horizon in (("rfm", None), ("churn", common.CHURN_HORIZON)):
                what = f"{case.name}, {analysis}"
                expected = common.reference_summary(case, horizon)
                sql = common.generated_sql(args.clm, analysis, "spark", case, "global_temp.tx")
                began = time.monotonic()
                engine = spark_summary(spark, sql, case)
                took = time.monotonic() - began
                queries += took
                common.compare(f"{what}: Spark vs pandas", engine, expected)
                checked = ["Spark = pandas"]
                if reads_summaries and case.clm_reads:
                    names = ["rfm", "clv", "loyalty"] if analysis == "rfm" else ["churn"]
                    for name in names:
                        common.check_analysis_on_summary(args.clm, case, name, engine, folder)
                    checked.append(f"clm {'/'.join(names)} on the summary = on the rows")
                print(f"ok  {what}: {len(engine)} summary rows; {', '.join(checked)} "
                      f"(query {took:.1f} s)")
    finally:
        spark.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"Spark: {time.monotonic() - started:.1f} s in all, {queries:.1f} s in the queries")


if __name__ == "__main__":
    main()
