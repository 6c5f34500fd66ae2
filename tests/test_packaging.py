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


def test_console_script_from_the_installed_wheel(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    script = target / "bin" / "tsgate"
    assert script.exists()
    env = dict(os.environ, PYTHONPATH=str(target))
    out = subprocess.run([sys.executable, str(script), "datasets", "export", "airpassengers"],
                         cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.splitlines()[0] == "month,passengers" and len(out.stdout.splitlines()) == 145
    bad = subprocess.run([sys.executable, str(script), "forecast", "missing.csv"], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.strip() == "tsgate: error: missing.csv: no such file"


def test_numba_cache_goes_to_the_user_cache_dir_even_when_site_packages_is_read_only(wheel, tmp_path):
    # Root ignores file modes, so the read-only install is simulated: every
    # directory creation or probe file under the install target fails, as it
    # would on a read-only site-packages. Kernels must still run, and their
    # cache must land in tsgate's user cache directory ($XDG_CACHE_HOME/tsgate/numba).
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    code = f"""
import os, tempfile
SITE = {str(target)!r}
_makedirs, _tmpfile = os.makedirs, tempfile.TemporaryFile
def makedirs(p, *a, **k):
    if str(p).startswith(SITE):
        raise PermissionError(13, 'read-only file system', str(p))
    return _makedirs(p, *a, **k)
def tmpfile(*a, dir=None, **k):
    if dir is not None and str(dir).startswith(SITE):
        raise PermissionError(13, 'read-only file system', str(dir))
    return _tmpfile(*a, dir=dir, **k)
os.makedirs, tempfile.TemporaryFile = makedirs, tmpfile
import numpy as np
from tsgate.network import RecurrentNetwork
net = RecurrentNetwork('rnn', 2, 3)
y, h, c = net.forward(np.ones((3, 2, 2), np.float32))
net.backward(np.ones_like(y))
print('ok')
"""
    env = dict(os.environ, PYTHONPATH=str(target), XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("NUMBA_CACHE_DIR", None)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
    assert list((tmp_path / "cache" / "tsgate" / "numba").rglob("*.nbi")), "no kernel cached in the user cache dir"
    assert not list(target.rglob("*.nbi")), "cache written into the read-only install"


def test_non_editable_install_into_a_fresh_venv(wheel, tmp_path):
    # A new venv (no pip of its own, dependencies shared through a .pth file
    # pointing at this environment's site-packages, so no network is needed);
    # the wheel is installed non-editable by this pip into it.
    venv, vpy, purelib = _fresh_venv(tmp_path)
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(vpy), "install", "--no-deps", "-q",
                        str(wheel)], capture_output=True, text=True)
    if r.returncode != 0 and "no such option: --python" in r.stderr:
        pytest.skip("pip too old for --python")
    assert r.returncode == 0, r.stderr[-2000:]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    code = ("import tsgate, tsgate.datasets as d; from tsgate import LSTMForecaster;"
            f"assert tsgate.__file__.startswith({str(purelib)!r}), tsgate.__file__;"
            "print(len(d.load('co2_weekly')), len(d.mackey_glass(50, tau=30)))")
    out = subprocess.run([str(vpy), "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["2284", "50"]
    listing = subprocess.run([str(venv / "bin" / "tsgate"), "datasets", "list"], cwd=tmp_path, env=env,
                             capture_output=True, text=True)
    assert listing.returncode == 0 and "sunspots_monthly" in listing.stdout, listing.stderr[-2000:]


def _fresh_venv(tmp_path):
    """A venv without pip whose dependencies come from this environment (.pth)."""
    import site
    import sysconfig

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    vpy = venv / "bin" / "python"
    purelib = subprocess.run([str(vpy), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], *site.getsitepackages()}
    Path(purelib, "_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    return venv, vpy, Path(purelib)


def test_readme_commands_in_sequence_keep_the_install_whole(tmp_path):
    # The README's main job installs non-editable and runs a forecast (which
    # compiles and caches kernels); its test command then installs editable
    # into the same venv. Kernel caches must never land in site-packages, or
    # the uninstall leaves an empty 'tsgate' namespace package behind.
    venv, vpy, purelib = _fresh_venv(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "NUMBA_CACHE_DIR")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    pip = [sys.executable, "-m", "pip", "--python", str(vpy), "install", "--no-deps", "--no-build-isolation", "-q"]
    r = subprocess.run([*pip, str(ROOT)], capture_output=True, text=True)
    if r.returncode != 0 and "no such option: --python" in r.stderr:
        pytest.skip("pip too old for --python")
    assert r.returncode == 0, r.stderr[-2000:]
    work = tmp_path / "work"
    work.mkdir()
    exe = str(venv / "bin" / "tsgate")
    run = lambda *a: subprocess.run([exe, *a], cwd=work, env=env, capture_output=True, text=True)  # noqa: E731
    assert run("datasets", "export", "airpassengers", "--out", "air.csv").returncode == 0
    fc = run("forecast", "air.csv", "--horizon", "3", "--epochs", "2", "--quiet", "--save-model", "m.tsgate")
    assert fc.returncode == 0, fc.stderr[-2000:]
    assert not list((purelib / "tsgate").rglob("*.nb[ic]")), "kernel cache written into site-packages"
    assert list((tmp_path / "cache" / "tsgate" / "numba").rglob("*.nbi"))
    r = subprocess.run([*pip, "-e", str(ROOT)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    pred = subprocess.run([exe, "predict", str(work / "m.tsgate")], cwd=elsewhere, env=env, capture_output=True,
                          text=True)
    assert pred.returncode == 0, pred.stderr[-2000:]
    assert pred.stdout.splitlines()[0] == "month,passengers,passengers_lower,passengers_upper"
    code = "import tsgate; from tsgate import LSTMForecaster; print(tsgate.__file__)"
    out = subprocess.run([str(vpy), "-c", code], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == str(ROOT / "tsgate" / "__init__.py")  # the editable install
