#!/usr/bin/env python3
"""The `clm clv` pipeline in Python `lifetimes` 0.11.3, for scripts/bench_clv.sh.

Usage: clv_lifetimes.py FILE OUT [PARAMS_JSON]

FILE is a transaction CSV with columns customer_id,date,amount (as written by `clm simulate`).
Matches `clm clv FILE --time-unit week`: purchases on the same day are one transaction, the
observation end is the last date in the file, x = repeat purchase days, t_x and T in weeks
(days / 7), BG/NBD fitted on every customer, Gamma-Gamma on the repeat buyers with a positive
mean repeat spend, predictions over 52 weeks, CLV over 12 months (lifetimes steps by months of
4.345 weeks) discounted at a 10 % yearly rate ((1.10)^(1/12) - 1 per month).

Writes one row per customer to OUT; prints the time of each phase and the fitted parameters on
stderr, and writes the parameters as JSON to PARAMS_JSON when given.
"""

import json
import sys
import time

phase_start = time.perf_counter()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from lifetimes import BetaGeoFitter, GammaGammaFitter  # noqa: E402
from lifetimes.utils import summary_data_from_transaction_data  # noqa: E402

HORIZON_WEEKS = 52
CLV_MONTHS = 12
MONTHLY_DISCOUNT = 1.10 ** (1 / 12) - 1


def lap(name, started):
    now = time.perf_counter()
    print(f"lifetimes {name}: {now - started:.3f} s", file=sys.stderr)
    return now


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    source, out = sys.argv[1], sys.argv[2]
    params_out = sys.argv[3] if len(sys.argv) == 4 else None

    started = lap("import", phase_start)
    tx = pd.read_csv(
        source,
        usecols=["customer_id", "date", "amount"],
        dtype={"customer_id": str, "amount": float},
        parse_dates=["date"],
    )
    summary = summary_data_from_transaction_data(
        tx,
        "customer_id",
        "date",
        monetary_value_col="amount",
        observation_period_end=tx["date"].max(),
        freq="D",
        freq_multiplier=7,  # recency and T in weeks = days / 7
    )
    del tx
    started = lap("read+summary", started)

    bgf = BetaGeoFitter(penalizer_coef=0.0)
    bgf.fit(summary["frequency"], summary["recency"], summary["T"])
    started = lap("BG/NBD fit", started)

    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    ggf = GammaGammaFitter(penalizer_coef=0.0)
    ggf.fit(repeat["frequency"], repeat["monetary_value"])
    started = lap("Gamma-Gamma fit", started)

    f, r, t = summary["frequency"], summary["recency"], summary["T"]
    result = pd.DataFrame(
        {
            "x": f,
            "t_x": r,
            "T": t,
            "p_alive": bgf.conditional_probability_alive(f, r, t),
            "expected_purchases": bgf.conditional_expected_number_of_purchases_up_to_time(
                HORIZON_WEEKS, f, r, t
            ),
            "expected_spend": ggf.conditional_expected_average_profit(
                f, summary["monetary_value"]
            ),
            "clv": ggf.customer_lifetime_value(
                bgf,
                f,
                r,
                t,
                summary["monetary_value"],
                time=CLV_MONTHS,
                discount_rate=MONTHLY_DISCOUNT,
                freq="W",
            ),
        },
        index=summary.index,
    )
    started = lap("predict", started)

    result.to_csv(out, index_label="customer_id", float_format="%.6g")
    lap("write", started)
    lap("total", phase_start)

    params = {
        "customers": int(len(summary)),
        "bgnbd": {k: float(v) for k, v in bgf.params_.items()},
        # lifetimes minimises the mean negative log-likelihood on time scaled by bgf._scale;
        # back to weeks: the density of the x purchase times gains log(scale) per purchase.
        "bgnbd_log_likelihood": float(
            -bgf._negative_log_likelihood_ * len(summary)
            + np.log(bgf._scale) * summary["frequency"].sum()
        ),
        "gamma_gamma": {k: float(v) for k, v in ggf.params_.items()},
        "repeat_buyers": int(len(repeat)),
        "mean_clv": float(np.mean(result["clv"])),
        "mean_expected_purchases": float(np.mean(result["expected_purchases"])),
        "mean_p_alive": float(np.mean(result["p_alive"])),
    }
    print("lifetimes params: " + json.dumps(params), file=sys.stderr)
    if params_out:
        with open(params_out, "w") as handle:
            json.dump(params, handle, indent=2)


if __name__ == "__main__":
    main()
