"""Peak memory and wall time of ``tsgate forecast`` on large CSV files.

Writes a synthetic hourly series (daily and weekly seasons plus noise) of
N rows, runs the installed ``tsgate forecast FILE`` at default settings in a
child process and reports its wall time and peak resident memory (the
child's ru_maxrss). Issue targets on 2 cores: 1,000,000 rows in under 5
minutes and 2 GB.

    python benchmarks/memory.py --rows 100000 1000000 --out benchmarks/results/memory_<date>.md
"""

import argparse
import datetime
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd


def make_csv(path, rows, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    y = (100 + 10 * np.sin(2 * np.pi * t / 24) + 5 * np.sin(2 * np.pi * t / 168)
         + rng.standard_normal(rows))
    idx = pd.date_range("1900-01-01", periods=rows, freq="h")
    pd.DataFrame({"time": idx.strftime("%Y-%m-%d %H:%M:%S"), "load": y.round(3)}).to_csv(path, index=False)


def run(path):
    exe = shutil.which("tsgate") or os.path.join(os.path.dirname(sys.executable), "tsgate")
    t0 = time.perf_counter()
    p = subprocess.run([exe, "forecast", path, "--out", path + ".forecast.csv"], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux: KiB
    return p.returncode, wall, peak_mb, p.stderr.strip().splitlines()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--out", help="write a Markdown table here")
    args = ap.parse_args()
    rows_out = []
    with tempfile.TemporaryDirectory() as d:
        for rows in args.rows:
            path = os.path.join(d, f"series_{rows}.csv")
            make_csv(path, rows)
            code, wall, peak, err = run(path)  # ru_maxrss of children is a running maximum: largest last
            summary = next((line for line in err if line.startswith("LSTMForecaster")), err[-1] if err else "")
            rows_out.append((rows, code, wall, peak, summary))
            print(f"{rows:>9} rows: exit {code}, {wall:6.1f} s, peak RSS {peak:7.0f} MB  {summary}", flush=True)
    if args.out:
        lines = [f"# tsgate forecast on large CSV files ({datetime.date.today()})", "",
                 f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
                 "default settings, `tsgate forecast FILE --out F`; wall time and peak RSS of the child process.", "",
                 "| rows | exit | wall s | peak RSS MB | fit |", "|---|---|---|---|---|"]
        lines += [f"| {r:,} | {c} | {w:.1f} | {p:.0f} | {s} |" for r, c, w, p, s in rows_out]
        with open(args.out, "w") as fh:
            fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
