"""Kernel by kernel: where the GPU time of one small call goes.

    python benchmarks/gpu_kernels.py [--sizes 32x48x32,256x48x128] [--calls 20]

Every kernel launch is bracketed by two CUDA events on its stream (recorded just before and just
after the launch), so each launch gets its GPU time (event to event, which includes any wait for
the host between the first event and the kernel's start) and its host time (the Python call that
launches it). Per call (``bench_gpu.py``'s DeviceTsgate inference and training step, each made
twice first: ``gpu_profile.warm_calls``) it prints the wall time with a sync after the call and, per kernel name, the
launches, the GPU time and the host time; the GPU span is the first event to the last. A call
whose wall time far exceeds the sum of its kernels' GPU times waits on the host (or on work
outside kernels: allocations, copies); one whose kernels fill the wall time is GPU-bound.
"""

import argparse
import collections
import time

import numpy as np
from gpu_profile import warm_calls


class LaunchTimer:
    """Patches numba-cuda's launch configuration so that every launch is timed by events."""

    def __init__(self):
        from numba.cuda import dispatcher

        if hasattr(dispatcher, "_LaunchConfiguration"):
            self.cls, self.config = dispatcher._LaunchConfiguration, lambda c: (c.dispatcher.py_func, c.griddim,
                                                                                c.blockdim)
        else:  # the simulator (NUMBA_ENABLE_CUDASIM=1), to try this script without a GPU
            from numba.cuda.simulator.kernel import FakeCUDAKernel

            self.cls, self.config = FakeCUDAKernel, lambda k: (k.fn, k.grid_dim, k.block_dim)
        self.original = self.cls.__call__
        self.records = []
        self.on = False

    def __enter__(self):
        from numba import cuda

        original, records, timer, config_of = self.original, self.records, self, self.config

        def launch(config, *args):
            fn, grid, block = config_of(config)
            if not timer.on or grid is None:  # (the simulator calls device functions this way too)
                return original(config, *args)
            e0, e1 = cuda.event(), cuda.event()
            e0.record()
            t0 = time.perf_counter()
            out = original(config, *args)
            t1 = time.perf_counter()
            e1.record()
            records.append((f"{fn.__module__.split('.')[-1]}.{fn.__name__}", grid, block, e0, e1, t1 - t0))
            return out

        self.cls.__call__ = launch
        return self

    def __exit__(self, *exc):
        self.cls.__call__ = self.original

    def measure(self, fn, sync, calls):
        """(wall ms per call, rows: name -> [launches, GPU ms, host ms, grid, block], GPU span ms) per call."""
        sync()
        walls, spans = [], []
        per_kernel = collections.defaultdict(lambda: [0, 0.0, 0.0, None, None])
        for _ in range(calls):
            del self.records[:]
            self.on = True
            t0 = time.perf_counter()
            fn()
            sync()
            walls.append((time.perf_counter() - t0) * 1e3)
            self.on = False
            for name, grid, block, e0, e1, host in self.records:
                row = per_kernel[name]
                row[0] += 1
                row[1] += e0.elapsed_time(e1)
                row[2] += host * 1e3
                row[3], row[4] = grid, block
            if self.records:
                spans.append(self.records[0][3].elapsed_time(self.records[-1][4]))
        for row in per_kernel.values():
            row[0] //= calls
            row[1] /= calls
            row[2] /= calls
        return float(np.median(walls)), per_kernel, float(np.median(spans)) if spans else 0.0


def plain_wall(fn, sync, calls):
    """Median wall ms per call with a sync after each call, without the events."""
    sync()
    walls = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        sync()
        walls.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(walls))


def report(cell, name, size, plain, timed):
    wall, per_kernel, span = timed
    gpu = sum(r[1] for r in per_kernel.values())
    host = sum(r[2] for r in per_kernel.values())
    B, T, H = size
    print(f"\n## {cell} {name} B={B} T={T} H={H}: {plain:.3f} ms/call (plain), {wall:.3f} ms with events; "
          f"kernels: {sum(r[0] for r in per_kernel.values())} launches, GPU {gpu:.3f} ms, "
          f"launch host {host:.3f} ms, GPU span {span:.3f} ms\n")
    print("| kernel | launches | GPU ms | host ms | grid | block |")
    print("|---|---|---|---|---|---|")
    for k, (n, g, h, grid, block) in sorted(per_kernel.items(), key=lambda kv: -kv[1][1]):
        print(f"| {k} | {n} | {g:.3f} | {h:.3f} | {grid} | {block} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="32x48x32,256x48x128")
    ap.add_argument("--calls", type=int, default=20)
    args = ap.parse_args()
    from numba import cuda

    sync = cuda.synchronize
    with LaunchTimer() as timer:
        for cell, name, size, fn in warm_calls(args.sizes):  # each call made twice first
            plain = plain_wall(fn, sync, args.calls)
            report(cell, name, size, plain, timer.measure(fn, sync, args.calls))


if __name__ == "__main__":
    main()
