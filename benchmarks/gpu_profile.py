"""Where the time of a small device call goes: host (Python, launches) or the GPU.

    python benchmarks/gpu_profile.py [--sizes 32x48x32,1024x336x256] [--calls 30]

For each size and cell: wall time per call with a sync after each call, wall time per
call with one sync after all calls (launches queue behind the GPU), and the cProfile
of the host side (top functions by own time, then tsgate's functions by cumulative time). A call whose time is mostly host time
is bound by launch and argument overhead, not by the kernels.
"""

import argparse
import cProfile
import io
import pstats
import time

import numpy as np
from bench_gpu import DeviceTsgate


def per_call(fn, sync, calls, each):
    sync()
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
        if each:
            sync()
    sync()
    return (time.perf_counter() - t0) / calls * 1e3


def warm_calls(sizes):
    """(cell, 'infer' | 'train', (B, T, H), call) for each size 'BxTxH,...' and cell, each call
    made twice first (compiled and its workspace allocated): bench_gpu.py's DeviceTsgate."""
    for size in sizes.split(","):
        B, T, H = (int(v) for v in size.split("x"))
        rng = np.random.default_rng(0)
        x = rng.standard_normal((T, B, 8)).astype(np.float32)
        y = rng.standard_normal((B, 1)).astype(np.float32)
        for cell in ("lstm", "gru"):
            ours = DeviceTsgate(cell, 8, H, x, y)
            for name, fn in (("infer", ours.infer), ("train", ours.train_step)):
                fn(), fn()
                yield cell, name, (B, T, H), fn


def floors(sync, n=300):
    """Host microseconds per numba-cuda operation: launches with 1 and 12 array arguments,
    a slice, a reshape, a memoised view and a device-to-device copy: the floor under any
    sequence of kernels."""
    from numba import cuda

    @cuda.jit
    def one(a):
        pass

    @cuda.jit
    def twelve(a, b, c, d, e, f, g, h, i, j, k, m):
        pass

    from tsgate.gpu_core import at

    a = cuda.device_array((64, 64), np.float32)
    b = cuda.device_array(64, np.float32)
    ops = {"launch, 1 array": lambda: one[1, 32](a),
           "launch, 12 arrays": lambda: twelve[1, 32](a, a, a, a, a, a, a, a, a, a, a, a),
           "slice a[2:40]": lambda: a[2:40],
           "reshape": lambda: a.reshape(4096),
           "memoised view at(a, 2) (tsgate.gpu_core)": lambda: at(a, 2),
           "copy_to_device, device to device (64 values)": lambda: at(a, 3).copy_to_device(b)}
    for name, fn in ops.items():
        fn()
        sync()
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        sync()
        print(f"- {name}: {(time.perf_counter() - t0) / n * 1e6:.1f} us", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="32x48x32,1024x336x256")
    ap.add_argument("--calls", type=int, default=30)
    ap.add_argument("--top", type=int, default=18)
    args = ap.parse_args()
    from numba import cuda
    sync = cuda.synchronize
    floors(sync)
    for cell, name, (B, T, H), fn in warm_calls(args.sizes):
        synced = per_call(fn, sync, args.calls, True)
        queued = per_call(fn, sync, args.calls, False)
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.calls):
            fn()
        sync()
        prof.disable()
        s = io.StringIO()
        stats = pstats.Stats(prof, stream=s)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats("tsgate", args.top)
        print(f"## {cell} {name} B={B} T={T} H={H}: {synced:.2f} ms/call synced, "
              f"{queued:.2f} ms/call queued", flush=True)
        print(s.getvalue(), flush=True)


if __name__ == "__main__":
    main()
