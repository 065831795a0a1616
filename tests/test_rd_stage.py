"""The rate-distortion stage: config checks, one point end to end on real photographs with its payload
files, the tables (BD against JPEG, COIN's published points) and a tiny Snakemake run."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import snakemake, tiny_config, write_config

from shrinkflow import rd, rd_grid
from shrinkflow.config import ConfigError, check_study
from shrinkflow.rd import metrics
from shrinkflow.rd_stage import bd_table, coin_reproduction, fit_float_point, load_images, rd_table, run_point
from shrinkflow.reproduction import load_published

PHOTOS = {"size": 16, "names": ["astronaut", "chelsea", "rocket"]}


def _block(**overrides):
    block = {"datasets": ["skimage_photos"], "photos": {"size": 16}, "codecs": {"jpeg": [10, 50]},
             "params": {}, "anchor": "jpeg"}  # fmt: skip
    block.update(overrides)
    return {"rate_distortion": block}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"datasets": ["mnist5k"]}, "rate_distortion.datasets: 'mnist5k' is not an RGB image set"),
        ({"codecs": {"jpeg": [10], "jpg": [5]}}, "unknown codec 'jpg'"),
        ({"codecs": {"jpeg": [10], "coin": ["5by20"]}}, "rate_distortion.codecs.coin"),
        ({"codecs": {"jpeg": [10], "coin_qn": ["5x20-b17-w"]}}, "bits 17"),
        ({"params": {"coin": {"iterations": 0}}}, "coin.iterations: 0"),
        ({"params": {"coin": {"iteration": 10}}}, "unknown parameter"),
        ({"codecs": {"webp": [10]}}, "rate_distortion.anchor: 'jpeg'"),
        ({"photos": {"size": 4}}, "image sides must be in 8"),
    ],
)
def test_bad_blocks_name_key_value_and_what_is_allowed(overrides, message):
    assert any(message in p for p in rd_grid.check(_block(**overrides))), rd_grid.check(_block(**overrides))


def test_check_study_reports_the_rate_distortion_block():
    config = tiny_config(**_block(datasets=["mnist5k"]))
    with pytest.raises(ConfigError, match="not an RGB image set"):
        check_study(config)


def test_points_and_image_sets():
    config = _block(codecs={"jpeg": [10, 50], "coin": ["2x8"]})
    assert rd_grid.points(config) == [
        {"dataset": "skimage_photos", "codec": "jpeg", "level": "10"},
        {"dataset": "skimage_photos", "codec": "jpeg", "level": "50"},
        {"dataset": "skimage_photos", "codec": "coin", "level": "2x8"},
    ]
    assert "kodak" in rd_grid.image_sets() and "mnist5k" not in rd_grid.image_sets()
    assert rd_grid.points({}) == []


def _point(tmp_path, codec, level, params=None):
    out = tmp_path / codec / f"{level}.json"
    payloads = tmp_path / codec / f"{level}.payloads"
    result = run_point("skimage_photos", codec, level, params or {}, PHOTOS, str(out), str(payloads))
    return out, payloads, result


def test_jpeg_point_stores_real_files_and_bpp_is_their_bytes(tmp_path):
    out, payloads, result = _point(tmp_path, "jpeg", "50")
    assert json.loads(out.read_text())["mean"]["bpp"] == pytest.approx(result["mean"]["bpp"])
    assert result["skipped_images"] == {"rocket": "stored as JPEG (lossy)"}
    images, names, _ = load_images("skimage_photos", PHOTOS)
    for record, image in zip(result["images"], images, strict=True):
        data = (payloads / record["payload_file"]).read_bytes()
        assert record["payload_file"].endswith(".jpg")
        assert record["bpp"] == len(data) * 8 / (16 * 16)
        assert record["psnr_rgb"] == pytest.approx(metrics.psnr(image, rd.get("jpeg").decode(data)))


def test_coin_payload_file_alone_decodes_to_the_reported_psnr(tmp_path, one_thread):
    _, payloads, result = _point(tmp_path, "coin", "2x8", {"iterations": 30})
    images, _, _ = load_images("skimage_photos", PHOTOS)
    for record, image in zip(result["images"], images, strict=True):
        data = (payloads / record["payload_file"]).read_bytes()
        decoded = rd.get("coin").decode(data)  # nothing but the stored bytes
        assert metrics.psnr(image, decoded) == record["psnr_rgb"]
        assert record["stored_bytes"] == len(data)
        assert record["bpp"] == pytest.approx(8 * len(data) / 256)


def test_coin_ptq_levels_quantize_one_shared_float_fit(tmp_path, one_thread):
    params = {"iterations": 20}
    fits, sidecar = tmp_path / "2x8.pt", tmp_path / "2x8.json"
    record = fit_float_point("skimage_photos", "2x8", params, PHOTOS, str(fits), str(sidecar))
    assert record["seconds"] > 0 and len(record["images"]) == 2
    for level in ("2x8-b4-w", "2x8-b8-wb"):
        own = run_point("skimage_photos", "coin_ptq", level, params, PHOTOS, str(tmp_path / f"{level}.json"),
                        str(tmp_path / f"{level}.own"))  # fmt: skip
        shared = run_point("skimage_photos", "coin_ptq", level, params, PHOTOS,
                           str(tmp_path / f"{level}.s.json"), str(tmp_path / f"{level}.shared"),
                           float_fits=str(fits))  # fmt: skip
        for a, b in zip(own["images"], shared["images"], strict=True):
            assert (tmp_path / f"{level}.own" / a["payload_file"]).read_bytes() == (
                tmp_path / f"{level}.shared" / b["payload_file"]
            ).read_bytes()
            for key in ("psnr_rgb", "encoder_fit_psnr_rgb_float", "encoder_best_iteration"):
                assert a[key] == b[key], key
    # the quantizing job's thread count is its own; a fit made for other parameters or another architecture
    # is refused, naming what differs
    run_point("skimage_photos", "coin_ptq", "2x8-b4-w", params, PHOTOS, str(tmp_path / "t.json"),
              str(tmp_path / "t"), threads=2, float_fits=str(fits))  # fmt: skip
    with pytest.raises(ValueError, match="params"):
        run_point("skimage_photos", "coin_ptq", "2x8-b4-w", {"iterations": 21}, PHOTOS,
                  str(tmp_path / "x.json"), str(tmp_path / "x"), float_fits=str(fits))  # fmt: skip
    with pytest.raises(ValueError, match="architecture"):
        run_point("skimage_photos", "coin_ptq", "2x12-b4-w", params, PHOTOS, str(tmp_path / "y.json"),
                  str(tmp_path / "y"), float_fits=str(fits))  # fmt: skip


def _row(dataset, codec, level, bpp, psnr):
    fields = {"dataset": dataset, "codec": codec, "level": level, "bpp": bpp, "psnr_rgb": psnr}
    parsed = rd.parse_level(codec, level)
    arch = getattr(parsed, "architecture", parsed if isinstance(parsed, rd.Architecture) else None)
    target = getattr(parsed, "target", "")
    return {
        **fields,
        "architecture": arch.name if arch else "",
        "curve": f"{codec}-{target}" if target else codec,
    }


def test_bd_table_against_jpeg_and_lossless_points():
    jpeg = [
        _row("s", "jpeg", str(q), b, p) for q, b, p in [(10, 1.0, 25.0), (50, 2.0, 30.0), (90, 4.0, 35.0)]
    ]
    # webp: the same PSNR at 80% of the rate everywhere -> BD-rate -20%
    webp = [
        _row("s", "webp", str(q), 0.8 * r["bpp"], r["psnr_rgb"])
        for q, r in zip((5, 40, 80), jpeg, strict=True)
    ]
    png = [_row("s", "png", "full", 12.0, math.inf)]
    table = bd_table(pd.DataFrame(jpeg + webp + png))
    webp_row = table[table["curve"] == "webp"].iloc[0]
    assert webp_row["bd_rate_percent"] == pytest.approx(-20.0, abs=1e-6)
    png_row = table[table["curve"] == "png"].iloc[0]
    assert math.isnan(png_row["bd_rate_percent"]) and png_row["note"].startswith("lossless")


def test_coin_reproduction_verdicts():
    published = load_published()
    table = pd.DataFrame([
        _row("kodak", "coin", "5x20", 0.0736, 23.0),   # COIN: 23.205 dB -> within 0.5 dB
        _row("kodak", "coin", "5x30", 0.1604, 23.0),   # COIN: 24.641 dB -> below
        _row("skimage_photos", "coin", "5x20", 0.9, 19.0),
    ])  # fmt: skip
    out = coin_reproduction(table, published, 0.5)
    verdict = {(r.dataset, r.architecture): r.verdict for r in out.itertuples()}
    assert verdict[("kodak", "5x20")] == "reproduced"
    assert verdict[("kodak", "5x30")] == "not reproduced"
    assert verdict[("skimage_photos", "5x20")] == "not comparable"
    assert verdict[("", "13x49")] == "not run"
    assert set(out["architecture"]) == set(rd.COIN_ARCHITECTURES)


def test_rd_table_reads_points(tmp_path, one_thread):
    paths = [str(_point(tmp_path, "jpeg", q)[0]) for q in ("10", "50")]
    paths.append(str(_point(tmp_path, "coin_qn", "2x8-b4-wb", {"iterations": 20})[0]))
    table = rd_table(paths)
    assert list(table["curve"]) == ["coin_qn-wb", "jpeg", "jpeg"]
    qn = table.iloc[0]
    assert (qn["architecture"], qn["bits"], qn["target"], qn["images"]) == ("2x8", 4, "wb", 2)
    assert np.all(np.diff(table[table["codec"] == "jpeg"]["bpp"]) > 0)


def test_workflow_writes_the_rate_distortion_table_and_figures(workdir):
    config = tiny_config(**_block(codecs={"jpeg": [10, 50, 90], "png": ["full"], "coin": ["2x8"],
                                          "coin_qn": ["2x8-b4-w"], "coin_ptq": ["2x8-b4-w", "2x8-b8-w"]},
                                  params={"coin": {"iterations": 20}, "coin_qn": {"iterations": 20},
                                          "coin_ptq": {"iterations": 20}}))  # fmt: skip
    write_config(workdir, config)
    targets = ["results/tables/rate_distortion_bd.csv", "results/tables/coin_reproduction.csv",
               "results/figures/rate_distortion.png", "results/figures/coin_quantization.png"]  # fmt: skip
    snakemake(workdir, *targets)
    table = pd.read_csv(workdir / "results/tables/rate_distortion.csv")
    codecs = ["coin", "coin_ptq", "coin_ptq", "coin_qn", "jpeg", "jpeg", "jpeg", "png"]
    assert sorted(table["codec"]) == codecs
    # both coin_ptq levels quantize the one float fit of 2x8
    fit = workdir / "results/rd/skimage_photos/coin_ptq/float/2x8"
    assert fit.with_suffix(".pt").exists() and json.loads(fit.with_suffix(".json").read_text())["seconds"] > 0
    point = json.loads((workdir / "results/rd/skimage_photos/coin_ptq/2x8-b4-w.json").read_text())
    assert point["float_fits"] == "results/rd/skimage_photos/coin_ptq/float/2x8.pt"
    assert (workdir / "results/rd/skimage_photos/coin/2x8.payloads/astronaut.coin").exists()
    bd = pd.read_csv(workdir / "results/tables/rate_distortion_bd.csv")
    assert set(bd["curve"]) == {"coin", "coin_qn-w", "coin_ptq-w", "png"}
    for target in targets:
        assert (workdir / target).stat().st_size > 0


def test_coin_beats_jpeg_at_low_rates_only_is_judged_on_kodak():
    rows = [_row("kodak", "coin", "5x20", 0.07, 23.0), _row("kodak", "coin", "13x49", 1.2, 28.0)]
    jpeg = [(5, 0.2, 24.0), (20, 0.5, 28.0), (80, 1.3, 33.0)]
    rows += [_row("kodak", "jpeg", str(q), b, p) for q, b, p in jpeg]
    out = coin_reproduction(pd.DataFrame(rows), load_published())
    claim = out[out["architecture"] == "all"].iloc[0]
    # 0.07 bpp: JPEG cannot get there; 1.2 bpp: JPEG wins
    assert claim["verdict"] == "reproduced", claim["reason"]
    rows[0] = _row("kodak", "coin", "5x20", 0.3, 20.0)  # now JPEG wins at COIN's low rate too
    out = coin_reproduction(pd.DataFrame(rows), load_published())
    assert out[out["architecture"] == "all"]["verdict"].iloc[0] == "not reproduced"
