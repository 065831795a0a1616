"""The config schema: its name lists are the registries', and its violations read as one line each."""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import ROOT, snakemake, tiny_config, write_config

from shrinkflow import analysis, codecs, datasets, models
from shrinkflow.config import ConfigError, check_schema

SCHEMA_PATH = ROOT / "workflow/schemas/config.schema.yaml"
SCHEMA = yaml.safe_load(SCHEMA_PATH.read_text())
REGISTRIES = {
    "datasets": datasets.names(),
    "methods": codecs.names(),
    "models": models.names(),
    "analyses": analysis.names(),
}


def _enums(node, where="schema"):
    """(key path, enum list) of every enum in the schema."""
    if isinstance(node, dict):
        if isinstance(node.get("enum"), list):
            yield where, node["enum"]
        for key, value in node.items():
            yield from _enums(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _enums(value, f"{where}[{i}]")


def test_every_name_list_of_the_schema_is_a_whole_registry():
    """Any enum that names a dataset, method, model or analysis lists exactly its registry's names, so a
    new codec cannot be forgotten in one of the lists."""
    checked = {name: 0 for name in REGISTRIES}
    for where, values in _enums(SCHEMA):
        for name, registry in REGISTRIES.items():
            if set(values) & set(registry):
                assert sorted(values) == sorted(registry), f"{where}: {values}; registry {name}: {registry}"
                checked[name] += 1
    assert checked["datasets"] >= 3 and checked["methods"] >= 3 and checked["models"] >= 4, checked
    assert checked["analyses"] == 1


def test_each_name_list_is_written_once_in_the_file():
    text = SCHEMA_PATH.read_text()
    for anchor in REGISTRIES:
        assert text.count(f"&{anchor} ") == 1, anchor
    assert text.count("mnist5k]") == 1  # every other dataset list is an alias


def _error(config) -> str:
    with pytest.raises(ConfigError) as err:
        check_schema(config, SCHEMA)
    return str(err.value)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda c: c.update(models=["resnet99"]),
         "models[0]: 'resnet99' is not allowed (did you mean 'resnet20'?); allowed: alexnet, cnn1d_paper, "
         "cnn2d, cnn2d_bn, lenet300, lenet5, resnet110, resnet20, vgg19_bn"),
        (lambda c: c.update(seeds=[0, -1]), "seeds[1]: -1 is less than the minimum of 0"),
        (lambda c: c.update(trian={"epochs": 3}), "config: unknown key 'trian' (did you mean 'train'?)"),
        (lambda c: c["datasets"]["mnist5k"].update(dtc=[4]),
         "datasets.mnist5k: unknown name 'dtc' (did you mean 'dct'?); allowed: binary_then_resize, dct,"),
        (lambda c: c["train"].update(epochs="five"), "train.epochs: 'five' is not of type integer"),
        (lambda c: c.update(models={"mnist5k": ["cnn2"]}), "models.mnist5k[0]: 'cnn2' is not allowed"),
        (lambda c: c.pop("seeds"), "config: missing required key 'seeds'"),
    ],
)  # fmt: skip
def test_schema_violations_are_one_line_each_naming_key_value_and_allowed(change, expected):
    config = copy.deepcopy(tiny_config())
    change(config)
    message = _error(config)
    lines = message.splitlines()
    assert lines[0] == "invalid config:" and len(lines) == 2, message
    assert expected in lines[1]


def test_several_violations_are_listed_together():
    config = tiny_config(models=["nope"], seeds=[-3])
    assert len(_error(config).splitlines()) == 3


def test_default_config_and_presets_pass_the_schema():
    for path in [ROOT / "config.yaml", *sorted((ROOT / "workflow/presets").glob("*.yaml"))]:
        check_schema(yaml.safe_load(path.read_text()), SCHEMA)


@pytest.mark.workflow
def test_a_schema_violation_stops_snakemake_with_the_one_line_message_and_no_schema_dump(workdir):
    write_config(workdir, tiny_config(models=["resnet99"], seeds=[-1]))
    proc = snakemake(workdir, "-n", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "models[0]: 'resnet99' is not allowed" in out and "seeds[0]: -1 is less than the minimum" in out
    assert "Failed validating" not in out and "Traceback" not in out
    assert not (workdir / "results").exists()
