"""Rows per recurrent BLAS call (tsgate.blas.gemm_plan): what they cost, and what they change.

    python benchmarks/gemm_rows.py [--repeats N] [--out FILE]

1. The GEMM alone, as the kernels call it (:func:`tsgate.blas.dot_rows`):
   ``rows x K`` by ``K x N`` (the recurrent products of a cell of width H,
   forward and BPTT) for a chunk of 16 and of 128 rows (the 2 threads' shares
   of B = 32 and 256), in one call, in calls of 8, 4 and as many rows as
   OpenBLAS's small-matrix bound (M N K <= 100^3) allows, and as tsgate's plan
   (:func:`tsgate.blas.gemm_plan`: rows per call and column blocks); time
   relative to one call.
2. The networks (inference and a training step, ``bench_kernels.TsgateModel``)
   over bench_kernels.py's grid, one call per chunk (``TSGATE_GEMM_ROWS=0``)
   against the default (:func:`tsgate.blas.gemm_plan`), alternating in one
   process (the variable is read at every call), medians of the repeats.
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from bench_kernels import TsgateModel, blas_kernels, rows_policy  # noqa: E402

from tsgate.blas import dot_rows, gemm_plan, single_threaded_blas  # noqa: E402

SHAPES = [("LSTM", 64, 4), ("LSTM", 128, 4), ("LSTM", 256, 4), ("GRU", 128, 3), ("GRU", 256, 3)]


@numba.njit(cache=False)
def _calls(h, Wb, out, tmp, rows, reps):
    for _ in range(reps):
        dot_rows(h, Wb, out, tmp, rows)


def gemm_time(M, K, N, rows, blocks=1, reps=50):
    rng = np.random.default_rng(0)
    h, W = rng.standard_normal((M, K)).astype(np.float32), rng.standard_normal((K, N)).astype(np.float32)
    Wb = np.ascontiguousarray(W.reshape(K, blocks, N // blocks).transpose(1, 0, 2))
    out, tmp = np.empty((M, N), np.float32), np.empty((M, N // blocks), np.float32)
    with single_threaded_blas():
        _calls(h, Wb, out, tmp, rows, 5)
        ts = []
        for _ in range(7):
            t0 = time.perf_counter()
            _calls(h, Wb, out, tmp, rows, reps)
            ts.append((time.perf_counter() - t0) / reps)
    return float(np.median(ts))


def gemm_table():
    lines = ["| cell | H | product (K x N) | chunk rows | one call us | 8 rows | 4 rows | the bound's rows | "
             "tsgate's plan (rows per call x column blocks) |", "|---|---|---|---|---|---|---|---|---|"]
    for cell, H, G in SHAPES:
        for K, N, what in ((H, G * H, "h W_hh^T"), (G * H, H, "dA W_hh")):
            fits = max(1, 10 ** 6 // (K * N))
            rows, blocks = gemm_plan(K, N)
            for M in (16, 128):
                one = gemm_time(M, K, N, M)
                rel = [gemm_time(M, K, N, r) / one for r in (8, 4, fits)]
                plan = gemm_time(M, K, N, rows, blocks) / one
                cut = "one call" if rows >= M else (8 if rows >= 8 else 4)
                lines.append(f"| {cell} | {H} | {what} ({K} x {N}) | {M} | {one * 1e6:.1f} | {rel[0]:.2f} | "
                             f"{rel[1]:.2f} | {rel[2]:.2f} ({fits}) | {plan:.2f} ({cut} x {blocks}) |")
                print(lines[-1], flush=True)
    return lines


def _arm(value):
    if value is None:
        os.environ.pop("TSGATE_GEMM_ROWS", None)
    else:
        os.environ["TSGATE_GEMM_ROWS"] = value


def network_ab(cell, B, T, D, H, L, bi, repeats):
    """Median ms of inference and a training step, one call per chunk ('0') and the default (None)."""
    rng = np.random.default_rng(0)
    x, tgt = rng.standard_normal((T, B, D)).astype(np.float32), rng.standard_normal((B, 1)).astype(np.float32)
    model, arms = TsgateModel(cell, D, H, L, bi), ("0", None)
    for a in arms:
        _arm(a)
        model.train_step(x, tgt), model.infer(x)
    res = {a: ([], []) for a in arms}
    for r in range(repeats):
        for a in arms if r % 2 == 0 else arms[::-1]:
            _arm(a)
            t0 = time.perf_counter()
            model.infer(x)
            t1 = time.perf_counter()
            model.train_step(x, tgt)
            res[a][0].append(t1 - t0), res[a][1].append(time.perf_counter() - t1)
    _arm(None)
    return {a: (np.median(i) * 1e3, np.median(t) * 1e3) for a, (i, t) in res.items()}


def network_table(repeats):
    grid = [(B, T, D, H, L, False) for B in (32, 256) for T in (48, 336) for D in (1, 8)
            for H in (32, 128) for L in (1, 2)]
    grid += [(32, 48, 8, 64, 1, False), (256, 48, 8, 64, 1, False), (64, 96, 8, 64, 2, True),
             (32, 48, 8, 256, 1, False), (256, 48, 8, 256, 1, False)]
    lines = ["| cell | B | T | D | H | L | bi | infer ms, one call | infer ms | speed-up | train ms, one call | "
             "train ms | speed-up |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    speedups = {}
    for cell in ("lstm", "gru"):
        for B, T, D, H, L, bi in grid:
            r = network_ab(cell, B, T, D, H, L, bi, repeats)
            (i0, t0), (i1, t1) = r["0"], r[None]
            speedups.setdefault((cell, H), []).append((i0 / i1, t0 / t1))
            lines.append(f"| {cell} | {B} | {T} | {D} | {H} | {L} | {'y' if bi else 'n'} | {i0:.2f} | {i1:.2f} | "
                         f"{i0 / i1:.2f} | {t0:.2f} | {t1:.2f} | {t0 / t1:.2f} |")
            print(lines[-1], flush=True)
    summary = ["| cell | H | rows | median speed-up, inference | training |", "|---|---|---|---|---|"]
    for (cell, H), s in speedups.items():
        s = np.asarray(s)
        summary.append(f"| {cell.upper()} | {H} | {len(s)} | {np.median(s[:, 0]):.2f} | {np.median(s[:, 1]):.2f} |")
    return summary + [""] + lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--out")
    args = ap.parse_args()
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")),
               "unknown") if os.path.exists("/proc/cpuinfo") else "unknown"
    lines = [f"# Rows per recurrent BLAS call, {datetime.date.today().isoformat()}", "",
             f"- machine: {cpu}, {os.cpu_count()} logical CPUs; numba {numba.__version__}, {numba.get_num_threads()} "
             f"threads", f"- numpy's BLAS: {blas_kernels()}; recurrent GEMM calls: {rows_policy()}", "",
             "## 1. The GEMM alone (one thread; time relative to one call)", ""]
    print("\n".join(lines), flush=True)
    lines += gemm_table()
    lines += ["", f"## 2. The networks: one call per chunk against the default (medians of {args.repeats}, "
              "alternating in one process; speed-up = one call's time / the default's)", ""]
    lines += network_table(args.repeats)
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
