"""A wheel built from the repo installs tsgate, tsgate.cli and tsgate.datasets
(with data) and the console script, and no generic top-level packages."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    pytest.importorskip("setuptools")
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (whl,) = out.glob("tsgate-*.whl")
    return whl


def test_wheel_layout(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"tsgate", next(t for t in tops if t.endswith(".dist-info"))}, tops
    assert "tsgate/cli/__init__.py" in names
    assert "tsgate/datasets/__init__.py" in names
    assert "tsgate/datasets/data/airpassengers.csv" in names
    assert "tsgate/datasets/data/airpassengers.md" in names
    ep = next(n for n in names if n.endswith("entry_points.txt"))
    assert "tsgate = tsgate.cli:main" in zipfile.ZipFile(wheel).read(ep).decode()


def test_installed_wheel_works_outside_the_repo(wheel, tmp_path):
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                           "--target", str(target), str(wheel)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not (target / "cli").exists() and not (target / "datasets").exists()
    code = (
        "import importlib.util, tsgate, tsgate.cli, tsgate.datasets as d;"
        f"assert tsgate.__file__.startswith({str(target)!r}), tsgate.__file__;"
        "assert importlib.util.find_spec('cli') is None;"
        "assert importlib.util.find_spec('datasets') is None;"
        "print(len(d.load('airpassengers')))"
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "144"
