"""GPU backend checks that run everywhere; .ci/run also runs this file under
NUMBA_ENABLE_CUDASIM=1 (the CUDA simulator)."""

import os
import subprocess
import sys

import pytest

from tsgate.network import RecurrentNetwork


def test_import_tsgate_does_not_import_numba_cuda():
    code = "import sys, tsgate, tsgate.network; assert 'numba.cuda' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cuda_device_is_a_clear_error():
    # No @cuda.jit kernels ship yet: device='cuda' must say so and name the argument.
    with pytest.raises(ValueError, match=r"device='cuda' is not usable here: "):
        RecurrentNetwork("lstm", 1, 2, device="cuda")
    assert RecurrentNetwork("lstm", 1, 2, device="auto").device == "cpu"


def test_simulator_flag_is_seen():
    from tsgate.gpu import cuda_available

    ok, why = cuda_available()
    assert not ok
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        assert "not implemented" in why
