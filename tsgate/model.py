"""The trainable model: [segment embedding] -> recurrent network -> dense head.

::

    X (B, L, D) --segments of w steps--> Z = X_seg W_e + b_e   (B, L/w, E)   only when w > 1
    y, h_n = RNN(Z or X)
    feats = [h_last, emb, extra, X[:, -n_ar:, 0]]               (B, F)
    pred  = feats W + b                                          (B, M)

* Series context (static covariates, series identity; as DeepAR and TFT):
  the first columns of ``extra`` may be a series number (``n_ids > 0``:
  a learned embedding ``emb = E[id]`` of ``id_dim`` values) and ``n_static``
  static features. They enter the head, and the initial state:
  ``h0 = tanh([emb, static] W_0)`` for every layer and direction (W_0 starts
  at zero, so training starts from the plain model).

* Segment recurrence (SegRNN, Lin et al. 2023): with ``segment_length=w``
  the network steps over L/w segments, each a linear embedding of its w
  consecutive points (all D input columns), so a lookback of 720 with w=48
  takes 15 recurrent steps instead of 720. BPTT runs through the embedding.
* Linear highway (LSTNet's autoregressive component, Lai et al. 2018; NLinear,
  Zeng et al. 2023): the head also reads the last ``n_ar`` values of the
  target channel (input column 0) directly, so the model family contains
  AR(p) and seasonal naive and the recurrent part learns what they miss. The
  highway's weights start at zero.

All parameters live in one flat vector (``flat``); the network's weights, the
embedding and the head are views into it, so an optimizer step is one
compiled call and clipping is one norm. Inputs are batch-first.
"""

import math

import numpy as np

from .network import RecurrentNetwork


class SequenceModel:
    """Recurrent network whose last hidden state (plus extra features and the
    linear highway) feeds a dense head. See the module docstring.

    Parameters
    ----------
    cell, hidden_size, num_layers, bidirectional, dropout, dtype, device, random_state, init, chrono_max
        As in :class:`tsgate.network.RecurrentNetwork`.
    input_size : int
        Columns D of X.
    n_outputs : int
    n_extra : int
        Per-sample features that enter the head only (known-future covariates...).
    n_ar : int
        Last values of input column 0 that enter the head (the linear highway).
    segment_length : int
        w; X's length must be a multiple of it.
    n_static, n_ids, id_dim : int
        Series context (module docstring): the static feature columns of
        ``extra`` (after the series number when ``n_ids``), the number of
        series and the size of their learned embedding.
    per_step : bool
        The head reads the hidden state of every (last layer) step: outputs
        (B, T * n_outputs), step t's in columns t*M .. (t+1)*M. Sequence
        labelling, forking sequences (MQ-RNN) and stateful training use it;
        without extra features and highway.
    """

    def __init__(self, cell, input_size, hidden_size, n_outputs, n_extra=0, num_layers=1, bidirectional=False,
                 dropout=0.0, dtype="float32", device="cpu", random_state=None, n_ar=0, segment_length=1,
                 init="torch", chrono_max=100, per_step=False, n_static=0, n_ids=0, id_dim=0):
        self.n_static, self.n_ids, self.id_dim = int(n_static), int(n_ids), int(id_dim) if n_ids else 0
        self.n_context = self.n_static + self.id_dim  # inputs of the initial state
        if per_step and (n_extra or n_ar or segment_length > 1 or bidirectional):
            raise ValueError("per_step outputs take no extra features, highway, segments or reverse direction")
        self.per_step = bool(per_step)
        self.input_size, self.segment_length, self.n_ar = int(input_size), int(segment_length), int(n_ar)
        w = self.segment_length
        self.net = RecurrentNetwork(cell, hidden_size if w > 1 else input_size, hidden_size, num_layers=num_layers,
                                    bidirectional=bidirectional, dropout=dropout, dtype=dtype, device=device,
                                    random_state=random_state, batch_first=True, init=init, chrono_max=chrono_max)
        self.n_outputs, self.n_extra = int(n_outputs), int(n_extra)
        self.n_head_extra = self.n_extra - (1 if self.n_ids else 0)  # extra columns the head reads as they are
        self.n_features = self.net.num_directions * hidden_size + self.id_dim + self.n_head_extra + self.n_ar
        shapes = dict(self.net.param_shapes())
        if w > 1:
            shapes["embed_weight"] = (w * self.input_size, hidden_size)
            shapes["embed_bias"] = (hidden_size,)
        shapes["head_weight"] = (self.n_features, self.n_outputs)
        shapes["head_bias"] = (self.n_outputs,)
        if self.id_dim:
            shapes["id_embedding"] = (self.n_ids, self.id_dim)
        if self.n_context:
            shapes["init_weight"] = (self.n_context, num_layers * self.net.num_directions * hidden_size)
        self.shapes = shapes
        self.flat = np.zeros(sum(int(np.prod(s)) for s in shapes.values()), self.net.dtype)
        self.views = self._views(self.flat)
        for name, p in self.net.params.items():
            self.views[name][...] = p
        rng = np.random.default_rng(None if random_state is None else random_state + 7919)
        if w > 1:
            k = 1.0 / math.sqrt(w * self.input_size)
            self.views["embed_weight"][...] = rng.uniform(-k, k, shapes["embed_weight"])
            self.views["embed_bias"][...] = rng.uniform(-k, k, shapes["embed_bias"])
        k = 1.0 / math.sqrt(self.n_features)
        self.views["head_weight"][...] = rng.uniform(-k, k, shapes["head_weight"])
        if self.n_ar:
            self.views["head_weight"][self.n_features - self.n_ar:] = 0.0  # the highway starts closed
        if self.id_dim:
            self.views["id_embedding"][...] = rng.standard_normal(shapes["id_embedding"]) / math.sqrt(self.id_dim)
            start = self.net.num_directions * hidden_size
            self.views["head_weight"][start:start + self.id_dim] = 0.0  # the embedding's head rows start closed
        self.net.params = {n: self.views[n] for n in self.net.params}
        self._cache = None
        self.frozen = None  # values of linear_range() kept fixed in training (freeze_linear)

    def _views(self, flat):
        out, o = {}, 0
        for name, shape in self.shapes.items():
            size = int(np.prod(shape))
            out[name] = flat[o:o + size].reshape(shape)
            o += size
        return out

    def __getstate__(self):
        # pickle turns views into separate arrays; __setstate__ re-links them
        state = dict(self.__dict__)
        state["views"] = None
        state["_cache"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.views = self._views(self.flat)
        self.net.params = {n: self.views[n] for n in self.net.param_shapes()}

    def set_flat(self, values):
        self.flat[...] = values

    def linear_range(self):
        """(lo, hi): the flat slice of the head's linear part, the rows that read
        the extra features and the highway, and the bias (contiguous)."""
        o = 0
        for name, shape in self.shapes.items():
            if name == "head_weight":
                n_lin = self.n_head_extra + self.n_ar
                return o + (self.n_features - n_lin) * self.n_outputs, o + int(np.prod(shape)) + self.n_outputs
            o += int(np.prod(shape))
        raise KeyError("head_weight")

    def freeze_linear(self):
        """Keep the head's linear part at its current values while training
        (the network then learns the residual of that linear forecaster)."""
        lo, hi = self.linear_range()
        self.frozen = self.flat[lo:hi].copy()

    # -- forward / backward ---------------------------------------------------

    def _embed(self, X):
        """(B, L, D) -> (B, L/w, E) segment embeddings, or X itself when w = 1."""
        w = self.segment_length
        if w == 1:
            return X
        B, L, D = X.shape
        return X.reshape(B, L // w, w * D) @ self.views["embed_weight"] + self.views["embed_bias"]

    def _context(self, extra):
        """Series numbers (B,) or None, and the context [emb, static] (B, n_context) or None."""
        if not self.n_context and not self.n_ids:
            return None, None
        ids = extra[:, 0].astype(np.int64) if self.n_ids else None
        parts = [self.views["id_embedding"][ids]] if self.id_dim else []  # (B, id_dim)
        first = 1 if self.n_ids else 0
        parts.append(np.asarray(extra[:, first:first + self.n_static], self.net.dtype))  # (B, n_static)
        return ids, np.concatenate(parts, axis=1)

    def _initial_state(self, ctx, B):
        """h0 = tanh(ctx W_0): (layers*directions, B, H), the same for c0's absence."""
        LD, H = self.net.num_layers * self.net.num_directions, self.net.hidden_size
        h0flat = np.tanh(ctx @ self.views["init_weight"])  # (B, LD*H)
        return h0flat, np.ascontiguousarray(h0flat.reshape(B, LD, H).transpose(1, 0, 2))

    def _features(self, h_n, extra, X, ctx=None):
        nd = self.net.num_directions
        parts = [np.concatenate([h_n[-nd + d] for d in range(nd)], axis=1) if nd == 2 else h_n[-1]]  # (B, nd*H)
        if self.id_dim:
            parts.append(ctx[:, :self.id_dim])  # (B, id_dim): the series embedding
        if self.n_head_extra:
            parts.append(extra[:, self.n_extra - self.n_head_extra:].astype(self.net.dtype, copy=False))
        if self.n_ar:
            parts.append(X[:, -self.n_ar:, 0])  # (B, n_ar): the linear highway
        return np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]

    def forward(self, X, extra=None, training=False, state=None, tape=True):
        """X (B, L, D) -> predictions (B, n_outputs), or (B, L * n_outputs)
        with ``per_step``. ``state``: initial (h0, c0) of shape (layers, B, H)
        (c0 None but for LSTM); the final states are then in ``last_state``.
        ``tape=False``: inference, no backward (the network keeps no gates)."""
        X = np.ascontiguousarray(X, dtype=self.net.dtype)
        if X.shape[1] % self.segment_length:
            raise ValueError(f"X has {X.shape[1]} steps, not a multiple of segment_length={self.segment_length}")
        h0, c0 = (None, None) if state is None else state
        ids, ctx = self._context(extra)
        h0flat = None
        if self.n_context and state is None:
            h0flat, h0 = self._initial_state(ctx, X.shape[0])
        y, h_n, c_n = self.net.forward(self._embed(X), h0, c0, training=training, tape=tape)
        self.last_state = (h_n, c_n)
        if self.per_step:  # the head on every step: (B, L, H) @ (H, M)
            self._cache = (X, y, h_n.shape)
            return (y @ self.views["head_weight"] + self.views["head_bias"]).reshape(X.shape[0], -1)
        feats = self._features(h_n, extra, X, ctx)  # (B, F)
        self._cache = (X, feats, h_n.shape, ids, ctx, h0flat)
        return feats @ self.views["head_weight"] + self.views["head_bias"]

    def _backward_per_step(self, dpred, g):
        X, y, hshape = self._cache  # y (B, L, H)
        B, L, H = y.shape
        d = dpred.reshape(B, L, self.n_outputs)
        np.dot(y.reshape(B * L, H).T, d.reshape(B * L, -1), out=g["head_weight"])
        g["head_bias"][...] = d.sum((0, 1))
        dy = d @ self.views["head_weight"].T  # (B, L, H)
        _, dX, _, _ = self.net.backward(dy, None, None, out=g)
        return dX

    def _backward_context(self, dfeat, dh0, ids, ctx, h0flat, g):
        """Gradients of W_0 and of the embedding rows the batch used."""
        B = dfeat.shape[0]
        if h0flat is None:  # a given initial state: no gradient into it
            g["init_weight"][...] = 0.0
            dctx = np.zeros_like(ctx)
        else:
            dpre = dh0.transpose(1, 0, 2).reshape(B, -1) * (1.0 - h0flat * h0flat)  # (B, LD*H)
            np.dot(ctx.T, dpre, out=g["init_weight"])
            dctx = dpre @ self.views["init_weight"].T  # (B, n_context)
        if self.id_dim:
            start = self.net.num_directions * self.net.hidden_size
            demb = dctx[:, :self.id_dim] + dfeat[:, start:start + self.id_dim]  # (B, id_dim)
            g["id_embedding"][...] = 0.0
            np.add.at(g["id_embedding"], ids, demb)

    def backward(self, dpred, grad_flat, want_dx=False):
        """Fill ``grad_flat`` with dL/dparams for the last forward; with
        ``want_dx`` also return dL/dX (B, L, D). No gradient flows into an
        initial ``state`` (truncated BPTT)."""
        g = self._views(grad_flat)
        if self.per_step:
            dX = self._backward_per_step(dpred, g)
            return dX if want_dx else None
        X, feats, hshape, ids, ctx, h0flat = self._cache
        np.dot(feats.T, dpred, out=g["head_weight"])
        g["head_bias"][...] = dpred.sum(0)
        dfeat = dpred @ self.views["head_weight"].T  # (B, F)
        nd, H = self.net.num_directions, self.net.hidden_size
        dh_n = np.zeros(hshape, self.net.dtype)
        for d in range(nd):
            dh_n[hshape[0] - nd + d] = dfeat[:, d * H:(d + 1) * H]
        _, dz, dh0, _ = self.net.backward(None, dh_n, None, out=g)  # dz: (B, S, E) or (B, L, D)
        if self.n_context:
            self._backward_context(dfeat, dh0, ids, ctx, h0flat, g)
        dX = None
        w = self.segment_length
        if w > 1:
            B, L, D = X.shape
            Xs = X.reshape(B * (L // w), w * D)
            dz2 = dz.reshape(B * (L // w), H)
            np.dot(Xs.T, dz2, out=g["embed_weight"])  # (wD, E)
            g["embed_bias"][...] = dz2.sum(0)
            if want_dx:
                dX = (dz2 @ self.views["embed_weight"].T).reshape(B, L, D)
        elif want_dx:
            dX = dz.copy()
        if want_dx and self.n_ar:
            dX[:, -self.n_ar:, 0] += dfeat[:, self.n_features - self.n_ar:]
        if self.frozen is not None:  # a frozen linear start gets no gradient (nor a share of the clipping norm)
            lo, hi = self.linear_range()
            grad_flat[lo:hi] = 0.0
        return dX
