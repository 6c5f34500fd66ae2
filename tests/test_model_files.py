"""Model files: the generic bundle, and files written by earlier versions of tsgate."""

import os
import re
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tsgate
from tsgate import bundle

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("name,coverage", [("model_v1_gru_covariate", 0.9), ("model_v1_lstm_quantile", 0.8)])
def test_version_1_files_still_load_and_forecast_the_same(name, coverage):
    fc = tsgate.load(DATA / f"{name}.tsgate")
    want = pd.read_csv(DATA / f"{name}.expected.csv", index_col=0, parse_dates=True)
    got = fc.predict_interval(coverage)
    assert list(got.columns) == list(want.columns)
    assert list(got.index) == list(want.index)
    assert np.allclose(got.to_numpy(), want.to_numpy(), rtol=1e-6, atol=1e-9)
    # parameters added later take the values that describe how the file's model was fit
    assert fc.start_weight == 0.0 and fc.get_params()["start_weight"] == 0.0
    assert fc.fallback is False and fc.fallback_ == {}


def test_a_file_without_start_weight_loads_with_the_network_alone(tmp_path):
    from tsgate import LSTMForecaster, persist

    y = pd.Series(np.sin(np.arange(80) / 3.0), index=pd.date_range("2000-01-01", periods=80, freq="MS"))
    fc = LSTMForecaster(horizon=3, max_epochs=2).fit(y)
    meta, arrays = fc._fitted_state()
    assert meta["params"]["start_weight"] == 0.5
    del meta["params"]["start_weight"]  # as written before the parameter existed
    old = persist.restore(LSTMForecaster, meta, arrays)
    assert old.start_weight == 0.0
    assert np.array_equal(old.predict().to_numpy(), fc.predict().to_numpy())


def test_bundle_round_trip_and_header(tmp_path):
    path = tmp_path / "b.npz"
    bundle.write(path, "fmt", 3, {"a": [1, 2]}, {"x": np.arange(4.0)})
    meta, arrays = bundle.read(path, "fmt", versions=(3,))
    assert meta == {"a": [1, 2], "format": "fmt", "version": 3}
    assert np.array_equal(arrays["x"], np.arange(4.0))
    with pytest.raises(bundle.BundleError, match="model format version 3; this tsgate reads version 1 or 2"):
        bundle.read(path, "fmt", versions=(1, 2))
    with pytest.raises(bundle.BundleError, match="is not a tsgate model file"):
        bundle.read(path, "other", versions=(3,))


def test_bundle_write_is_atomic_and_leaves_nothing_on_failure(tmp_path):
    path = tmp_path / "b.npz"
    bundle.write(path, "fmt", 1, {}, {"x": np.zeros(2)})
    before = path.read_bytes()

    class Boom:
        def __array__(self, *a, **k):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        bundle.write_atomic(path, lambda fh: (fh.write(b"partial"), np.asarray(Boom())))
    assert path.read_bytes() == before  # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.npz"]  # no temporary file left


def test_save_to_an_unwritable_path_names_it_not_its_temporary_file(tmp_path):
    y = pd.Series(np.sin(np.arange(80) / 3.0), index=pd.date_range("2000-01-01", periods=80, freq="D"))
    fc = tsgate.LSTMForecaster(horizon=3, max_epochs=2, hidden_size=4, random_state=0).fit(y)
    missing = tmp_path / "no" / "m.tsgate"
    with pytest.raises(bundle.OutputError, match=r"path '.*m\.tsgate': the directory '.*no' does not exist"):
        fc.save(missing)
    with pytest.raises(bundle.OutputError, match="is a directory"):
        fc.save(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_bundle_files_get_the_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        bundle.write(tmp_path / "b.npz", "fmt", 1, {}, {})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "b.npz").stat().st_mode) == 0o644  # not mkstemp's 0600


def test_non_bundle_files_are_named_as_such(tmp_path):
    (tmp_path / "data.csv").write_text("date,y\n2020-01-01,1\n")
    with pytest.raises(tsgate.ModelFileError, match="is not a tsgate model file") as info:
        tsgate.load(tmp_path / "data.csv")
    assert "allow_pickle" not in str(info.value)


def test_load_reads_a_binary_file_object_as_save_writes_one(tmp_path):
    # save took a file object, load did not ("expected str, bytes or os.PathLike object, not BytesIO")
    import io

    from tsgate import BaselineForecaster

    y = pd.Series(np.arange(40.0) % 7, index=pd.date_range("2020-01-01", periods=40, freq="D"))
    model = BaselineForecaster("seasonal_naive", horizon=3).fit(y)
    buf = io.BytesIO()
    model.save(buf)
    buf.seek(0)
    assert tsgate.load(buf).predict().equals(model.predict())
    model.save(tmp_path / "m.tsgate")
    with open(tmp_path / "m.tsgate", "rb") as fh:
        assert tsgate.load(fh).predict().equals(model.predict())
    with open(tmp_path / "m.tsgate") as fh, pytest.raises(tsgate.ModelFileError, match="open the model file in binary"):
        tsgate.load(fh)
    for bad in (None, 3):  # TypeErrors from open
        with pytest.raises(tsgate.ModelFileError, match=f"a model file is a path or a binary file object, not "
                                                        f"{type(bad).__name__}"):
            tsgate.load(bad)
    with pytest.raises(tsgate.ModelFileError, match="'the file object' is not a tsgate model file"):
        tsgate.load(io.BytesIO(b"junk"))


def test_save_names_a_destination_of_the_wrong_kind_before_writing(tmp_path):
    # save(None) or save(3) was "expected str, bytes or os.PathLike object", a text-mode file
    # NumPy's "write() argument must be str, not bytes", a file opened to read io's "write"
    import io

    from tsgate import BaselineForecaster, LocalForecaster

    y = pd.Series(np.arange(40.0) % 7, index=pd.date_range("2020-01-01", periods=40, freq="D"))
    panel = pd.DataFrame({"unique_id": ["a"] * 40, "ds": y.index, "y": y.to_numpy()})
    models = [BaselineForecaster("naive", horizon=3).fit(y),
              LocalForecaster(BaselineForecaster("naive", horizon=3, time_col="ds"), id_col="unique_id").fit(panel)]
    kept = tmp_path / "kept.tsgate"
    kept.write_bytes(b"old")
    for model in models:
        with open(tmp_path / "t.txt", "w") as text, open(kept, "rb") as readonly:
            for dest, message in [(None, "path must be a file path or a binary file object open for writing, "
                                         "not NoneType None"),
                                  (3, "not int 3"), (True, "not bool True"), ("", "path is empty"),
                                  (io.StringIO(), r"^the file object takes text: open the model file in binary"),
                                  (text, f"the file object {str(tmp_path / 't.txt')!r} takes text"),
                                  (readonly, "is not open for writing")]:
                with pytest.raises(tsgate.ParameterError, match=message):
                    model.save(dest)
        assert kept.read_bytes() == b"old" and (tmp_path / "t.txt").read_text() == ""


def _edited(tmp_path, model, edit):
    """``model`` saved, its metadata and arrays changed by ``edit(meta, arrays)``, written back."""
    import json

    path = tmp_path / "m.tsgate"
    model.save(path)
    meta, arrays = bundle.read(path, "tsgate-model", versions=(5,))
    edit(meta, arrays)
    fmt, version = meta.pop("format"), meta.pop("version")
    bundle.write(path, fmt, version, json.loads(json.dumps(meta)), arrays)
    return path


def _set(path, value):
    def edit(meta, arrays):
        head, _, tail = path.partition(".")
        (meta[head] if tail else meta)[tail or head] = value
    return edit


def _array(name, value):
    def edit(meta, arrays):
        arrays[name] = value
    return edit


@pytest.fixture(scope="module")
def fitted():
    import warnings

    t = pd.date_range("2020-01-01", periods=120, freq="D")
    y = pd.Series(10 + np.sin(np.arange(120) * 2 * np.pi / 7), index=t, name="y")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {"network": tsgate.LSTMForecaster(horizon=5, max_epochs=2, hidden_size=4).fit(y),
                "stateful": tsgate.GRUForecaster(horizon=5, max_epochs=2, hidden_size=4, stateful=True,
                                                 tbptt=20).fit(y),
                "baseline": tsgate.BaselineForecaster("ar", horizon=5).fit(y),
                "local": tsgate.LocalForecaster(tsgate.BaselineForecaster(horizon=5)).fit(y.to_frame())}


@pytest.mark.parametrize("kind,edit,words", [
    # each was a raw TypeError, ValueError, AttributeError, IndexError or ZeroDivisionError from predict
    ("network", _set("index_kind", None), "field 'index_kind' is None, expected text"),
    ("network", _set("structure.segment_length", 0), "field 'structure.segment_length' is 0, expected an integer "
                                                     "of at least 1"),
    ("network", _set("structure.norm_period", "x"), "field 'structure.norm_period' is 'x'"),
    ("network", _set("freq", "x"), "field 'freq' is 'x', expected a frequency"),
    ("network", _set("cutoff", None), "a cutoff is None, expected a timestamp"),
    ("network", _array("last_past_", np.zeros((1, 3, 0))), "array 'last_past_' has shape (1, 3, 0), expected"),
    ("network", _array("val_residuals_", np.zeros((5, 3))), "array 'val_residuals_' has shape (5, 3) of float64, "
                                                            "expected 2-dimensional numbers with 5 columns"),
    ("stateful", _array("state_h_0_0", np.zeros((1, 4, 1))), "array 'state_h_0_0' has shape (1, 4, 1), expected "
                                                             "(1, 1, 4)"),
    ("baseline", _set("horizon", "x"), "field 'horizon' is 'x', expected an integer of at least 1"),
    ("baseline", _set("targets", []), "field 'targets' is [], expected a non-empty list of names"),
    ("baseline", _set("scores", None), "field 'scores' is None, expected a mapping"),
    ("baseline", _set("params.method", "xyz"), "The 'method' parameter of BaselineForecaster must be"),
    ("baseline", _array("y_", np.array(["a"])), "array 'y_' has shape (1,) of <U1, expected 1-dimensional numbers"),
    ("local", _set("members", []), "field 'members' is [], expected a non-empty list of the series' models"),
])
def test_an_edited_model_file_is_a_model_file_error_naming_the_field(tmp_path, fitted, kind, edit, words):
    path = _edited(tmp_path, fitted[kind], edit)
    with pytest.raises(tsgate.errors.ModelFileError, match=re.escape(words)):
        tsgate.load(path)


def test_unedited_files_of_every_kind_pass_the_check(tmp_path, fitted):
    for model in fitted.values():
        path = _edited(tmp_path, model, lambda meta, arrays: None)
        pd.testing.assert_frame_equal(tsgate.load(path).predict(), model.predict())


def test_the_file_check_knows_every_baseline_method():
    from tsgate import filecheck
    from tsgate.baselines import BASELINES

    assert filecheck.METHODS == BASELINES


def test_a_missing_model_file_named_as_a_bundled_dataset_says_where_the_dataset_is(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from tsgate.cli import main

    monkeypatch.chdir(tmp_path)  # no file of that name here
    with pytest.raises(tsgate.errors.ModelFileError, match=r"^model file 'airpassengers' does not exist; the bundled dataset "
                                             r"'airpassengers' is read by tsgate\.datasets\.load\('airpassengers'\)$"):
        tsgate.load("airpassengers")
    with pytest.raises(tsgate.errors.ModelFileError, match=r"^model file 'nope' does not exist$"):
        tsgate.load("nope")
    r = CliRunner().invoke(main, ["predict", "airpassengers"])
    assert r.exit_code == 2 and r.stderr.strip().endswith(
        "the bundled dataset 'airpassengers' is written to a CSV by: tsgate datasets export airpassengers"), r.stderr
