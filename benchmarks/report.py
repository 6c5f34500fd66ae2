"""Shared pieces of the benchmark scripts' reports."""

import datetime
import os
import platform


def header(title, *notes):
    """The first lines of a results file: title with today's date, the machine, notes."""
    return [f"# {title}, {datetime.date.today()}", "",
            f"- machine: {platform.machine()}, {os.cpu_count()} cores", *[f"- {n}" for n in notes], ""]


def write(lines, out):
    """Print the report and write it to ``out`` (when given)."""
    text = "\n".join(lines) + "\n"
    print(text)
    if out:
        with open(out, "w") as fh:
            fh.write(text)
