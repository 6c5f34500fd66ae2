"""The README's Python blocks run as they stand, one after the other, and
print what their comments say."""

import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def blocks():
    """The README's ```python blocks, dedented, in order."""
    text = README.read_text(encoding="utf-8")
    return [textwrap.dedent(b) for b in re.findall(r"^ *```python\n(.*?)^ *```", text, re.S | re.M)]


def run(code, cwd):
    """Run ``code`` with ``python -c`` (as typed at a prompt: a worker process
    that dask starts has no script to import); its stdout."""
    out = subprocess.run([sys.executable, "-c", code], text=True, capture_output=True, cwd=cwd, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_the_readme_has_its_four_blocks():
    found = blocks()
    assert len(found) == 4
    assert "RecurrentNetwork" in found[1] and "tsgate.dask" in found[3]


def test_the_first_block_forecasts_airpassengers_as_it_says(tmp_path):
    code = blocks()[0]
    said = float(re.search(r"print\(metrics\.mae.*# ([0-9.]+)", code).group(1))
    mae = float(run(code, tmp_path).split()[-1])
    assert mae == pytest.approx(said, rel=0.05)  # the README's number, to its rounding on another machine
    assert (tmp_path / "air.tsgate").is_file()


def test_the_network_block_matches_torch(tmp_path):
    pytest.importorskip("torch")
    code = blocks()[1]
    assert float(run(code, tmp_path).split()[-1]) < 1e-5


def test_the_panel_and_dask_blocks_run_one_after_the_other(tmp_path):
    pytest.importorskip("dask.distributed")
    many, dask = blocks()[2:]
    code = many + dask + "print(len(forecasts), sorted(forecasts.unique_id.unique()), list(bands.columns))\n"
    last = run(code, tmp_path).strip().splitlines()[-1]
    assert last.startswith("32 ['cpi', 'realcons', 'realgdp', 'realinv']")  # 4 series x horizon 8
    assert "y_upper_95" in last
