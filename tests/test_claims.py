"""Claims and their verdicts on hand-made runs: inside the CI, outside it, orderings, equality, thresholds,
not comparable (hardware times, stand-in datasets) and not run."""

from __future__ import annotations

import pandas as pd
import pytest

from shrinkflow.claims import Claim, Selection, claims_table, evaluate, load_claims, value_claims

MODEL = "cnn1d_paper"


def runs(dataset="mnist") -> pd.DataFrame:
    """Three seeds of four methods: accuracy means 0.98, 0.96, 0.90, 0.11; times 100/110/120 s per seed."""
    rows = []
    for method, level, acc in (("downsample", "16", 0.98), ("binary_then_resize", "16", 0.96),
                               ("dct", "16", 0.90), ("random_projection", "256", 0.11)):  # fmt: skip
        for seed, delta in enumerate((-0.01, 0.0, 0.01)):
            rows.append({"dataset": dataset, "method": method, "level": level, "model": MODEL, "seed": seed,
                         "test_accuracy": acc + delta, "train_seconds": 100.0 + 10 * seed,
                         "bits_per_sample": 2048.0})  # fmt: skip
    return pd.DataFrame(rows)


def sel(method, level="16"):
    return Selection(method, level, MODEL)


def claim(kind, select, published=None, metric="test_accuracy", **kw):
    return Claim(study="s", id=kind, text="t", kind=kind, metric=metric, dataset=kw.pop("dataset", "mnist"),
                 select=tuple(select), published=published, **kw)  # fmt: skip


def verdict(c, table=None):
    row = evaluate(c, runs() if table is None else table)
    return row["verdict"], row


def test_close_is_reproduced_inside_the_ci_only_is_inconclusive_and_outside_is_contradicted():
    # downsample: 0.97, 0.98, 0.99 -> mean 0.98, CI 0.98 ± 4.303·0.01/√3 = [0.955, 1.005]
    assert verdict(claim("value", [sel("downsample")], 0.985, tolerance=0.01))[0] == "reproduced"
    v, row = verdict(claim("value", [sel("downsample")], 0.999, tolerance=0.01))
    assert v == "inconclusive" and "more seeds" in row["reason"]
    v, row = verdict(claim("value", [sel("downsample")], 0.90, tolerance=0.01))
    assert v == "contradicted" and row["mean"] == pytest.approx(0.98) and row["n"] == 3
    assert row["ci95_low"] == pytest.approx(0.98 - 4.302653 * 0.01 / 3**0.5, abs=1e-6)


def test_within_tolerance_counts_when_the_ci_misses():
    one_seed = runs()[lambda d: d["seed"] == 1]  # n = 1: no CI
    assert verdict(claim("value", [sel("dct")], 0.905, tolerance=0.01), one_seed)[0] == "reproduced"
    assert verdict(claim("value", [sel("dct")], 0.93, tolerance=0.01), one_seed)[0] == "contradicted"


def test_ordering_claims():
    order = [sel("downsample"), sel("binary_then_resize"), sel("dct"), sel("random_projection", "256")]
    v, row = verdict(claim("order", order))
    assert v == "reproduced" and row["ours"].startswith("downsample 16 (cnn1d_paper) 0.98 >")
    assert verdict(claim("order", [order[2], order[0]]))[0] == "contradicted"


def test_equality_and_threshold_claims():
    assert verdict(claim("equal", [sel("downsample"), sel("binary_then_resize")], tolerance=0.03))[0] == (
        "reproduced"
    )
    v, row = verdict(claim("equal", [sel("downsample"), sel("dct")], tolerance=0.03))
    assert v == "contradicted" and row["mean"] == pytest.approx(0.08)
    assert verdict(claim("at_most", [sel("random_projection", "256")], 0.2))[0] == "reproduced"
    assert verdict(claim("at_least", [sel("random_projection", "256")], 0.5))[0] == "contradicted"


def test_times_compare_as_paired_ratios_and_never_as_absolute_seconds():
    ratio = claim("ratio", [sel("dct"), sel("downsample")], 1.0, metric="train_seconds", tolerance=0.01)
    v, row = verdict(ratio)
    assert v == "reproduced" and row["mean"] == pytest.approx(1.0) and row["n"] == 3
    absolute = claim("value", [sel("dct")], 110.0, metric="train_seconds", unit="seconds")
    v, row = verdict(absolute)
    assert v == "not comparable" and "hardware" in row["reason"]


def test_a_stand_in_dataset_answers_relative_claims_but_not_absolute_numbers():
    small = runs("mnist5k")
    v, row = verdict(claim("value", [sel("downsample")], 0.98), small)
    assert v == "not comparable" and "mnist5k" in row["reason"] and row["mean"] == pytest.approx(0.98)
    order = [sel("downsample"), sel("dct")]
    assert verdict(claim("order", order), small)[0] == "reproduced"
    bits = claim("value", [sel("dct")], 2048, metric="bits_per_sample", tolerance=0)
    assert verdict(bits, small)[0] == "reproduced"  # storage does not depend on the dataset's size


def test_bits_get_a_relative_tolerance_for_side_information():
    table = runs().assign(bits_per_sample=2054.55)  # 2048 code bits + scales shared by the dataset
    bits = claim("value", [sel("dct")], 2048, metric="bits_per_sample", unit="bits")
    assert verdict(bits, table)[0] == "reproduced"
    assert verdict(claim("value", [sel("dct")], 1024, metric="bits_per_sample", unit="bits"), table)[0] == (
        "contradicted"
    )


def test_claims_about_adaptcompression_need_runs_trained_as_the_paper_says():
    rows = runs()[lambda d: d["method"] == "dct"].assign(method="adaptive", level="dynamic_ema")
    ema = claim("at_least", [Selection("adaptive", "dynamic_ema", MODEL)], 0.5)
    v, row = verdict(ema, rows)  # no settings columns: the code defaults, shrinkflow's variant
    assert v == "not comparable" and "adaptive.view = 'coefficients'" in row["reason"]
    paper = rows.assign(**{"adaptive.view": "pixels", "adaptive.ema_update": "epoch"})
    assert verdict(ema, paper)[0] == "reproduced"
    step = paper.assign(**{"adaptive.ema_update": "step"})
    assert "ema_update" in verdict(ema, step)[1]["reason"]


def test_claims_without_runs_are_not_run():
    assert verdict(claim("value", [sel("jpeg")], 0.9))[0] == "not run"
    assert verdict(claim("value", [sel("dct")], 0.9, dataset="cifar10"))[0] == "not run"


def test_a_malformed_claim_is_refused():
    with pytest.raises(ValueError, match="kind 'bigger' is unknown"):
        claim("bigger", [sel("dct")], 1.0)
    with pytest.raises(ValueError, match="selects 2"):
        claim("ratio", [sel("dct")], 1.0)


def test_published_rows_become_value_claims_and_the_yaml_loads():
    published = pd.DataFrame(
        [{"study": "s", "table": "T1", "dataset": "mnist", "method": "dct", "level": "16", "model": MODEL,
          "metric": "test_accuracy", "value": 0.9, "unit": "fraction", "tolerance": float("nan"),
          "source": "x"},
         {"study": "s", "table": "T1", "dataset": "mnist", "method": "", "level": "", "model": "",
          "metric": "", "value": float("nan"), "unit": "", "tolerance": float("nan"), "source": "x"}]
    )  # fmt: skip
    claims = value_claims(published, "s")
    assert len(claims) == 1 and claims[0].published == 0.9 and claims[0].select[0].method == "dct"
    table = claims_table(runs(), claims)
    assert table.loc[0, "verdict"] == "reproduced"
    for study in ("less_is_more", "adaptcompression"):
        assert len(load_claims(study)) >= 3


def test_the_study_page_lists_every_claim_with_its_verdict_and_links_the_figure(tmp_path):
    from shrinkflow.reports import study_report

    claims = [claim("order", [sel("downsample"), sel("dct")]), claim("value", [sel("dct")], 0.5)]
    table = claims_table(runs(), claims)
    page = tmp_path / "reports" / "s.md"
    study_report("s", table, tmp_path / "figures" / "acc.png", page)
    text = page.read_text()
    assert "2 claims: 1 reproduced, 1 contradicted" in text
    assert text.count("\n| ") == 3  # header + two claims
    assert "](../figures/acc.png)" in text


def test_storage_and_batchnorm_claims_are_judged_on_their_tables():
    storage = pd.DataFrame(
        {"dataset": "cifar10", "model": ["m1", "m1", "m2", "m2"], "method": ["zfp_rate", "jpeg"] * 2,
         "epsilon": 0.02, "stored_percent": [1.5, 2.1, 2.5, 2.0]}
    )  # fmt: skip
    zfp = Claim(study="s", id="z", text="t", kind="less_storage", metric="stored_percent", dataset="cifar10",
                select=(Selection("zfp_rate", "any"), Selection("jpeg", "any")))  # fmt: skip
    row = evaluate(zfp, runs(), {"storage": storage})
    assert row["verdict"] == "contradicted" and "1 of 2" in row["ours"]  # m2 needs more with zfp
    row = evaluate(zfp, runs(), {"storage": storage[storage["model"] == "m1"]})
    assert row["verdict"] == "reproduced"
    other = evaluate(zfp, runs(), {"storage": storage.assign(dataset="mnist5k")})
    assert other["verdict"] == "not comparable" and "the paper on cifar10" in other["reason"]
    assert evaluate(zfp, runs(), {})["verdict"] == "not run"

    bn = Claim(study="s", id="b", text="t", kind="bn_amplifies", metric="drop_difference", dataset="cifar10",
               select=(Selection("jpeg", "any"),))  # fmt: skip
    table = pd.DataFrame({"dataset": "cifar10", "method": "jpeg", "level": ["10", "50"],
                          "drop_difference": [0.03, -0.01]})  # fmt: skip
    assert evaluate(bn, runs(), {"amplification": table})["verdict"] == "reproduced"  # mean +0.01
    assert evaluate(bn, runs(), {"amplification": table.assign(drop_difference=-0.01)})["verdict"] == (
        "contradicted"
    )


def _storage_with_files_and_tables_once():
    """JPEG at 25% of raw as files, 2.2% with its tables once per split; zfp at 1.9% either way."""
    return pd.DataFrame(
        {"dataset": "cifar10", "model": "alexnet", "method": ["zfp_rate", "jpeg"], "epsilon": 0.02,
         "level": ["2", "25"], "stored_percent": [1.9, 25.0], "stored_percent_tables_once": [1.9, 2.2]}
    )  # fmt: skip


def test_less_storage_claims_say_which_jpeg_convention_they_compare():
    storage = _storage_with_files_and_tables_once().assign(stored_percent_tables_once=[2.5, 2.2])
    select = (Selection("zfp_rate", "any"), Selection("jpeg", "any"))
    files = Claim(study="s", id="f", text="t", kind="less_storage", metric="stored_percent",
                  dataset="cifar10", select=select)  # fmt: skip
    once = Claim(study="s", id="o", text="t", kind="less_storage", metric="stored_percent_tables_once",
                 dataset="cifar10", select=select, convention="tables_once")  # fmt: skip
    row = evaluate(files, runs(), {"storage": storage})
    assert row["verdict"] == "reproduced" and "JPEG as one file per image" in row["ours"]
    row = evaluate(once, runs(), {"storage": storage})
    assert row["verdict"] == "contradicted" and "tables once per split" in row["ours"]
    with pytest.raises(ValueError, match="convention 'bytes' is unknown"):
        Claim(study="s", id="x", text="t", kind="less_storage", metric="m", dataset="d", select=select,
              convention="bytes")  # fmt: skip


def test_table_one_numbers_are_judged_model_by_model_on_the_storage_table_with_tables_once():
    storage = _storage_with_files_and_tables_once()

    def table_one(method, value, model="alexnet", eps=2):
        return Claim(study="s", id="t1", text="t", kind="value", metric=f"stored_percent_at_epsilon_{eps}",
                     dataset="cifar10", select=(Selection(method, "", model),), published=value,
                     unit="percent")  # fmt: skip

    row = evaluate(table_one("jpeg", 2.3), runs(), {"storage": storage})
    # 2.2 vs 2.3: within 10% of the published value; the per-file 25% is shown beside it
    assert row["verdict"] == "reproduced" and row["mean"] == pytest.approx(2.2)
    assert "25% as one file per image" in row["ours"] and "level 25" in row["ours"]
    assert evaluate(table_one("zfp_rate", 1.5), runs(), {"storage": storage})["verdict"] == "contradicted"
    assert evaluate(table_one("jpeg", 2.3, model="vgg19_bn"), runs(), {"storage": storage})["verdict"] == (
        "not run"
    )
    assert evaluate(table_one("jpeg", 2.1, eps=5), runs(), {"storage": storage})["verdict"] == "not run"
    unreached = storage.assign(stored_percent_tables_once=float("nan"), stored_percent=float("nan"))
    row = evaluate(table_one("jpeg", 2.3), runs(), {"storage": unreached})
    assert row["verdict"] == "contradicted" and "not reached" in row["ours"]
    assert evaluate(table_one("jpeg", 2.3), runs(), {})["verdict"] == "not run"


def test_table_two_numbers_need_runs_trained_on_zfp_coefficients():
    rows = []
    for view in ("pixels", "coefficients"):
        for seed in range(3):
            rows.append({"dataset": "cifar10", "method": "zfp_precision", "level": "4", "model": "vgg19_bn",
                         "seed": seed, "test_accuracy": 0.80 + 0.001 * seed, "view": view})  # fmt: skip
    table = pd.DataFrame(rows)
    c = claim("value", [Selection("zfp_precision", "4", "vgg19_bn")], 0.80, dataset="cifar10")
    on_pixels = evaluate(c, table[table["view"] == "pixels"])
    assert on_pixels["verdict"] == "not comparable" and "view = 'pixels'" in on_pixels["reason"]
    assert evaluate(c, table[table["view"] == "coefficients"])["verdict"] == "reproduced"
