"""End to end on the GPU: the same forecaster fitted with device='cpu' and device='cuda'.

    python benchmarks/gpu_e2e.py [--out FILE]

For each bundled dataset: fit time on each device (the first cuda fit includes
kernel compilation, so each device fits twice and the second is reported), and
the largest difference between the two forecasts relative to the series' scale.
Both fits use float32 and the same random_state; they differ only by rounding,
so the forecasts agree closely but not bit for bit.
"""

import argparse
import time

import numpy as np

import tsgate
from tsgate import datasets


def fit_time(name, device, horizon):
    y = datasets.load(name)
    times, fc = [], None
    for _ in range(2):
        t0 = time.perf_counter()
        model = tsgate.LSTMForecaster(horizon=horizon, device=device, random_state=0).fit(y)
        fc = np.asarray(model.predict(), dtype=float)
        times.append(time.perf_counter() - t0)
    return times[-1], fc, float(np.std(np.asarray(y, dtype=float)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    args = ap.parse_args()
    lines = ["| dataset | cpu fit+predict s | cuda fit+predict s | max abs forecast difference / series std |",
             "|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    for name, horizon in (("airpassengers", 24), ("sunspots_monthly", 132), ("co2_weekly", 104)):
        t_cpu, f_cpu, scale = fit_time(name, "cpu", horizon)
        t_gpu, f_gpu, _ = fit_time(name, "cuda", horizon)
        assert np.isfinite(f_gpu).all(), f"{name}: non-finite cuda forecast"
        line = f"| {name} | {t_cpu:.2f} | {t_gpu:.2f} | {np.max(np.abs(f_cpu - f_gpu)) / scale:.2e} |"
        lines.append(line)
        print(line, flush=True)
    if args.out:
        open(args.out, "w").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
