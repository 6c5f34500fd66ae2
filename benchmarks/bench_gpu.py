"""tsgate device='cuda' vs PyTorch with cuDNN: one command, prints the table.

Run on a machine with an NVIDIA GPU, numba-cuda and torch (CUDA build):

    python benchmarks/bench_gpu.py --out benchmarks/results/gpu_<device>_<date>.md

Grid: LSTM and GRU x B in {32, 256, 1024} x T in {48, 336} x H in {32, 128, 256}
(D = 8, one layer): inference and one training step (forward, BPTT, Adam on
all parameters, linear head on the last state), alternating tsgate and torch,
median of repeats, with torch.cuda.synchronize() and numba.cuda.synchronize()
around each timed call. Reports ratio = torch time / tsgate time, GFLOP/s and
the share of the device's measured float32 GEMM rate (torch.matmul 8192^2).

Status (2026-11-23): written without a GPU (none was lent to that session);
parity of the kernels is tested under Numba's CUDA simulator. The tsgate
side still copies inputs and weights to the device on every layer call and
runs Adam on the host, so expect it far from the targets until the training
loop is moved onto the device.
"""

import argparse
import datetime
import time
from pathlib import Path

import numpy as np

from bench_kernels import TorchModel, TsgateModel, flops


def timed(fn, sync):
    sync()
    t0 = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out")
    args = ap.parse_args()

    import torch
    from numba import cuda

    if not torch.cuda.is_available() or not cuda.is_available():
        raise SystemExit("bench_gpu.py needs a CUDA GPU visible to both torch and numba.cuda")
    torch.backends.cudnn.benchmark = True

    def sync():
        torch.cuda.synchronize()
        cuda.synchronize()

    a = torch.randn(8192, 8192, device="cuda")
    a @ a
    sync()
    t = min(timed(lambda: a @ a, sync) for _ in range(5))
    peak = 2 * 8192 ** 3 / t / 1e9
    name = torch.cuda.get_device_name()
    grid = [(B, T, H) for B in (32, 256, 1024) for T in (48, 336) for H in (32, 128, 256)]
    if args.quick:
        grid = [(32, 48, 32), (256, 336, 128)]
    lines = [f"# tsgate (device='cuda') vs PyTorch {torch.__version__} + cuDNN, {datetime.date.today()}", "",
             f"- device: {name}; measured float32 matmul rate: {peak:.0f} GFLOP/s",
             f"- D = 8, one layer; median of {args.repeats} alternating repeats; ratio = torch / tsgate", "",
             "| cell | B | T | H | infer ms | torch ms | ratio | train ms | torch ms | ratio | train GFLOP/s | % peak |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    for cell in ("lstm", "gru"):
        for B, T, H in grid:
            rng = np.random.default_rng(0)
            x = rng.standard_normal((T, B, 8)).astype(np.float32)
            y = rng.standard_normal((B, 1)).astype(np.float32)
            xt, yt = torch.tensor(x, device="cuda"), torch.tensor(y, device="cuda")
            ours = TsgateModel(cell, 8, H, 1, False, device="cuda")
            theirs = TorchModel(cell, 8, H, 1, False, device="cuda")
            for _ in range(2):
                ours.train_step(x, y), theirs.train_step(xt, yt), ours.infer(x), theirs.infer(xt)
            res = {k: ([], []) for k in ("inf", "train")}
            for _ in range(args.repeats):
                res["inf"][0].append(timed(lambda: ours.infer(x), sync))
                res["inf"][1].append(timed(lambda: theirs.infer(xt), sync))
                res["train"][0].append(timed(lambda: ours.train_step(x, y), sync))
                res["train"][1].append(timed(lambda: theirs.train_step(xt, yt), sync))
            (ai, bi), (at, bt) = [tuple(np.median(v) for v in res[k]) for k in ("inf", "train")]
            gf = 3 * flops(cell, T, B, 8, H, 1, False) / at / 1e9
            line = (f"| {cell} | {B} | {T} | {H} | {ai*1e3:.2f} | {bi*1e3:.2f} | {bi/ai:.2f} | "
                    f"{at*1e3:.2f} | {bt*1e3:.2f} | {bt/at:.2f} | {gf:.1f} | {100*gf/peak:.1f}% |")
            lines.append(line)
            print(line, flush=True)
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
