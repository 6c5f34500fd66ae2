"""The stacked, bidirectional layer loop, written once for every backend.

:func:`stack_forward` and :func:`stack_backward` run a network of
``num_layers`` layers and one or two directions over an ``ops`` object that
supplies the cell drivers and a handful of array operations:

====================  =======================================================
``layer_forward``     one layer/direction forward -> cache with ``hs`` (and ``cs``)
``layer_infer``       the same without a tape (what ``hs``/``cs`` need; inference)
``layer_backward``    BPTT of one layer/direction -> Grads NamedTuple
``empty``/``zeros``   scratch arrays ``(name, shape, dtype)``
``reverse_time``      ``x[::-1]`` along time
``put_direction``     ``y[:, :, c:c+H] = hs[1:]`` (or time-reversed)
``take_direction``    ``dy[:, :, c:c+H]`` (or time-reversed)
``accumulate``        ``dx (=|+=) g`` (g optionally time-reversed)
``multiply``          ``a * b`` (dropout masks)
``copy``              ``dst[...] = src``
``at``                ``a[i]`` along the first axis (the device memoises the view)
``scope``             context naming the scratch buffers of one layer/direction
====================  =======================================================

:class:`tsgate.backend.NumpyOps` implements them on NumPy arrays and
:class:`tsgate.gpu_network.DeviceOps` on CUDA device arrays. Only the array
operations differ; the order of every computation is the same.
"""

from .elementmath import NONLINEARITIES


def param_suffix(layer, direction):
    """torch's parameter-name suffix: ``_l0``, ``_l1_reverse``..."""
    return f"_l{layer}" + ("_reverse" if direction == 1 else "")


def layer_params(params, layer, direction):
    """(w_ih, w_hh, b_ih, b_hh) of one layer and direction from a name -> array dict."""
    s = param_suffix(layer, direction)
    return params["weight_ih" + s], params["weight_hh" + s], params["bias_ih" + s], params["bias_hh" + s]


def cell_forward(modules, cell, x, w_ih, w_hh, b_ih, b_hh, h0, c0, act, stage="forward"):
    """One layer/direction forward by the driver of ``cell`` in ``modules``
    (the CPU cell modules or their GPU siblings: the drivers share names).
    ``stage='infer'``: the CPU drivers' forward without a tape (``hs``, and
    ``cs`` ending in c_T for LSTM), the forward's results to rounding."""
    run = getattr(modules[cell], f"_{cell}_{stage}")
    if cell == "lstm":
        return run(x, w_ih, w_hh, b_ih, b_hh, h0, c0)
    if cell == "gru":
        return run(x, w_ih, w_hh, b_ih, b_hh, h0)
    return run(x, w_ih, w_hh, b_ih, b_hh, h0, act)


def cell_backward(modules, cell, cache, dy, dh_n, dc_n, out):
    """BPTT of one layer/direction (see :func:`cell_forward`); a Grads NamedTuple."""
    mod = modules[cell]
    if cell == "lstm":
        return mod._lstm_backward(cache, dy, dh_n, dc_n, out)
    if cell == "gru":
        return mod._gru_backward(cache, dy, dh_n, out)
    return mod._rnn_backward(cache, dy, dh_n, out)


def stack_forward(ops, net, params, x, h0, c0=None, masks=None, tape=True):
    """Forward through every layer and direction.

    Parameters
    ----------
    ops : array operations and cell drivers of one backend (module doc)
    net : RecurrentNetwork (architecture: cell, sizes, layers, directions)
    params : dict of torch parameter name -> array
    x : (T, B, D); h0, c0 : (L*ND, B, H) (c0 for LSTM only)
    masks : list of per-layer dropout masks (T, B, ND*H) or None
    tape : bool
        False: inference, each layer by ``ops.layer_infer``, which stores no
        gates; the returned tape is then None.

    Returns
    -------
    y (T, B, ND*H), h_n (L*ND, B, H), c_n or None, tape (for :func:`stack_backward`)
    """
    cell, H, ND = net.cell, net.hidden_size, net.num_directions
    act = NONLINEARITIES[net.nonlinearity]
    T, B, _ = x.shape
    h_n = ops.empty("h_n", (net.num_layers * ND, B, H), x.dtype)  # (L*ND, B, H)
    c_n = ops.empty("c_n", h_n.shape, x.dtype) if cell == "lstm" else None
    run = ops.layer_forward if tape else ops.layer_infer
    caches_by_layer, inp = [], x
    for layer in range(net.num_layers):
        mask = None if masks is None else masks[layer]
        if mask is not None:
            inp = ops.multiply(f"x{layer}_dropped", inp, mask)
        out = ops.empty(f"y{layer}", (T, B, ND * H), x.dtype)  # (T, B, ND*H)
        caches = []
        for d in range(ND):
            idx = layer * ND + d
            with ops.scope(f"l{layer}d{d}"):
                xin = inp if d == 0 else ops.reverse_time(inp)
                c0_d = None if c_n is None else ops.at(c0, idx)
                cache = run(cell, xin, *layer_params(params, layer, d), ops.at(h0, idx), c0_d, act)
            ops.put_direction(cache.hs, out, d * H, d == 1)
            ops.copy(ops.at(h_n, idx), ops.at(cache.hs, T))
            if c_n is not None:
                c_T = ops.at(cache.cs, cache.cs.shape[0] - 1)  # an inference cache keeps only c_T
                ops.copy(ops.at(c_n, idx), c_T)
            caches.append(cache)
        caches_by_layer.append((caches, mask))
        inp = out
    return inp, h_n, c_n, (caches_by_layer if tape else None)


def stack_backward(ops, net, tape, dy, dh_n, dc_n, grads):
    """BPTT through a :func:`stack_forward`.

    ``dy`` (T, B, ND*H) or None (zero); ``dh_n``, ``dc_n`` (L*ND, B, H)
    (dc_n for LSTM only); ``grads``: parameter name -> array, written in
    place. Returns ``dx (T, B, D), dh0, dc0 (or None)``.
    """
    cell, H, ND = net.cell, net.hidden_size, net.num_directions
    T, B = tape[0][0][0].x.shape[:2]
    dtype = dh_n.dtype
    dh0 = ops.empty("dh0", dh_n.shape, dtype)
    dc0 = ops.empty("dc0", dh_n.shape, dtype) if cell == "lstm" else None
    for layer in range(net.num_layers - 1, -1, -1):
        caches, mask = tape[layer]
        dx = None
        for d in range(ND):
            idx = layer * ND + d
            with ops.scope(f"l{layer}d{d}"):
                dyd = ops.zeros("dy_zero", (T, B, H), dtype) if dy is None else ops.take_direction(dy, H, d * H, d == 1)
                dc_d = None if dc0 is None else ops.at(dc_n, idx)
                g = ops.layer_backward(cell, caches[d], dyd, ops.at(dh_n, idx), dc_d,
                                       layer_params(grads, layer, d))
            ops.copy(ops.at(dh0, idx), g.dh0)
            if dc0 is not None:
                ops.copy(ops.at(dc0, idx), g.dc0)
            if ND == 1:
                dx = g.dx
            else:
                if dx is None:
                    dx = ops.empty(f"dx{layer}", g.dx.shape, dtype)
                ops.accumulate(dx, g.dx, d == 1, d == 0)
        if mask is not None:
            dx = ops.multiply(f"dx{layer}_dropped", dx, mask)
        dy = dx
    return dy, dh0, dc0
