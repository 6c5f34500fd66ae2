"""Versioned, pickle-free, atomic bundles: a JSON header plus named arrays in one .npz.

Generic: it imports nothing from tsgate. The header (a dict with the format
name and version) is stored as a string array ``__meta__`` inside the npz, so
the file loads with ``allow_pickle=False``. :func:`write` writes a temporary
file in the target directory, flushes it to disk and renames it over the
target, so a crash never leaves a half-written file; the file gets the
permissions of a normally created file (the umask's), not the temporary
file's 0600.
"""

import io
import json
import os
import tempfile
import zipfile

import numpy as np


class BundleError(ValueError):
    """A file that is missing, unreadable, of another format or of an unread version."""


def _mode_from_umask():
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path, write):
    """Call ``write(fh)`` on a binary buffer, then :func:`commit` it to
    ``path``: nothing is written when ``write`` fails. An unwritable ``path``
    raises :class:`OutputError` naming it (not the temporary file beside it)."""
    check_output(path, "path")
    buf = io.BytesIO()
    write(buf)
    commit({path: buf.getvalue()})


class OutputError(OSError):
    """An output path that cannot be written."""


def check_output(path, what):
    """Raise OutputError unless ``path`` can be written: its directory exists
    and takes a new file, and the path is not a directory."""
    path = os.path.abspath(os.fspath(path))
    if os.path.isdir(path):
        raise OutputError(f"{what} {path!r} is a directory")
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        raise OutputError(f"{what} {path!r}: the directory {parent!r} does not exist")
    try:
        with tempfile.NamedTemporaryFile(prefix=".tsgate-probe-", dir=parent):
            pass
    except OSError as exc:
        raise OutputError(f"{what} {path!r}: cannot write in {parent!r} ({exc.strerror or exc})") from None


def commit(outputs):
    """Write every ``path -> bytes`` of ``outputs``, all or none: each goes to
    a temporary file beside its path first; only when all are written are
    they renamed into place. On failure no path is touched."""
    staged = []
    try:
        for path, data in outputs.items():
            path = os.fspath(path)
            fd, tmp = tempfile.mkstemp(prefix=".tsgate-", suffix=".tmp", dir=os.path.dirname(os.path.abspath(path)))
            staged.append((tmp, path))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, _mode_from_umask())
    except BaseException:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise
    for tmp, path in staged:
        os.replace(tmp, path)


def write(path, fmt, version, meta, arrays):
    """Write ``meta`` (JSON-able dict) and ``arrays`` (name -> ndarray) to
    ``path`` atomically, or into a writable binary file object."""
    header = dict(meta, format=fmt, version=version)
    payload = {name: np.asarray(a) for name, a in arrays.items()}
    payload["__meta__"] = np.array(json.dumps(header))
    check_destination(path)
    if not hasattr(path, "write"):
        write_atomic(path, lambda fh: np.savez(fh, **payload))
        return
    buf = io.BytesIO()
    np.savez(buf, **payload)
    try:
        path.write(buf.getvalue())
    except TypeError:  # a file object that takes text without saying so
        raise PathTypeError(_TEXT.format(_which(path))) from None


class PathTypeError(TypeError):
    """A destination that is neither a file path nor a writable binary file object."""


_TEXT = "{} takes text: open the model file in binary mode ('wb')"


def _which(fh):
    """A file object as messages name it."""
    return f"the file object {fh.name!r}" if hasattr(fh, "name") else "the file object"


def check_destination(path):
    """Raise PathTypeError unless ``path`` is a non-empty file path or a
    binary file object open for writing (checked before anything is written)."""
    if hasattr(path, "write"):
        if isinstance(path, io.TextIOBase):
            raise PathTypeError(_TEXT.format(_which(path)))
        writable = getattr(path, "writable", None)
        if callable(writable) and not writable():
            raise PathTypeError(f"{_which(path)} is not open for writing")
        return
    if isinstance(path, bool) or not isinstance(path, (str, bytes, os.PathLike)):
        raise PathTypeError(f"path must be a file path or a binary file object open for writing, "
                            f"not {type(path).__name__} {path!r}")
    if not os.fspath(path):
        raise PathTypeError("path is empty: give the model file's name")


def label(path):
    """A model file's name in messages: its path, or a file object's name."""
    return str(getattr(path, "name", "the file object")) if hasattr(path, "read") else str(path)


def _raw(path):
    """(bytes, name) of a model file: a path, or a binary file object as ``write`` takes (read from
    where it stands); the name its messages use."""
    if hasattr(path, "read"):
        try:
            raw = path.read()
        except UnicodeDecodeError:  # a model file opened as text
            raw = ""
        if not isinstance(raw, bytes):
            raise BundleError("the file object gives text, not bytes: open the model file in binary mode ('rb')")
        return raw, label(path)
    if isinstance(path, bool) or not isinstance(path, (str, bytes, os.PathLike)):
        raise BundleError(f"a model file is a path or a binary file object, not {type(path).__name__} {path!r}")
    path = os.fsdecode(path)
    if not os.path.exists(path):
        raise BundleError(f"model file {path!r} does not exist")
    try:
        with open(path, "rb") as fh:
            return fh.read(), path
    except OSError as exc:
        raise BundleError(f"{path!r} cannot be read ({exc.strerror or exc})") from None


def read(path, fmt, versions):
    """(meta, arrays) of a bundle (a path or a binary file object) of format ``fmt`` and a version in ``versions``.

    Raises
    ------
    BundleError
        Missing, truncated or corrupt files, another format, another version.
    """
    raw, path = _raw(path)
    if not raw.startswith(b"PK\x03\x04"):
        raise BundleError(f"{path!r} is not a tsgate model file (not an npz archive)")
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays.pop("__meta__")))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError, json.JSONDecodeError) as exc:
        raise BundleError(f"{path!r} is not a readable tsgate model file (truncated or corrupt: "
                          f"{type(exc).__name__})") from None
    if not isinstance(meta, dict) or meta.get("format") != fmt:
        raise BundleError(f"{path!r} is not a tsgate model file")
    if meta.get("version") not in versions:
        raise BundleError(f"{path!r} has model format version {meta.get('version')!r}; "
                          f"this tsgate reads version {' or '.join(str(v) for v in versions)}")
    return meta, arrays
