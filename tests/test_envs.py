"""Rules declare what a scheduler needs (log, threads, resources, conda env), and the conda envs pin the same
packages and bounds as pyproject.toml.

The rule files are parsed statically (every ``rule``/``checkpoint`` block of ``workflow/rules/*.smk`` and the
Snakefile), so a rule added later is checked without editing this file; one test runs
``snakemake --list-rules`` to make sure the parser sees every rule Snakemake sees.
"""

from __future__ import annotations

import re
import subprocess
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
PIP_ONLY = {"zfpy", "bjontegaard"}  # not on conda-forge
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
    """Rule blocks of a Snakemake file: a ``rule NAME:`` line (or, inside a loop over a registry, an
    indented ``rule:`` whose ``name:`` directive is an f-string template such as ``f"analyze_{name}"``),
    directives indented 4 spaces deeper than the rule line."""
    rules: list[RuleDecl] = []
    current: RuleDecl | None = None
    directive: str | None = None
    indent = 0
    for line in text.splitlines():
        if m := re.match(r"^(\s*)(?:rule|checkpoint)\s*(\w*)\s*:\s*$", line):
            indent = len(m.group(1))
            current, directive = RuleDecl(m.group(2), path), None
            rules.append(current)
        elif line.strip() and not line.startswith(" " * (indent + 1)) and not line.lstrip().startswith("#"):
            current, directive = None, None  # any statement at the rule's level or above ends the rule
        elif current is not None and (m := re.match(rf"^ {{{indent + 4}}}(\w+)\s*:(.*)$", line)):
            directive = m.group(1)
            current.directives[directive] = m.group(2).strip() + "\n"
        elif current is not None and directive is not None:
            current.directives[directive] += line + "\n"
    for rule in rules:
        if not rule.name:  # a rule defined in a loop: its name template
            template = re.search(r"""f?["']([^"']+)["']""", rule.directives.get("name", ""))
            assert template, f"{path}: a rule without a name"
            rule.name = template.group(1)
    return rules


def rule_name_pattern(name: str) -> re.Pattern[str]:
    """A parsed rule name as a pattern (a loop rule's ``{field}`` matches any word)."""
    return re.compile(re.sub(r"\\\{\w+\\\}", r"\\w+", re.escape(name)) + "$")


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


def expected_packages(project: dict) -> dict[str, SpecifierSet]:
    """pyproject dependencies an env may list, by env name (conda name, or the pip name if pip-only)."""
    out = {}
    for dep in project["project"]["dependencies"]:
        req = Requirement(dep)
        name = req.name.lower()
        if name not in NOT_IN_ENVS:
            out[name if name in PIP_ONLY else conda_name(name)] = req.specifier
    return out


def env_drift(project: dict, env: dict) -> list[str]:
    """Every entry of a conda env file whose bounds differ from pyproject's (or that pyproject lacks, or
    that sits in the wrong section); an env may list a subset of the dependencies."""
    conda, pip = env_packages(env)
    expected = expected_packages(project)
    problems = []
    python = SpecifierSet(project["project"]["requires-python"])
    if conda.get("python") != python:
        problems.append(f"python: env has {conda.get('python')}, pyproject requires-python {python}")
    for section, listed in (("conda", conda), ("pip", pip)):
        for name, spec in sorted(listed.items()):
            if name == "python" or (section == "conda" and name in ENV_TOOLING):
                continue
            if name not in expected:
                problems.append(f"{name}: under {section} in the env but not in pyproject dependencies")
            elif (name in PIP_ONLY) != (section == "pip"):
                home = "pip:" if name in PIP_ONLY else "conda"
                problems.append(f"{name}: listed under {section} but belongs under {home}")
            elif spec != expected[name]:
                want = expected[name] or "none"
                problems.append(f"{name}: env bounds {str(spec) or 'none'}, pyproject {want}")
    return problems


def envs_missing(project: dict, envs: list[dict]) -> list[str]:
    """pyproject dependencies that no env lists."""
    listed = set()
    for env in envs:
        conda, pip = env_packages(env)
        listed |= set(conda) | set(pip)
    return sorted(set(expected_packages(project)) - listed)


def load_env(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


# ---- tests ---------------------------------------------------------------------------------------------


def test_parser_finds_rules_in_every_rule_file():
    rules = all_rules()
    assert {"prepare_dataset", "compress", "train", "analyze_run", "figure_{name}"} <= {
        rule.name for rule in rules
    }
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


def test_every_pyproject_dependency_is_in_some_env():
    envs = [load_env(p) for p in sorted((ROOT / "envs").glob("*.y*ml"))]
    assert envs_missing(pyproject(), envs) == []


def test_table_and_figure_rules_use_the_light_env_without_torch():
    light = env_packages(load_env(ROOT / "envs/plots.yaml"))[0]
    assert "pytorch" not in light and "captum" not in light
    for rule in all_rules():
        if rule.path.name in ("aggregate.smk", "figures.smk"):  # tables, figures, study pages
            assert conda_env_path(rule).name == "plots.yaml", rule.name
        elif "conda" in rule.directives:
            assert conda_env_path(rule).name == "torch.yaml", rule.name


def test_table_and_figure_code_imports_no_torch():
    """What a table or figure job imports runs in the light env: no torch, no captum."""
    code = (
        "import sys; import shrinkflow.tables.build, shrinkflow.reports, shrinkflow.plots as p; "
        "[__import__(f'shrinkflow.plots.{f.module}') for f in p.FIGURES.values()]; "
        "bad = sorted(m for m in ('torch', 'captum', 'zfpy') if m in sys.modules); print(bad); "
        "sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_drift_check_catches_changed_misplaced_and_extra_packages():
    project = pyproject()
    env = load_env(ROOT / "envs/torch.yaml")
    assert env_drift(project, env) == []

    drifted = {"dependencies": []}
    for entry in env["dependencies"]:
        if isinstance(entry, dict):  # zfpy (and bjontegaard) moved from pip: to conda
            drifted["dependencies"] += [item for item in entry["pip"]]
        elif entry.startswith("pytorch>"):
            drifted["dependencies"].append("pytorch>=2.1")  # bound drifted
        elif entry.startswith("scipy"):
            continue  # dropped: another env may list it
        else:
            drifted["dependencies"].append(entry)
    drifted["dependencies"].append("requests>=2")  # not a project dependency
    problems = env_drift(project, drifted)
    assert any(p.startswith("pytorch: env bounds >=2.1, pyproject >=2.2") for p in problems)
    assert any(p.startswith("zfpy: listed under conda but belongs under pip:") for p in problems)
    assert any(p.startswith("requests: under conda in the env") for p in problems)
    assert len(problems) == 2 + len(PIP_ONLY)
    assert envs_missing(project, [drifted]) == ["matplotlib", "pyyaml", "scipy", "seaborn"]


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
    exact = {rule.name for rule in all_rules() if "{" not in rule.name}
    templates = {rule.name: rule_name_pattern(rule.name) for rule in all_rules() if "{" in rule.name}
    assert exact <= listed, exact - listed
    for name in listed - exact:  # each rule defined in a loop matches exactly one template
        assert sum(bool(p.match(name)) for p in templates.values()) == 1, name
    for name, pattern in templates.items():
        assert any(pattern.match(n) for n in listed - exact), name
