"""Two versions of tsgate on one GPU host, alternating: small-call times, A/B.

    python benchmarks/gpu_ab.py --old OLD_ROOT [--new .] [--rounds 3] [--out FILE]

OLD_ROOT is a directory holding an older ``tsgate/`` package (e.g. ``git archive e22927c
tsgate | tar -x -C build/old``). Each round runs one worker process per version (old, then
new), each with its own kernel cache, so both versions are timed on the same machine within
seconds of each other. A worker reports, per cell and size, the median over 5 blocks of the
time per call with a sync after each call (inference and one training step, as
bench_gpu.py's DeviceTsgate), the host's launch floor (one kernel with one array argument)
and one end-to-end fit + predict of LSTMForecaster on airpassengers (the second of two fits).
The table gives the median over rounds and the ratio old / new (> 1: new is faster).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def worker(sizes, e2e, calls):
    from numba import cuda

    import tsgate
    print("TSGATE " + tsgate.__file__, flush=True)

    from gpu_profile import per_call, warm_calls

    @cuda.jit
    def one(a):
        pass

    a = cuda.device_array(64, np.float32)
    one[1, 32](a)
    cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(10 * calls):
        one[1, 32](a)
    cuda.synchronize()
    res = {"launch_us": (time.perf_counter() - t0) / (10 * calls) * 1e6}
    for cell, op, (B, T, H), fn in warm_calls(sizes):
        blocks = [per_call(fn, cuda.synchronize, calls, True) for _ in range(5)]
        res[f"{cell} {op} {B}x{T}x{H}"] = float(np.median(blocks))
    if not e2e:
        return print("RESULT " + json.dumps(res), flush=True)
    from tsgate import datasets
    y = datasets.load("airpassengers")
    for _ in range(2):
        t0 = time.perf_counter()
        tsgate.LSTMForecaster(horizon=24, device="cuda", random_state=0).fit(y).predict()
        res["e2e airpassengers s"] = time.perf_counter() - t0
    print("RESULT " + json.dumps(res), flush=True)


def run_worker(root, label, sizes, e2e, calls):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(root).resolve()), str(HERE), env.get("PYTHONPATH", "")])
    if label == "old":  # the new version shares the default cache (warmed by the tests)
        env["XDG_CACHE_HOME"] = f"/tmp/gpu_ab_cache_{label}"
    cmd = [sys.executable, str(HERE / "gpu_ab.py"), "--worker", "--sizes", sizes, "--calls", str(calls)]
    run = subprocess.run(cmd + ([] if e2e else ["--no-e2e"]), env=env, capture_output=True, text=True, cwd="/tmp")
    for line in run.stdout.splitlines():
        if line.startswith("TSGATE "):
            print(label, line, flush=True)
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    print(run.stdout[-2000:], run.stderr[-3000:], sep="\n", flush=True)
    return None


def table(results):
    keys = [k for k in (results["old"] or [{}])[0]]
    lines = ["| measure | old (median) | new (median) | old / new |", "|---|---|---|---|"]
    for k in keys:
        o = np.median([r[k] for r in results["old"]])
        n = np.median([r[k] for r in results["new"]]) if results["new"] else float("nan")
        unit = "us" if k.endswith("_us") else ("s" if k.endswith(" s") else "ms")
        lines.append(f"| {k} ({unit}) | {o:.2f} | {n:.2f} | {o / n:.2f} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", action="store_true")
    ap.add_argument("--old")
    ap.add_argument("--new", default=str(HERE.parent))
    ap.add_argument("--sizes", default="32x48x32,256x48x128")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out")
    ap.add_argument("--calls", type=int, default=30, help="calls per timed block")
    ap.add_argument("--no-e2e", action="store_true", help="leave out the airpassengers fit")
    args = ap.parse_args()
    if args.worker:
        return worker(args.sizes, not args.no_e2e, args.calls)
    results = {"old": [], "new": []}
    for r in range(args.rounds):
        for label, root in (("old", args.old), ("new", args.new)):
            t0 = time.perf_counter()
            res = run_worker(root, label, args.sizes, not args.no_e2e, args.calls)
            print(f"round {r} {label}: {time.perf_counter() - t0:.0f} s {res}", flush=True)
            if res is not None:
                results[label].append(res)
        if results["old"] and results["new"]:
            text = table(results)
            print(text, flush=True)
            if args.out:
                Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
