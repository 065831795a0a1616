"""Summary statistics: exact means, sample std, Student-t intervals, NaN for single runs, Pareto fronts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from shrinkflow.stats import STAT_COLUMNS, pareto_front, summarize, t_halfwidth

# closed forms of the Student-t quantile: ν = 2: t_p = (2p − 1)/√(2p(1 − p)); ν = 1 (Cauchy): tan(π(p − ½))
T975_DOF2 = 0.95 / math.sqrt(2 * 0.975 * 0.025)  # 4.3027
T975_DOF1 = math.tan(math.pi * 0.475)  # 12.7062


def test_summarize_gives_exact_mean_std_and_t_interval_for_a_known_sample():
    df = pd.DataFrame({"g": ["a", "a", "a"], "x": [1.0, 2.0, 6.0]})
    out = summarize(df, ["g"], ["x"])
    assert list(out.columns) == ["g", *STAT_COLUMNS]
    row = out.iloc[0]
    assert row["metric"] == "x" and row["n"] == 3
    assert row["mean"] == pytest.approx(3.0, abs=1e-15)
    # deviations -2, -1, 3 → Σ² = 14, ddof=1 → var 7
    assert row["std"] == pytest.approx(math.sqrt(7.0), rel=1e-14)
    half = T975_DOF2 * math.sqrt(7.0) / math.sqrt(3.0)
    assert row["ci95_low"] == pytest.approx(3.0 - half, rel=1e-12)
    assert row["ci95_high"] == pytest.approx(3.0 + half, rel=1e-12)


def test_two_values_use_twelve_point_seven_not_one_point_nine_six():
    assert t_halfwidth(1.0, 2)[()] == pytest.approx(T975_DOF1 / math.sqrt(2.0), rel=1e-12)


def test_single_run_has_nan_std_and_interval_not_zero():
    out = summarize(pd.DataFrame({"g": ["a"], "x": [0.9]}), ["g"], ["x"])
    row = out.iloc[0]
    assert row["mean"] == 0.9 and row["n"] == 1
    assert np.isnan(row["std"]) and np.isnan(row["ci95_low"]) and np.isnan(row["ci95_high"])


def test_nan_values_are_left_out_and_counted_out():
    df = pd.DataFrame({"g": ["a", "a", "a", "b"], "x": [1.0, np.nan, 3.0, np.nan]})
    out = summarize(df, ["g"], ["x"]).set_index("g")
    assert out.loc["a", "n"] == 2 and out.loc["a", "mean"] == 2.0
    assert out.loc["a", "std"] == pytest.approx(math.sqrt(2.0))
    assert out.loc["b", "n"] == 0 and np.isnan(out.loc["b", "mean"])


def test_default_value_columns_are_numeric_and_boolean_ones_in_given_order():
    df = pd.DataFrame(
        {"g": ["a", "a", "b"], "name": ["u", "v", "w"], "z": [2.0, 4.0, 1.0], "flag": [True, False, True]}
    )
    out = summarize(df, ["g"])
    assert out["metric"].tolist() == ["z", "flag", "z", "flag"]
    assert out["g"].tolist() == ["a", "a", "b", "b"]
    assert out.loc[(out["g"] == "a") & (out["metric"] == "flag"), "mean"].item() == 0.5


def test_unknown_columns_are_named_in_the_error():
    with pytest.raises(ValueError, match="nope"):
        summarize(pd.DataFrame({"g": [1]}), ["nope"], [])
    with pytest.raises(ValueError, match="missing"):
        summarize(pd.DataFrame({"g": [1]}), ["g"], ["missing"])


def test_empty_table_gives_empty_summary_with_columns():
    out = summarize(pd.DataFrame({"g": [], "x": []}), ["g"], ["x"])
    assert out.empty and list(out.columns) == ["g", *STAT_COLUMNS]


def test_pareto_front_keeps_undominated_points_and_ties():
    cost = [1, 2, 2, 3, 4, 4, np.nan, 5]
    value = [0.5, 0.7, 0.6, 0.7, 0.9, 0.9, 1.0, 0.8]
    # (2, .6) same cost lower value; (3, .7) no better than (2, .7); (5, .8) worse than (4, .9); NaN never
    expected = [True, True, False, False, True, True, False, False]
    assert pareto_front(cost, value).tolist() == expected


def test_pareto_front_of_nothing_is_empty():
    assert pareto_front([], []).tolist() == []
    with pytest.raises(ValueError, match="equal length"):
        pareto_front([1, 2], [1])
