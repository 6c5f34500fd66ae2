"""The ``tsgate`` command line (installed as ``tsgate.cli``)."""

import sys
import time

import click


class UserError(click.ClickException):
    """A user error: one line on stderr, exit code 2, no traceback."""

    exit_code = 2

    def show(self, file=None):
        click.echo(f"tsgate: error: {self.format_message()}", err=True)


@click.group()
@click.version_option(package_name="tsgate")
def main():
    """tsgate: Numba-accelerated recurrent networks for time series."""


@main.command()
def warmup():
    """Compile and cache every CPU kernel (float32 and float64) ahead of time."""
    import numpy as np

    from tsgate.network import RecurrentNetwork

    t0 = time.perf_counter()
    for dtype in ("float32", "float64"):
        for cell in ("lstm", "gru", "rnn"):
            net = RecurrentNetwork(cell, 2, 3, dtype=dtype)
            y, h, c = net.forward(np.zeros((2, 2, 2)))
            net.backward(np.ones_like(y))
    click.echo(f"compiled and cached all kernels in {time.perf_counter() - t0:.1f} s", err=True)


@main.group()
def datasets():
    """Bundled real datasets."""


@datasets.command("list")
def datasets_list():
    """List the bundled datasets."""
    from tsgate.datasets import DATASETS

    for name, (fname, _, freq, m, target) in sorted(DATASETS.items()):
        click.echo(f"{name:18s} {fname:26s} freq={freq:7s} period={m:<4d} target={target}")


@datasets.command("export")
@click.argument("name")
@click.option("--out", type=click.Path(dir_okay=False), help="CSV file (default: stdout)")
def datasets_export(name, out):
    """Write dataset NAME as CSV."""
    from tsgate.datasets import load

    try:
        df = load(name, frame=True)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if out:
        df.to_csv(out)
    else:
        df.to_csv(sys.stdout)


if __name__ == "__main__":  # pragma: no cover
    main()
