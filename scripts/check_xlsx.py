#!/usr/bin/env python3
"""Open clm's Excel output with an independent reader (openpyxl) and check what a spreadsheet
user relies on: one sheet per table, the header row frozen with an autofilter, real numbers
(not text) in numeric columns, ISO-formatted dates, as many rows as the CSV output, and text
that would be a formula kept as text.

Usage: python scripts/check_xlsx.py --clm target/debug/clm
"""
import argparse
import csv
import io
import os
import subprocess
import sys
import tempfile

import openpyxl


def run(clm, args):
    out = subprocess.run([clm, *args, "-q"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"clm {' '.join(args)} failed: {out.stderr}")
    return out.stdout


def check(clm, command, numeric, text_columns):
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, f"{command[0]}.xlsx")
    run(clm, [*command, "-o", path])
    rows = list(csv.DictReader(io.StringIO(run(clm, [*command, "--format", "csv"]))))
    summary = list(csv.DictReader(io.StringIO(run(clm, [*command, "--summary", "--format", "csv"]))))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["customers", "summary"], book.sheetnames
    for sheet, expected in ((book["customers"], rows), (book["summary"], summary)):
        header = [c.value for c in sheet[1]]
        assert header == list(expected[0].keys()), (header, list(expected[0].keys()))
        assert sheet.max_row == len(expected) + 1, (sheet.title, sheet.max_row, len(expected))
        assert sheet.freeze_panes == "A2", sheet.freeze_panes
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), sheet.auto_filter.ref
    sheet = book["customers"]
    header = [c.value for c in sheet[1]]
    for name in numeric:
        col = header.index(name)
        for r, row in enumerate(sheet.iter_rows(min_row=2, values_only=True)):
            value, text = row[col], rows[r][name]
            if text == "":
                assert value is None, (name, r, value)
                continue
            assert isinstance(value, (int, float)), (name, r, value)
            assert abs(value - float(text)) <= 0.5 * 10 ** -len(text.partition(".")[2]) + 1e-9, (name, r, value, text)
    for name in text_columns:
        col = header.index(name)
        for r, row in enumerate(sheet.iter_rows(min_row=2, values_only=True)):
            assert isinstance(row[col], str), (name, r, row[col])
    print(f"ok: {' '.join(command)}: {len(rows)} rows, {len(summary)} summary rows")


def check_formula_text(clm):
    folder = tempfile.mkdtemp()
    source = os.path.join(folder, "tx.csv")
    with open(source, "w") as f:
        f.write("customer_id,date,amount\n=1+2,2025-01-01,10\n=1+2,2025-02-01,5\nB,2025-01-15,7\n")
    path = os.path.join(folder, "rfm.xlsx")
    run(clm, ["rfm", source, "-o", path])
    sheet = openpyxl.load_workbook(path)["customers"]
    ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "=1+2" in ids, ids
    cell = next(c for c in sheet["A"] if c.value == "=1+2")
    assert cell.data_type == "s", cell.data_type
    print("ok: a formula-like id stays text")


REPORT_SHEETS = ["overview", "rfm segments", "clv tiers", "churn bands", "top at risk", "cohorts", "lifecycle",
                 "lifecycle migration"]


def same_table(sheet, expected, label):
    """The sheet holds `expected` (CSV rows of the command's own summary): headers, row count,
    numbers as numbers equal to the CSV's to its printed decimals, text as text."""
    header = [c.value for c in sheet[1]]
    assert header == list(expected[0].keys()), (label, header, list(expected[0].keys()))
    assert sheet.max_row == len(expected) + 1, (label, sheet.max_row, len(expected))
    for r, row in enumerate(sheet.iter_rows(min_row=2, values_only=True)):
        for name, value in zip(header, row):
            text = expected[r][name]
            if text == "":
                assert value in (None, ""), (label, name, r, value)
                continue
            try:
                number = float(text)
            except ValueError:
                assert value == text, (label, name, r, value, text)
                continue
            assert isinstance(value, (int, float)) and not isinstance(value, bool), (label, name, r, value)
            tolerance = 0.5 * 10 ** -len(text.partition(".")[2]) + 1e-9
            assert abs(value - number) <= tolerance, (label, name, r, value, text)


def check_report(clm, source):
    """`clm report -o report.xlsx`: a sheet per analysis in reading order, each frozen and
    filtered, each equal to the summary its own command writes with the same defaults, the
    cohort matrix with a colour scale."""
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "report.xlsx")
    run(clm, ["report", source, "-o", path])
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == REPORT_SHEETS, book.sheetnames
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", (sheet.title, sheet.freeze_panes)
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), sheet.title
    summary = lambda *command: list(csv.DictReader(io.StringIO(run(clm, [*command, source, "--summary", "--format", "csv"]))))
    same_table(book["rfm segments"], summary("rfm"), "rfm segments")
    same_table(book["clv tiers"], summary("clv"), "clv tiers")
    same_table(book["churn bands"], summary("churn"), "churn bands")
    same_table(book["cohorts"], summary("cohorts", "--metric", "retention"), "cohorts")
    same_table(book["lifecycle"], summary("lifecycle"), "lifecycle")
    # The migration sheet holds clm lifecycle --compare 90d's transition rows.
    moves = os.path.join(folder, "moves.csv")
    run(clm, ["lifecycle", source, "--compare", "90d", "--transitions", moves, "-o", os.path.join(folder, "stages.csv")])
    with open(moves) as f:
        same_table(book["lifecycle migration"], list(csv.DictReader(f)), "lifecycle migration")
    # The customers most at risk are the first rows of clm churn's list (sorted by value at risk).
    churn = list(csv.DictReader(io.StringIO(run(clm, ["churn", source, "--top", "20", "--format", "csv"]))))
    top = book["top at risk"]
    header = [c.value for c in top[1]]
    assert header[:6] == ["rank", "customer_id", "churn_risk", "risk_band", "clv", "value_at_risk"], header
    ids = [row[1] for row in top.iter_rows(min_row=2, values_only=True)]
    assert ids == [row["customer_id"] for row in churn], (ids, [row["customer_id"] for row in churn])
    for row in top.iter_rows(min_row=2, values_only=True):
        assert isinstance(row[2], float) and 0 <= row[2] <= 1, row
    overview = {row[0]: row[1] for row in book["overview"].iter_rows(min_row=2, values_only=True)}
    assert overview["Input"] == source and "Customers" in overview, overview
    scales = book["cohorts"].conditional_formatting
    assert len(list(scales)) == 1, "the cohort matrix has one colour scale"
    rule = list(scales)[0].rules[0]
    assert rule.type == "colorScale", rule.type
    print(f"ok: report {source}: sheets {', '.join(book.sheetnames)}")


def check_report_zh(clm, source):
    """`clm report --lang zh -o report.xlsx`: the same sheets and columns as the English
    workbook with the same values, plus a `<column>_label` column of Chinese text right after
    each coded column and the action."""
    folder = tempfile.mkdtemp()
    paths = {lang: os.path.join(folder, f"report_{lang}.xlsx") for lang in ("en", "zh")}
    for lang, path in paths.items():
        run(clm, ["report", source, "--lang", lang, "-o", path])
    english, chinese = (openpyxl.load_workbook(paths[lang]) for lang in ("en", "zh"))
    assert chinese.sheetnames == english.sheetnames, chinese.sheetnames
    labelled = 0
    for name in english.sheetnames:
        en_rows = list(english[name].iter_rows(values_only=True))
        zh_rows = list(chinese[name].iter_rows(values_only=True))
        header = list(zh_rows[0])
        kept = [i for i, column in enumerate(header) if not str(column).endswith("_label")]
        assert [header[i] for i in kept] == list(en_rows[0]), (name, header)
        assert [[row[i] for i in kept] for row in zh_rows] == [list(row) for row in en_rows], name
        for i, column in enumerate(header):
            if str(column).endswith("_label"):
                assert header[i - 1] == column[: -len("_label")], (name, column)
                texts = [row[i] for row in zh_rows[1:] if row[i]]
                assert texts and any(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in texts), (name, column)
                labelled += 1
    assert labelled >= 8, labelled
    rfm = list(chinese["rfm segments"].iter_rows(values_only=True))
    assert rfm[0][:2] == ("segment", "segment_label") and "冠军客户" in [row[1] for row in rfm], rfm[:2]
    print(f"ok: report --lang zh {source}: {labelled} label columns, codes and values as in English")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clm", default="target/debug/clm")
    clm = parser.parse_args().clm
    check(clm, ["rfm", "fixtures/transactions.csv"], ["recency_days", "frequency", "monetary", "r"], ["customer_id", "segment"])
    check(clm, ["clv", "fixtures/cdnow_sample.csv", "--as-of", "1997-09-30"], ["x", "T", "p_alive", "clv"], ["customer_id", "tier"])
    check(clm, ["churn", "fixtures/transactions.csv"], ["rank", "churn_risk", "clv", "recency_days"], ["customer_id", "risk_band"])
    check_formula_text(clm)
    check_report(clm, "fixtures/transactions.csv")
    check_report_zh(clm, "fixtures/transactions.csv")


if __name__ == "__main__":
    main()
