"""Rules declare what a scheduler needs (log, threads, resources, conda env), and the conda envs pin the same
packages and bounds as pyproject.toml.

The rule files are parsed statically (every ``rule``/``checkpoint`` block of ``workflow/rules/*.smk`` and the
Snakefile), so a rule added later is checked without editing this file; one test runs
``snakemake --list-rules`` to make sure the parser sees every rule Snakemake sees.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, snakemake, tiny_config, write_config
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

RULE_FILES = sorted((ROOT / "workflow" / "rules").glob("*.smk")) + [ROOT / "Snakefile"]

# pyproject name -> conda-forge name, where they differ.
CONDA_NAMES = {"torch": "pytorch"}
# Not on conda-forge (or not usable from it): must be listed under the env's `pip:` section.
PIP_ONLY = {"zfpy"}
# pyproject dependencies a rule env does not need: Snakemake drives the job from outside the env (its
# script preamble imports the host's snakemake package).
NOT_IN_ENVS = {"snakemake"}
# Env entries that are not Python distributions of pyproject.toml.
ENV_TOOLING = {"pip"}


# ---- static parse of rule files ------------------------------------------------------------------------


@dataclass
class RuleDecl:
    """The directives of one rule as written: name -> text of the directive's value (same line + body)."""

    name: str
    path: Path
    directives: dict[str, str] = field(default_factory=dict)

    def resource_names(self) -> set[str]:
        return set(re.findall(r"^\s*(\w+)\s*=", self.directives.get("resources", ""), re.MULTILINE))

    def string_value(self, directive: str) -> str | None:
        """The first string literal of a directive (e.g. the path of ``conda:`` or ``script:``)."""
        match = re.search(r"""["']([^"']+)["']""", self.directives.get(directive, ""))
        return match.group(1) if match else None

    @property
    def runs_code(self) -> bool:
        return bool({"script", "shell", "run", "wrapper", "notebook"} & set(self.directives))


def parse_rules(text: str, path: Path) -> list[RuleDecl]:
    """Rule blocks of a Snakemake file: a ``rule NAME:`` line at column 0, directives indented 4 spaces."""
    rules: list[RuleDecl] = []
    current: RuleDecl | None = None
    directive: str | None = None
    for line in text.splitlines():
        if m := re.match(r"^(?:rule|checkpoint)\s+(\w+)\s*:", line):
            current, directive = RuleDecl(m.group(1), path), None
            rules.append(current)
        elif line and not line[0].isspace() and not line.startswith("#"):
            current, directive = None, None  # any other top-level statement ends the rule
        elif current is not None and (m := re.match(r"^ {4}(\w+)\s*:(.*)$", line)):
            directive = m.group(1)
            current.directives[directive] = m.group(2).strip() + "\n"
        elif current is not None and directive is not None:
            current.directives[directive] += line + "\n"
    return rules


def all_rules() -> list[RuleDecl]:
    return [rule for path in RULE_FILES for rule in parse_rules(path.read_text(), path)]


def declaration_problems(rule: RuleDecl) -> list[str]:
    """What a rule that runs code lacks for a cluster: log, threads, resources mem_mb and runtime, conda."""
    if not rule.runs_code:
        return []
    where = f"rule {rule.name} ({rule.path.relative_to(ROOT)})"
    problems = [
        f"{where}: no {key}:" for key in ("log", "threads", "resources") if key not in rule.directives
    ]
    if "resources" in rule.directives:
        missing = {"mem_mb", "runtime"} - rule.resource_names()
        problems += [f"{where}: resources without {key}" for key in sorted(missing)]
    if "script" in rule.directives and "conda" not in rule.directives:
        problems.append(f"{where}: runs a script but names no conda env")
    return problems


def conda_env_path(rule: RuleDecl) -> Path:
    """The env file a rule names, resolved like Snakemake does (relative to the rule file)."""
    value = rule.string_value("conda")
    assert value, f"rule {rule.name}: conda: is not a string literal, cannot be checked statically"
    return (rule.path.parent / value).resolve()


# ---- env vs pyproject --------------------------------------------------------------------------------


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def conda_name(pypi_name: str) -> str:
    name = pypi_name.lower()
    return CONDA_NAMES.get(name, name)


def split_spec(entry: str) -> tuple[str, SpecifierSet]:
    """``"pytorch>=2.2"`` -> ("pytorch", SpecifierSet(">=2.2")); conda's spelling of simple bounds."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", entry)
    assert match, f"cannot parse env entry {entry!r}"
    return match.group(1).lower(), SpecifierSet(match.group(2).replace(" ", ""))


def env_packages(env: dict) -> tuple[dict[str, SpecifierSet], dict[str, SpecifierSet]]:
    """(conda packages, pip packages) of an environment.yml mapping, name -> version bounds."""
    conda, pip = {}, {}
    for entry in env.get("dependencies", []):
        if isinstance(entry, dict):
            for item in entry.get("pip", []):
                req = Requirement(item)
                pip[req.name.lower()] = req.specifier
        else:
            name, spec = split_spec(str(entry))
            conda[name] = spec
    return conda, pip


def env_drift(project: dict, env: dict) -> list[str]:
    """Every difference between pyproject's dependencies (and requires-python) and a conda env file."""
    conda, pip = env_packages(env)
    problems = []
    python = SpecifierSet(project["project"]["requires-python"])
    if conda.get("python") != python:
        problems.append(f"python: env has {conda.get('python')}, pyproject requires-python {python}")
    expected = {
        Requirement(dep).name.lower(): Requirement(dep).specifier
        for dep in project["project"]["dependencies"]
    }
    for name, spec in sorted(expected.items()):
        if name in NOT_IN_ENVS:
            continue
        section, listed = ("pip", pip) if name in PIP_ONLY else ("conda", conda)
        env_name = name if name in PIP_ONLY else conda_name(name)
        if env_name not in listed:
            other = conda if section == "pip" else pip
            where = (
                f" (listed under {'pip:' if section == 'conda' else 'conda'} instead)"
                if env_name in other
                else ""
            )
            problems.append(f"{env_name}: missing from the env's {section} packages{where}")
        elif listed[env_name] != spec:
            problems.append(
                f"{env_name}: env bounds {str(listed[env_name]) or 'none'}, pyproject {spec or 'none'}"
            )
    known_conda = {conda_name(n) for n in expected if n not in PIP_ONLY} | {"python"} | ENV_TOOLING
    problems += [
        f"{name}: in the env but not in pyproject dependencies" for name in sorted(set(conda) - known_conda)
    ]
    problems += [
        f"{name}: under pip: but not in pyproject dependencies" for name in sorted(set(pip) - set(expected))
    ]
    return problems


def load_env(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


# ---- tests ---------------------------------------------------------------------------------------------


def test_parser_finds_rules_in_every_rule_file():
    rules = all_rules()
    assert {"prepare_dataset", "compress", "train"} <= {rule.name for rule in rules}
    train = next(rule for rule in rules if rule.name == "train")
    assert {"mem_mb", "runtime"} <= train.resource_names()
    assert train.string_value("script") == "../../scripts/train.py"


def test_every_rule_that_runs_code_declares_log_threads_resources_and_env():
    problems = [problem for rule in all_rules() for problem in declaration_problems(rule)]
    assert problems == []


def test_every_named_env_file_exists_under_envs():
    envs_dir = (ROOT / "envs").resolve()
    for rule in all_rules():
        if "conda" in rule.directives:
            path = conda_env_path(rule)
            assert path.parent == envs_dir and path.suffix in {".yaml", ".yml"}, (rule.name, path)
            assert path.is_file(), f"rule {rule.name}: env file {path} does not exist"


@pytest.mark.parametrize("env_path", sorted((ROOT / "envs").glob("*.y*ml")), ids=lambda p: p.name)
def test_env_lists_pyproject_dependencies_with_the_same_bounds(env_path):
    assert env_drift(pyproject(), load_env(env_path)) == []


def test_declaration_check_catches_a_rule_missing_log_and_runtime():
    text = (
        "rule good:\n    output:\n        'a'\n    log:\n        'l'\n    threads: 1\n    resources:\n"
        "        mem_mb=100,\n        runtime=5,\n    conda:\n        'e.yaml'\n"
        "    script:\n        's.py'\n\n\n"
        "rule bad:\n    output:\n        'b'\n    threads: 1\n    resources:\n        mem_mb=100,\n"
        "    script:\n        's.py'\n\n\n"
        "rule target:\n    input:\n        'a',\n"
    )
    rules = parse_rules(text, ROOT / "workflow/rules/example.smk")
    assert [rule.name for rule in rules] == ["good", "bad", "target"]
    assert declaration_problems(rules[0]) == [] and declaration_problems(rules[2]) == []
    problems = declaration_problems(rules[1])
    assert any("no log:" in p for p in problems)
    assert any("without runtime" in p for p in problems)
    assert any("no conda env" in p for p in problems)
    assert not any("mem_mb" in p or "threads" in p for p in problems)


def test_drift_check_catches_changed_missing_misplaced_and_extra_packages():
    project = pyproject()
    env = load_env(ROOT / "envs/shrinkflow.yaml")
    assert env_drift(project, env) == []

    drifted = {"dependencies": []}
    for entry in env["dependencies"]:
        if isinstance(entry, dict):  # zfpy moved from pip: to conda
            drifted["dependencies"] += [item for item in entry["pip"]]
        elif entry.startswith("pytorch"):
            drifted["dependencies"].append("pytorch>=2.1")  # bound drifted
        elif entry.startswith("scipy"):
            continue  # dropped
        else:
            drifted["dependencies"].append(entry)
    drifted["dependencies"].append("requests>=2")  # not a project dependency
    problems = env_drift(project, drifted)
    assert any(p.startswith("pytorch: env bounds >=2.1, pyproject >=2.2") for p in problems)
    assert any(p.startswith("scipy: missing") for p in problems)
    assert any(p.startswith("zfpy: missing") and "conda instead" in p for p in problems)
    assert any(p.startswith("requests: in the env") for p in problems)
    assert len(problems) == 5  # the four above + zfpy listed as an unknown conda package


def test_name_mapping_covers_pillow_and_torch():
    assert conda_name("Pillow") == "pillow" and conda_name("torch") == "pytorch"
    assert split_spec("pillow >=10.0") == ("pillow", SpecifierSet(">=10.0"))


@pytest.mark.workflow
def test_static_parse_sees_every_rule_snakemake_sees(workdir: Path):
    # robustness off through its methods: valid whatever tiny_config's defaults are
    write_config(workdir, tiny_config(analysis={"enabled": ["output"], "robustness": {"methods": []}}))
    proc = snakemake(workdir, "--list-rules")
    listed = {line.strip() for line in proc.stdout.splitlines() if re.fullmatch(r"\s*\w+\s*", line)}
    assert listed, proc.stdout + proc.stderr
    assert listed == {rule.name for rule in all_rules()}
