"""Config validation: the schema and shrinkflow.config reject bad studies with a message naming the key."""

from __future__ import annotations

import pytest
import yaml
from conftest import ROOT, snakemake, tiny_config, write_config

from shrinkflow.config import ConfigError, check_study, level_key


def test_default_config_passes_the_checks():
    check_study(yaml.safe_load((ROOT / "config.yaml").read_text()))


def test_level_key_spells_levels_as_paths_do():
    assert [level_key(v) for v in (7, 7.0, 0.5, "full")] == ["7", "7", "0.5", "full"]


def test_level_too_large_for_the_image_is_rejected_with_key_value_and_range():
    config = tiny_config(datasets={"mnist5k": {"downsample": [14, 40]}})
    with pytest.raises(ConfigError) as err:
        check_study(config)
    message = str(err.value)
    assert "datasets.mnist5k.downsample" in message
    assert "'40'" in message and "1..28" in message
    assert "14" not in message.replace("1..28", "")


def test_lossless_method_only_takes_full():
    with pytest.raises(ConfigError, match="identity.*'full'"):
        check_study(tiny_config(datasets={"mnist5k": {"identity": [3]}}))


def test_misspelled_method_fails_the_dry_run_with_one_readable_message(workdir):
    config = tiny_config(datasets={"mnist5k": {"identity": ["full"], "downsampel": [7]}})
    write_config(workdir, config, "bad.yaml")
    write_config(workdir, tiny_config())
    proc = snakemake(workdir, "-n", "--configfile", "bad.yaml", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "downsampel" in out
    assert "downsample" in out  # the allowed values are listed
    assert "Traceback" not in out


def test_wrong_type_fails_before_any_job_runs(workdir):
    write_config(workdir, tiny_config(seeds="zero"))
    proc = snakemake(workdir, "-n", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "seeds" in out and "zero" in out
    assert "Traceback" not in out
    assert not (workdir / "results").exists()


def test_level_out_of_range_fails_the_dry_run_naming_the_key(workdir):
    write_config(workdir, tiny_config(datasets={"mnist5k": {"downsample": [99]}}))
    proc = snakemake(workdir, "-n", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "datasets.mnist5k.downsample" in out and "99" in out
    assert "Traceback" not in out


def test_models_per_dataset_must_cover_every_dataset():
    config = tiny_config(
        datasets={"mnist5k": {"identity": ["full"]}, "cifar10": {"identity": ["full"]}},
        models={"cifar10": ["resnet20"]},
    )
    with pytest.raises(ConfigError, match=r"models: no model list for dataset\(s\) \['mnist5k'\]"):
        check_study(config)


def test_models_per_dataset_train_only_their_models(workdir):
    config = tiny_config(
        models={"mnist5k": ["lenet300"]}, analysis={"enabled": [], "robustness": {"models": []}}
    )
    write_config(workdir, config)
    out = snakemake(workdir, "-n").stdout
    assert "model=lenet300" in out and "model=cnn1d_paper" not in out


def test_an_unknown_reproduction_study_is_rejected_naming_the_known_ones():
    expected = r"reproduction.studies: unknown study 'less_is_mor'; allowed: .*less_is_more"
    with pytest.raises(ConfigError, match=expected):
        check_study(tiny_config(reproduction={"studies": ["less_is_mor"]}))
