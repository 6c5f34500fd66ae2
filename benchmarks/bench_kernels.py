"""tsgate vs PyTorch (CPU) for LSTM and GRU: inference and one training step.

Run:  python benchmarks/bench_kernels.py [--quick] [--repeats N] [--out FILE]

Both run in this process with the same thread count, alternating
(tsgate, torch, tsgate, torch, ...), and the median of the repeats is
reported. A training step is forward + backward + Adam update of all
parameters, with a linear head on the last hidden state and an MSE loss.

FLOPs: forward per layer and direction = 2*T*B*G*H*(D_in+H), G = 4 (LSTM),
3 (GRU), 1 (RNN); training = 3x forward. "peak" is this machine's measured
float32 GEMM rate (numpy sgemm 2048^3, same threads).
"""

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def flops(cell, T, B, D, H, L, bi):
    nd = 2 if bi else 1
    total = 0
    for layer in range(L):
        d_in = D if layer == 0 else H * nd
        total += nd * 2 * T * B * GATES[cell] * H * (d_in + H)
    return total


def rows_policy():
    """How tsgate's kernels cut their recurrent GEMMs (tsgate.blas.gemm_plan), in words."""
    from tsgate import blas

    small = blas.small_gemm_kernel()
    shown = []
    for H in (32, 64, 128, 256):
        rows, blocks = blas.gemm_plan(H, 4 * H)
        blocked = f" x {blocks} blocks" if blocks > 1 else ""
        shown.append(f"H={H}: {'all' if rows == blas.ALL_ROWS else rows}{blocked}")
    return (f"SciPy's OpenBLAS small-matrix kernel {'available' if small else 'not available'}; LSTM rows per call "
            f"{', '.join(shown)} (TSGATE_GEMM_ROWS={os.environ.get('TSGATE_GEMM_ROWS', 'unset')})")


def gemm_peak(threads):
    from threadpoolctl import threadpool_limits

    a = np.random.default_rng(0).random((2048, 2048), dtype=np.float32)
    with threadpool_limits(threads):
        a @ a
        ts = []
        for _ in range(5):
            t0 = time.perf_counter()
            a @ a
            ts.append(time.perf_counter() - t0)
    return 2 * 2048 ** 3 / np.median(ts) / 1e9


class TsgateModel:
    """Network + linear head + Adam, all through tsgate's public layer."""

    def __init__(self, cell, D, H, L, bi, seed=0, device="cpu"):
        from tsgate.network import RecurrentNetwork

        self.net = RecurrentNetwork(cell, D, H, num_layers=L, bidirectional=bi, random_state=seed,
                                    device=device)
        nd = 2 if bi else 1
        rng = np.random.default_rng(seed)
        self.params = dict(self.net.params)
        self.params["head_w"] = (rng.standard_normal((nd * H, 1)) / np.sqrt(nd * H)).astype(np.float32)
        self.params["head_b"] = np.zeros(1, np.float32)
        self.m = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.v = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.t = 0
        self.H, self.nd = H, nd

    def infer(self, x):
        y, _, _ = self.net.forward(x, tape=False)  # inference: no tape, as torch under no_grad
        return y[-1] @ self.params["head_w"] + self.params["head_b"]

    def train_step(self, x, target, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
        y, h, c = self.net.forward(x, training=True)
        last = y[-1]  # (B, nd*H)
        pred = last @ self.params["head_w"] + self.params["head_b"]
        diff = pred - target
        loss = float(np.mean(diff ** 2))
        dpred = (2.0 / diff.size) * diff
        grads_head = {"head_w": last.T @ dpred, "head_b": dpred.sum(0)}
        dy = np.zeros_like(y)
        dy[-1] = dpred @ self.params["head_w"].T
        grads, _, _, _ = self.net.backward(dy)
        grads.update(grads_head)
        self.t += 1
        bc1, bc2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for k, g in grads.items():
            m, v, p = self.m[k], self.v[k], self.params[k]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= (lr / bc1) * m / (np.sqrt(v / bc2) + eps)
        self.net.params.update({k: self.params[k] for k in self.net.params})
        return loss


class TorchModel:
    def __init__(self, cell, D, H, L, bi, seed=0, device="cpu"):
        import torch

        torch.manual_seed(seed)
        mod = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
        self.rnn = mod(D, H, num_layers=L, bidirectional=bi).to(device)
        self.head = torch.nn.Linear(H * (2 if bi else 1), 1).to(device)
        self.opt = torch.optim.Adam(list(self.rnn.parameters()) + list(self.head.parameters()), lr=1e-3)
        self.torch = torch

    def infer(self, x):
        with self.torch.no_grad():
            y, _ = self.rnn(x)
            return self.head(y[-1])

    def train_step(self, x, target):
        self.opt.zero_grad()
        y, _ = self.rnn(x)
        loss = self.torch.nn.functional.mse_loss(self.head(y[-1]), target)
        loss.backward()
        self.opt.step()
        return loss.item()


def bench_one(cell, B, T, D, H, L, bi, repeats):
    import torch

    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, B, D)).astype(np.float32)
    tgt = rng.standard_normal((B, 1)).astype(np.float32)
    xt, tt = torch.tensor(x), torch.tensor(tgt)
    ours, theirs = TsgateModel(cell, D, H, L, bi), TorchModel(cell, D, H, L, bi)
    for _ in range(2):  # warm-up (compilation, allocator)
        ours.train_step(x, tgt), theirs.train_step(xt, tt), ours.infer(x), theirs.infer(xt)
    res = {"inf": ([], []), "train": ([], [])}
    for _ in range(repeats):
        for kind, fo, ft in (("inf", lambda: ours.infer(x), lambda: theirs.infer(xt)),
                             ("train", lambda: ours.train_step(x, tgt), lambda: theirs.train_step(xt, tt))):
            t0 = time.perf_counter()
            fo()
            t1 = time.perf_counter()
            ft()
            t2 = time.perf_counter()
            res[kind][0].append(t1 - t0)
            res[kind][1].append(t2 - t1)
    out = {}
    for kind in res:
        a, b = np.median(res[kind][0]), np.median(res[kind][1])
        out[kind] = (a, b)
    return out


def compile_times():
    """Cold (empty cache) and warm (cached) first call, in fresh processes.

    Returns (import_s, cold_first_call_s, warm_first_call_s): the first
    call excludes the interpreter's imports of numpy/numba/tsgate.
    """
    import tempfile

    code = ("import time; t0=time.perf_counter(); import numpy as np;"
            "from tsgate.network import RecurrentNetwork as R; t1=time.perf_counter();"
            "n=R('lstm',4,8); y,h,c=n.forward(np.ones((5,3,4),np.float32)); n.backward(np.ones_like(y));"
            "print(t1-t0, time.perf_counter()-t1)")
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        runs = [subprocess.run([sys.executable, "-c", code], env=env, check=True,
                               capture_output=True, text=True).stdout.split() for _ in range(2)]
    return float(runs[1][0]), float(runs[0][1]), float(runs[1][1])


def blas_kernels():
    """numpy's BLAS and the kernels it runs, e.g. 'openblas 0.3.31, Haswell kernels': OpenBLAS
    picks them from the CPU unless OPENBLAS_CORETYPE forces a set (AVX2's 'Haswell' on an
    AVX-512 CPU halves its single-threaded sgemm rate)."""
    from threadpoolctl import threadpool_info

    info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return "; ".join(f"{i.get('internal_api')} {i.get('version')}, {i.get('architecture')} kernels" for i in info)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="a few configurations only")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--cells", default="lstm,gru")
    ap.add_argument("--out", help="write the Markdown table here")
    args = ap.parse_args()

    import numba
    import torch

    threads = numba.get_num_threads()
    torch.set_num_threads(threads)
    peak = gemm_peak(threads)
    imp, cold, warm = compile_times()
    cpu = platform.processor() or "unknown"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except Exception:
        pass
    grid = [(B, T, D, H, L, False) for B in (32, 256) for T in (48, 336) for D in (1, 8)
            for H in (32, 128) for L in (1, 2)]
    grid += [(32, 48, 8, 64, 1, False), (256, 48, 8, 64, 1, False), (64, 96, 8, 64, 2, True),
             (32, 48, 8, 256, 1, False), (256, 48, 8, 256, 1, False)]
    if args.quick:
        grid = [(32, 48, 8, 32, 1, False), (256, 336, 8, 128, 1, False), (256, 48, 8, 256, 1, False)]
    lines = [
        f"# tsgate vs PyTorch {torch.__version__} (CPU), {datetime.date.today().isoformat()}",
        "",
        f"- machine: {cpu}, {os.cpu_count()} logical CPUs; threads used: {threads} (numba and torch)",
        f"- numba {numba.__version__}, numpy {np.__version__}, threading layer: {numba.threading_layer()}",
        f"- numpy's BLAS: {blas_kernels()} (OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')})",
        f"- recurrent GEMM calls: {rows_policy()}",
        f"- measured float32 GEMM peak (sgemm 2048, {threads} threads): {peak:.1f} GFLOP/s",
        f"- LSTM float32 forward+backward in a fresh process: cold (empty Numba cache) first call "
        f"{cold:.2f} s, warm (cached) first call {warm:.2f} s, plus {imp:.2f} s of imports (numpy, numba, tsgate)",
        f"- median of {args.repeats} alternating repeats; ratio = torch time / tsgate time (> 1: tsgate faster)",
        "",
        "| cell | B | T | D | H | L | bi | infer ms | torch ms | ratio | train ms | torch ms | ratio | train GFLOP/s | % peak |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    for cell in args.cells.split(","):
        for (B, T, D, H, L, bi) in grid:
            r = bench_one(cell, B, T, D, H, L, bi, args.repeats)
            (ai, bi_), (at, bt) = r["inf"], r["train"]
            gf = 3 * flops(cell, T, B, D, H, L, bi) / at / 1e9
            line = (f"| {cell} | {B} | {T} | {D} | {H} | {L} | {'y' if bi else 'n'} | {ai*1e3:.2f} | "
                    f"{bi_*1e3:.2f} | {bi_/ai:.2f} | {at*1e3:.2f} | {bt*1e3:.2f} | {bt/at:.2f} | "
                    f"{gf:.1f} | {100*gf/peak:.0f}% |")
            lines.append(line)
            print(line, flush=True)
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
