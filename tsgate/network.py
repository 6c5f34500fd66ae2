"""Stacked, optionally bidirectional recurrent networks over the cell kernels.

:class:`RecurrentNetwork` mirrors ``torch.nn.LSTM/GRU/RNN``: the same
parameter names (``weight_ih_l0``, ``bias_hh_l1_reverse``...), the same
initialisation law (U(-1/sqrt(H), 1/sqrt(H))), outputs of both directions
concatenated ``[forward | backward]``, final states stacked as
``(num_layers * num_directions, B, H)`` and dropout on the outputs of every
layer but the last, in training only. A torch module's ``state_dict()``
(converted to NumPy) loads as it is.

The device's backend (:func:`tsgate.backend.get_backend`) runs the layer
loop (:mod:`tsgate.stack`), so estimators never touch kernels. No pandas, no
scikit-learn in this layer.
"""

import numpy as np

from .backend import get_backend, resolve_device
from .core import check_array
from .elementmath import NONLINEARITIES
from .errors import DataError, ParameterError
from .stack import param_suffix

CELLS = {"lstm": 4, "gru": 3, "rnn": 1}
INITS = ("torch", "forget", "chrono")


def _check_int(value, name, minimum):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


class RecurrentNetwork:
    """A stack of recurrent layers with torch-compatible weights.

    Parameters
    ----------
    cell : {'lstm', 'gru', 'rnn'}
    input_size : int
        Features per time step (D).
    hidden_size : int
        Units per layer and direction (H).
    num_layers : int, default 1
    bidirectional : bool, default False
    dropout : float, default 0.0
        Dropout probability on the outputs of every layer except the last,
        applied only by ``forward(..., training=True)``.
    nonlinearity : {'tanh', 'relu'}, default 'tanh'
        Only for ``cell='rnn'``.
    dtype : {'float32', 'float64'}, default 'float32'
    device : {'cpu', 'cuda', 'auto'}, default 'cpu'
    random_state : int or None
        Seeds the initial weights and the dropout masks.
    init : {'torch', 'forget', 'chrono'}, default 'torch'
        Starting values. 'torch': every weight and bias U(-1/sqrt(H),
        1/sqrt(H)), torch's law. 'forget': that, plus 1 on the bias of the
        gate that keeps the state (the LSTM's forget gate, Gers et al. 2000;
        Jozefowicz et al. 2015; the GRU's update gate z), so a new network
        remembers. 'chrono' (Tallec & Ollivier 2018): that gate's bias drawn
        as log U(1, chrono_max - 1), and the LSTM's input-gate bias its
        negative, so units keep their state over up to ``chrono_max`` steps.
        The RNN cell has no gate: every init is torch's. Forward parity with
        torch for a given ``state_dict`` is unchanged: init only sets
        starting values.
    chrono_max : int, default 100
        Longest dependency (in recurrent steps) of ``init='chrono'``.

    Notes
    -----
    :meth:`forward` keeps what :meth:`backward` needs; one backward per
    forward. Arrays are time-major ``(T, B, D)`` unless ``batch_first``.
    """

    def __init__(self, cell, input_size, hidden_size, num_layers=1, bidirectional=False,
                 dropout=0.0, nonlinearity="tanh", dtype="float32", device="cpu",
                 random_state=None, batch_first=False, init="torch", chrono_max=100):
        if cell not in CELLS:
            raise ParameterError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
        self.cell = cell
        self.input_size = _check_int(input_size, "input_size", 1)
        self.hidden_size = _check_int(hidden_size, "hidden_size", 1)
        self.num_layers = _check_int(num_layers, "num_layers", 1)
        self.bidirectional = bool(bidirectional)
        if not (isinstance(dropout, (int, float, np.floating)) and 0.0 <= dropout < 1.0):
            raise ParameterError(f"dropout must be a float in [0, 1), got {dropout!r}")
        self.dropout = float(dropout)
        if nonlinearity not in NONLINEARITIES:
            raise ParameterError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ParameterError(f"dtype must be float32 or float64, got {dtype!r}")
        self.device = resolve_device(device)
        self._backend = get_backend(self.device)
        self.batch_first = bool(batch_first)
        if init not in INITS:
            raise ParameterError(f"init must be one of {INITS}, got {init!r}")
        self.init, self.chrono_max = init, _check_int(chrono_max, "chrono_max", 3)
        self._rng = np.random.default_rng(random_state)
        self._tape = None
        self.params = self._init_params()

    # -- parameters -------------------------------------------------------

    @property
    def num_directions(self):
        return 2 if self.bidirectional else 1

    def param_shapes(self):
        """Ordered dict of torch parameter names to shapes."""
        G = CELLS[self.cell] * self.hidden_size
        shapes = {}
        for layer in range(self.num_layers):
            d_in = self.input_size if layer == 0 else self.hidden_size * self.num_directions
            for direction in range(self.num_directions):
                s = param_suffix(layer, direction)
                shapes["weight_ih" + s] = (G, d_in)
                shapes["weight_hh" + s] = (G, self.hidden_size)
                shapes["bias_ih" + s] = (G,)
                shapes["bias_hh" + s] = (G,)
        return shapes

    def _init_params(self):
        k = 1.0 / np.sqrt(self.hidden_size)
        params = {name: self._rng.uniform(-k, k, size=shape).astype(self.dtype)
                  for name, shape in self.param_shapes().items()}
        if self.init != "torch" and self.cell != "rnn":
            H = self.hidden_size
            keep = slice(H, 2 * H)  # LSTM [i, f, g, o]: f; GRU [r, z, n]: z
            for name, b in params.items():
                if not name.startswith("bias_ih"):
                    continue
                if self.init == "forget":
                    b[keep] += 1.0
                else:  # chrono: the keep gate's bias log U(1, T-1), the LSTM's input gate its negative
                    bias = np.log(self._rng.uniform(1.0, self.chrono_max - 1.0, H))
                    b[keep] = bias
                    params[name.replace("bias_ih", "bias_hh")][keep] = 0.0
                    if self.cell == "lstm":
                        b[0:H] = -bias
                        params[name.replace("bias_ih", "bias_hh")][0:H] = 0.0
        return params

    def state_dict(self):
        """Copy of the parameters as ``{torch_name: ndarray}``."""
        return {name: p.copy() for name, p in self.params.items()}

    def load_state_dict(self, state):
        """Load parameters by torch name (a torch ``state_dict`` as NumPy works).

        Every expected name must be present with its exact shape; unknown
        names are an error. Values are cast to this network's dtype.
        """
        shapes = self.param_shapes()
        missing = [n for n in shapes if n not in state]
        unknown = [n for n in state if n not in shapes]
        if missing or unknown:
            raise DataError(f"state dict mismatch: missing {missing}, unexpected {unknown}")
        new = {}
        for name, shape in shapes.items():
            arr = np.asarray(state[name])
            if hasattr(state[name], "detach"):  # a torch tensor
                arr = state[name].detach().cpu().numpy()
            arr = check_array(np.asarray(arr, dtype=self.dtype), name, (shape, str(shape)))
            new[name] = arr.copy()
        self.params = new

    def n_parameters(self):
        return int(sum(p.size for p in self.params.values()))

    # -- forward / backward -------------------------------------------------

    def _state(self, s, name, B):
        LD = self.num_layers * self.num_directions
        shape = (LD, B, self.hidden_size)
        if s is None:
            return np.zeros(shape, self.dtype)
        return check_array(np.asarray(s, dtype=self.dtype) if np.asarray(s).dtype.kind in "iuf" else s,
                           name, (shape, f"(num_layers*num_directions, B, H) = {shape}"))

    def forward(self, x, h0=None, c0=None, training=False, tape=True):
        """Run the network.

        Parameters
        ----------
        x : array, shape (T, B, D) (or (B, T, D) with ``batch_first``)
        h0, c0 : array, shape (num_layers * num_directions, B, H), optional
        training : bool
            Apply dropout between layers.
        tape : bool
            False: inference only. The CPU forward then keeps no gates or cell
            states (a block of steps at a time; the same results to rounding,
            bit for bit when the sequence fits in one block), and
            :meth:`backward` needs another forward first.

        Returns
        -------
        y : ndarray, shape (T, B, num_directions * H)
        h_n : ndarray, shape (num_layers * num_directions, B, H)
        c_n : ndarray or None
            Final cell states for LSTM, else None.
        """
        x = np.asarray(x)
        if x.dtype.kind not in "iuf":
            raise DataError(f"x must be numeric, got dtype {x.dtype}")
        x = check_array(x.astype(self.dtype, copy=False), "x", ((None, None, self.input_size),
                        f"({'B, T' if self.batch_first else 'T, B'}, D) with D={self.input_size}"))
        if self.batch_first:
            x = np.ascontiguousarray(x.transpose(1, 0, 2))
        T, B, _ = x.shape
        if T == 0 or B == 0:
            raise DataError(f"x must have at least one time step and one sequence, got shape {x.shape}")
        h0 = self._state(h0, "h0", B)
        c0 = self._state(c0, "c0", B) if self.cell == "lstm" else None
        H, ND = self.hidden_size, self.num_directions
        masks = [None] * self.num_layers
        if training and self.dropout > 0.0:
            keep = 1.0 - self.dropout
            for layer in range(1, self.num_layers):
                masks[layer] = ((self._rng.random((T, B, ND * H)) < keep).astype(self.dtype)
                                / self.dtype.type(keep))
        y, h_n, c_n, self._tape = self._backend.network_forward(self, self.params, x, h0, c0, masks, tape)
        self._tape_shape = (T, B)
        if self.batch_first:
            y = np.ascontiguousarray(y.transpose(1, 0, 2))
        return y, h_n, c_n

    def backward(self, dy=None, dh_n=None, dc_n=None, out=None):
        """Backpropagate through the last :meth:`forward`.

        Parameters
        ----------
        dy : array like ``y``, optional
        dh_n, dc_n : arrays like ``h_n`` / ``c_n``, optional
        out : dict, optional
            Parameter name -> array to write the gradients into (e.g. views
            of a flat gradient vector); returned as ``grads``.

        Returns
        -------
        grads : dict
            Gradients by torch parameter name.
        dx : ndarray, like ``x``
        dh0 : ndarray, like ``h0``
        dc0 : ndarray or None
        """
        if self._tape is None:
            raise RuntimeError("backward() needs a forward() first (one backward per forward)")
        T, B = self._tape_shape
        H, ND = self.hidden_size, self.num_directions
        yshape = (B, T, ND * H) if self.batch_first else (T, B, ND * H)
        dy = np.zeros(yshape, self.dtype) if dy is None else check_array(
            np.asarray(dy, self.dtype), "dy", (yshape, str(yshape)))
        if self.batch_first:
            dy = np.ascontiguousarray(dy.transpose(1, 0, 2))
        dh_n = self._state(dh_n, "dh_n", B)
        dc_n = self._state(dc_n, "dc_n", B) if self.cell == "lstm" else None
        tape, self._tape = self._tape, None
        grads, dx, dh0, dc0 = self._backend.network_backward(self, tape, dy, dh_n, dc_n, out)
        if self.batch_first:
            dx = np.ascontiguousarray(dx.transpose(1, 0, 2))
        return grads, dx, dh0, dc0


def clip_grad_norm(grads, max_norm):
    """Scale ``grads`` (dict of arrays) in place so their global L2 norm is at
    most ``max_norm``. Returns the norm before clipping (as torch does)."""
    total = float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads.values())))
    if max_norm is not None and np.isfinite(total) and total > max_norm:
        scale = max_norm / (total + 1e-6)
        for g in grads.values():
            g *= g.dtype.type(scale)
    return total
