"""The library's module graph: no import cycles, no oversized modules, light registries for the Snakefile."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

SRC = ROOT / "src"
PACKAGE = SRC / "shrinkflow"
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_level(tree: ast.Module):
    """Import statements executed at import time (not inside functions or ``if TYPE_CHECKING:``)."""
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            yield from (n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom))
        elif isinstance(node, ast.Try):
            yield from (n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom))


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in _module_level(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = package
                for _ in range(node.level - 1):
                    base = base.rsplit(".", 1)[0]
                base = (f"{base}.{node.module}" if node.module else base) if node.level else node.module
                # `from pkg import sub` imports the submodule when there is one
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_library_has_no_import_cycle():
    graph = import_graph()
    assert "shrinkflow.datasets.fetch" in graph and graph["shrinkflow.download.__main__"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_library_module_is_over_400_lines_without_saying_why():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        if len(text.splitlines()) > MAX_LINES:
            docstring = ast.get_docstring(ast.parse(text)) or ""
            assert "lines" in docstring, f"{path.relative_to(ROOT)}: {len(text.splitlines())} lines"


@pytest.mark.parametrize("module", ["shrinkflow.layout", "shrinkflow.analysis", "shrinkflow.tables",
                                    "shrinkflow.plots"])  # fmt: skip
def test_registries_the_snakefile_reads_import_nothing_heavy(module):
    code = (
        f"import sys, {module}; "
        "print(sorted(m for m in ('torch', 'pandas', 'matplotlib', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_rule_scripts_import_the_library_of_their_own_checkout(tmp_path):
    """A job's sys.path has the checkout's src at its end (Snakemake appends the main process's path,
    after site-packages); the script setup must move it first, or an editable install of another checkout
    wins."""
    fake = tmp_path / "checkout"
    (fake / "scripts").mkdir(parents=True)
    (fake / "src" / "shrinkflow").mkdir(parents=True)
    (fake / "src" / "shrinkflow" / "__init__.py").write_text("MARK = 'this checkout'\n")
    (fake / "scripts" / "_script_setup.py").write_text((ROOT / "scripts/_script_setup.py").read_text())
    code = (
        f"import sys; sys.path.append({str(fake / 'src')!r}); sys.path.insert(0, {str(fake / 'scripts')!r}); "
        "import _script_setup, shrinkflow; print(getattr(shrinkflow, 'MARK', shrinkflow.__file__))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "this checkout"


def test_the_snakefile_parses_without_torch_scipy_or_pandas():
    """What common.smk imports at parse time, and the config check of the default study, load no heavy
    library: every `snakemake` call (a dry run, a cluster submission) pays only Snakemake's own start."""
    code = (
        "import sys, yaml\n"
        "from snakemake.utils import validate\n"
        "from shrinkflow import analysis, codecs, datasets, l0, l0_grid, layout, mlp_study\n"
        "from shrinkflow import model_compression, model_grid, models, plots, rd, rd_grid, tables\n"
        "from shrinkflow.config import check_study\n"
        "config = yaml.safe_load(open('config.yaml'))\n"
        "validate(config, 'workflow/schemas/config.schema.yaml')\n"
        "check_study(config)\n"
        "codecs.method_info()\n"
        "print(sorted(m for m in ('torch', 'scipy', 'pandas', 'matplotlib') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
