"""tsgate device='cuda' vs PyTorch with cuDNN: one command, prints the table.

Run on a machine with an NVIDIA GPU, numba-cuda and torch (CUDA build):

    python benchmarks/bench_gpu.py --out benchmarks/results/gpu_<device>_<date>.md

It first runs the GPU parity tests at real sizes (tests/test_gpu_backend.py,
tests/test_gpu_training.py; --skip-tests to leave them out) and writes their
summary line into the table's header, then benchmarks.

Grid: LSTM and GRU x B in {32, 256, 1024} x T in {48, 336} x H in {32, 128, 256}
(D = 8, one layer): inference and one training step (forward, BPTT, Adam on
all parameters, linear head on the last state), alternating tsgate and torch,
median of repeats, with torch.cuda.synchronize() and numba.cuda.synchronize()
around each timed call. Reports ratio = torch time / tsgate time, GFLOP/s and
the share of the device's measured float32 GEMM rate (torch.matmul 8192^2).

tsgate side: the device-resident path the estimators use (SequenceModel on
device='cuda', tsgate.gpu_training.DeviceRunner): data uploaded once, one
epoch of one batch = one training step (forward, loss, BPTT, gradient norm,
clipping, Adam, all kernels), plus the per-epoch download of the loss and
the divergence flag, as torch's loss.item() also synchronises. Inference is
the device forward + head on device-resident data.

Results: benchmarks/results/gpu_h200_2026-12-04.md (the first lent GPU).
benchmarks/gpu_session.sh runs this, the GPU tests and gpu_e2e.py in one command.
"""

import argparse
import datetime
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench_kernels import TorchModel, flops


class DeviceTsgate:
    """One-layer network + linear head trained on the device, like the estimators."""

    def __init__(self, cell, D, H, x, y):
        from numba import cuda

        from tsgate.elementmath import LOSS_MSE, OPT_ADAM
        from tsgate.gpu_training import DeviceRunner
        from tsgate.training import ArraySource, SequenceModel

        self.model = SequenceModel(cell, D, H, 1, device="cuda", random_state=0)
        X = np.ascontiguousarray(x.transpose(1, 0, 2))  # batch-first, as the estimators pass it
        self.runner = DeviceRunner(self.model, ArraySource(X, y), None, loss_code=LOSS_MSE,
                                   tau=np.full(1, 0.5), huber_delta=1.0, optimizer_code=OPT_ADAM,
                                   weight_decay=0.0, momentum=0.9, clip_norm=1.0, batch_size=len(X),
                                   random_state=0)
        self.order = np.arange(len(X))
        self.idx = cuda.to_device(self.order)

    def train_step(self):
        return self.runner.epoch(self.order, 1e-3, 0)

    def infer(self):
        """One forward pass inside the model's workspace, as ``predict_on_device`` runs it
        (outside one, each call would allocate its buffers anew with cudaMalloc)."""
        from tsgate.gpu_core import using

        X, _, E = self.runner.data.resident  # the windows, uploaded once
        with using(self.runner.dm.ws):
            return self.runner.dm.forward(X, E, self.idx)


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
    ap.add_argument("--skip-tests", action="store_true")
    ap.add_argument("--sizes", help="BxTxH,... instead of the grid, e.g. 32x336x256,1024x336x256")
    args = ap.parse_args()
    tests = "not run (--skip-tests)"
    if not args.skip_tests:
        root = Path(__file__).resolve().parents[1]
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              "tests/test_gpu_backend.py", "tests/test_gpu_training.py"],
                             cwd=root, capture_output=True, text=True)
        tests = (run.stdout.strip().splitlines() or ["no output"])[-1]
        print(run.stdout[-3000:], run.stderr[-2000:], sep="\n", flush=True)
        if run.returncode != 0:
            raise SystemExit(f"GPU parity tests failed ({tests}); not benchmarking")

    import torch
    from numba import cuda

    from tsgate import config, gpu_core

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
    if args.sizes:
        grid = [tuple(int(v) for v in size.split("x")) for size in args.sizes.split(",")]
    lines = [f"# tsgate (device='cuda') vs PyTorch {torch.__version__} + cuDNN, {datetime.date.today()}", "",
             f"- device: {name}; measured float32 matmul rate: {peak:.0f} GFLOP/s",
             f"- GPU parity tests at real sizes: {tests}",
             f"- D = 8, one layer; median of {args.repeats} alternating repeats; ratio = torch / tsgate",
             f"- rows per block at most {config.CUDA_ROWS_PER_BLOCK}, row tile from H >= {gpu_core.ROW_TILE_MIN_H}", "",
             "| cell | B | T | H | infer ms | torch ms | ratio | train ms | torch ms | ratio | train GFLOP/s | % peak |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    for cell in ("lstm", "gru"):
        for B, T, H in grid:
            rng = np.random.default_rng(0)
            x = rng.standard_normal((T, B, 8)).astype(np.float32)
            y = rng.standard_normal((B, 1)).astype(np.float32)
            xt, yt = torch.tensor(x, device="cuda"), torch.tensor(y, device="cuda")
            ours = DeviceTsgate(cell, 8, H, x, y)
            theirs = TorchModel(cell, 8, H, 1, False, device="cuda")
            for _ in range(2):
                ours.train_step(), theirs.train_step(xt, yt), ours.infer(), theirs.infer(xt)
            res = {k: ([], []) for k in ("inf", "train")}
            for _ in range(args.repeats):
                res["inf"][0].append(timed(ours.infer, sync))
                res["inf"][1].append(timed(lambda: theirs.infer(xt), sync))
                res["train"][0].append(timed(ours.train_step, sync))
                res["train"][1].append(timed(lambda: theirs.train_step(xt, yt), sync))
            (ai, bi), (at, bt) = [tuple(np.median(v) for v in res[k]) for k in ("inf", "train")]
            gf = 3 * flops(cell, T, B, 8, H, 1, False) / at / 1e9
            line = (f"| {cell} | {B} | {T} | {H} | {ai*1e3:.2f} | {bi*1e3:.2f} | {bi/ai:.2f} | "
                    f"{at*1e3:.2f} | {bt*1e3:.2f} | {bt/at:.2f} | {gf:.1f} | {100*gf/peak:.1f}% |")
            lines.append(line)
            print(line, flush=True)
            if args.out:  # after every row, so a run stopped early keeps what it measured
                Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
