"""The package's shape: no import cycles, every module importable alone, one
backend seam, leaf modules that stay leaves, modules of about 400 lines."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "tsgate"
MODULES = sorted(p.stem for p in PKG.glob("*.py") if p.stem != "__init__")
GPU_ONLY = {m for m in MODULES if m.startswith("gpu_")}


def _tsgate_imports(path):
    """tsgate modules imported by ``path`` (any import, also inside functions)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level >= 1:
                base = (node.module or "").split(".")[0]
                out.update([base] if base else [a.name for a in node.names])
            elif node.module and node.module.startswith("tsgate."):
                out.add(node.module.split(".")[1])
            elif node.module == "tsgate":
                out.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[1] for a in node.names if a.name.startswith("tsgate."))
    return {m for m in out if m in MODULES}


def _graph():
    return {m: _tsgate_imports(PKG / f"{m}.py") - {m} for m in MODULES}


def _cycles(graph):
    """Every module that lies on a cycle (depth-first search)."""
    state, on_cycle = {}, set()

    def visit(v, path):
        state[v] = "open"
        for w in graph[v]:
            if state.get(w) == "open":
                on_cycle.update(path[path.index(w):])
            elif w not in state:
                visit(w, path + [w])
        state[v] = "done"

    for v in graph:
        if v not in state:
            visit(v, [v])
    return on_cycle


def test_no_import_cycles():
    assert _cycles(_graph()) == set()


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == {"a", "b", "c"}


@pytest.mark.parametrize("module", sorted(set(MODULES) - GPU_ONLY))
def test_each_module_imports_alone_in_a_fresh_interpreter(module):
    code = f"import tsgate.{module}, sys; assert 'numba.cuda' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_gpu_modules_import_alone_where_numba_cuda_imports():
    pytest.importorskip("numba.cuda")
    for module in sorted(GPU_ONLY):
        subprocess.run([sys.executable, "-c", f"import tsgate.{module}"], check=True, cwd=ROOT)


def test_only_the_backend_module_tests_the_device_string():
    offenders = [m for m in MODULES if m != "backend"
                 and ('== "cuda"' in (PKG / f"{m}.py").read_text() or "== 'cuda'" in (PKG / f"{m}.py").read_text())]
    assert offenders == []


def test_numba_cuda_is_imported_only_by_the_backend_and_gpu_modules():
    users = {m for m in MODULES if "numba import cuda" in (PKG / f"{m}.py").read_text()
             or "import numba.cuda" in (PKG / f"{m}.py").read_text()}
    assert users <= GPU_ONLY | {"backend"}, users - GPU_ONLY


@pytest.mark.parametrize("module,allowed", [("elementmath", {"math"}), ("errors", {"contextlib", "contextvars"}),
                                           ("bundle", {"io", "json", "os", "tempfile", "zipfile", "numpy"})])
def test_leaf_modules_stay_leaves(module, allowed):
    tree = ast.parse((PKG / f"{module}.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add("." if node.level else node.module.split(".")[0])
    assert imported <= allowed, imported - allowed


def test_modules_are_about_400_lines_at_most():
    long = {p.name: n for p in PKG.glob("*.py") if (n := len(p.read_text().splitlines())) > 420}
    assert long == {}


def test_forecaster_fit_is_short():
    tree = ast.parse((PKG / "forecaster.py").read_text())
    fit = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "fit")
    body = fit.body[1:] if isinstance(fit.body[0], ast.Expr) else fit.body  # without the docstring
    assert body[-1].end_lineno - body[0].lineno + 1 <= 30


def test_every_public_name_of_the_package_resolves():
    # tsgate's top-level names load lazily: each must point at a real object
    import tsgate

    for name in tsgate.__all__:
        assert getattr(tsgate, name) is not None, name
    assert tsgate.BaselineForecaster.__module__ == "tsgate.baselines"
