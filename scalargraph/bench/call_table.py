"""The per-call table: a small tape's value and gradient by every path, CasADi beside.

The paths, on one tape (the Domke graph, or the toy model's squared error for one example):
from user ``@njit`` code, the hand-written straight-line floor
(:mod:`scalargraph.bench.straight_peers`), ``tape.specialize().kernel`` and the
interpreter's ``sg.value_and_gradient_kernel``; from Python, ``tape.value_and_gradient(x)``,
``tape.gradient(x)``, ``tape(x)`` (value only), the ``tape.bind()`` callable, the
``tape.buffer()`` call, ``tape.specialize().value_and_gradient(x)`` and its ``buffer()``
call, and CasADi's SX Function of the same
expression and its ``ca.gradient``, by its plain call ``F(x)`` and its buffer call
(``F.buffer()``: arguments bound once, then a call with no arguments). CasADi is optional:
its rows are left out, with a note, when it is not installed.

How: one process, every path **interleaved** (A B C ... A B C ..., the report's harness,
:func:`scalargraph.bench.timing.interleaved`), each sample a batch of
calls lasting about ``sample`` seconds (thousands of calls; the ``@njit`` rows loop inside
compiled code), ``rounds`` samples per path, timed with the process's CPU clock
(``time.process_time``: time spent waiting while other processes run is not counted), garbage
collection off. Reported: min and median ns per call over the samples, and the ratios of
medians against the floor and against CasADi's buffer call, with the load average before
and after. Every path's result is checked against ``tape.value_and_gradient`` first.

Run: ``python -m scalargraph.bench.call_table [--case domke] [--rounds 60] [--sample-ms 4]``
"""

import argparse
import os
from dataclasses import dataclass

import numpy as np

from . import straight_peers as peers
from . import timing, workloads

FLOOR = "hand-written straight-line @njit (floor)"
CASADI_BUFFER = "CasADi SX, F.buffer() call"


def case_tape(case):
    """``(tape, x)`` of ``case`` ("domke" or "toy_model"): the tape and the point timed."""
    if case == "domke":
        return workloads.domke().tape, np.array([0.3])
    if case == "toy_model":
        rng = np.random.default_rng(17)
        x = np.concatenate([[0.1, 0.5, -0.2, 0.7, 0.3, 0.4, -0.1, 0.8], rng.uniform(-1, 1, 2)])
        return workloads.toy_loss(), x
    raise ValueError(f"case must be 'domke' or 'toy_model', got {case!r}")


def _loop0(f, n):
    for _ in range(n):
        f()


def _loop1(f, a, n):
    for _ in range(n):
        f(a)


def _loop2(f, a, b, n):
    for _ in range(n):
        f(a, b)


def paths(case="domke"):
    """``(rows, notes)``: rows is a list of ``(name, run, result)``, ``run(n)`` making n calls
    and ``result()`` one call's ``(value, gradient)``; notes say what was left out."""
    import scalargraph as sg
    tape, x = case_tape(case)
    x = x.copy()
    n = tape.n_inputs
    g = np.empty(n)
    floor = peers.domke_value_and_gradient if case == "domke" else peers.toy_value_and_gradient
    spec = tape.specialize()
    kernel, args, vg_kernel = spec.kernel, tape.bind().args, sg.value_and_gradient_kernel
    bound = tape.bind()
    buffer_call, buffer_x, buffer_g = tape.buffer()
    buffer_x[:] = x

    def buffer_result():
        return buffer_call(), buffer_g.copy()

    spec_call, spec_x, spec_g = spec.buffer()
    spec_x[:] = x

    def spec_result():
        return spec_call(), spec_g.copy()

    def with_g(call):
        def result():
            gg = np.empty(n)
            return call(gg), gg
        return result

    rows = [
        (FLOOR, lambda k: peers.repeat(floor, x, g, k), with_g(lambda gg: floor(x, gg))),
        ("tape.specialize().kernel from @njit", lambda k: peers.repeat_output(kernel, x, g, k),
         with_g(lambda gg: kernel(x, 0, gg))),
        ("sg.value_and_gradient_kernel from @njit",
         lambda k: peers.repeat_interpreter(vg_kernel, args, x, g, k),
         with_g(lambda gg: vg_kernel(*args, x, gg))),
        ("tape.value_and_gradient(x)", lambda k: _loop1(tape.value_and_gradient, x, k),
         lambda: tape.value_and_gradient(x)),
        ("tape.gradient(x)", lambda k: _loop1(tape.gradient, x, k),
         lambda: (tape(x)[0], tape.gradient(x))),
        ("tape(x) (value only)", lambda k: _loop1(tape, x, k),
         lambda: (tape(x)[0], tape.gradient(x))),
        ("tape.bind() callable f(x, g)", lambda k: _loop2(bound, x, g, k),
         with_g(lambda gg: bound(x, gg))),
        ("tape.buffer() call (arrays bound once, no arguments)",
         lambda k: _loop0(buffer_call, k), buffer_result),
        ("tape.specialize().value_and_gradient(x)",
         lambda k: _loop1(spec.value_and_gradient, x, k), lambda: spec.value_and_gradient(x)),
        ("tape.specialize().buffer() call", lambda k: _loop0(spec_call, k), spec_result),
    ]
    notes = []
    try:
        cas = peers.CasadiValueAndGradient(case, x)
    except ImportError:
        notes.append("CasADi is not installed (pip install casadi, or the 'peers' extra): "
                     "its rows are left out")
    else:
        def plain_result():
            v, gr = cas.plain(x)
            return float(v), np.asarray(gr, dtype=np.float64).ravel()

        def buffer_result():
            cas.buffer_call()
            return cas.value, cas.gradient

        rows += [("CasADi SX, F(x) plain call", lambda k: _loop1(cas.plain, x, k),
                  plain_result),
                 (CASADI_BUFFER, lambda k: _loop0(cas.buffer_call, k), buffer_result)]
    return rows, notes


def check(rows, want, rtol=1e-13):
    """Every row's ``(value, gradient)`` against ``want``, to ``rtol`` (CasADi and the hand
    floor round differently; the tape's own paths agree to the bit, see the tests)."""
    for name, _, result in rows:
        v, g = result()
        if not (np.allclose(v, want[0], rtol=rtol, atol=0)
                and np.allclose(g, want[1], rtol=rtol, atol=0)):
            raise AssertionError(f"{name}: {(v, g)} differs from the tape's {want}")


def measure(rows, rounds=60, sample=0.004):
    """ns per call of every row, ``(rounds, len(rows))``, and the calls per sample:
    :func:`timing.interleaved` with counted runners (see the module docstring), ``rounds``
    rounds of samples of about ``sample`` seconds. Cost: about ``rounds * len(rows) *
    sample`` seconds of CPU."""
    samples = timing.interleaved([run for _, run, _ in rows], budget=50 * sample,
                                 min_rounds=rounds, max_rounds=rounds, counted=True)
    return samples.times * 1e9, samples.numbers


@dataclass
class Row:
    name: str
    calls: int        # calls per sample
    ns_min: float
    ns_median: float
    over_floor: float   # median / the floor's median
    over_casadi: float  # median / CasADi buffer call's median (nan without CasADi)


def table(case="domke", rounds=60, sample=0.004):
    """Measure every path of ``case``: ``(rows [Row], notes [str])``."""
    import scalargraph as sg  # noqa: F401 -- imported before timing starts
    spec_rows, notes = paths(case)
    tape, x = case_tape(case)
    check(spec_rows, tape.value_and_gradient(x))
    load0 = os.getloadavg() if hasattr(os, "getloadavg") else None
    times, numbers = measure(spec_rows, rounds, sample)
    load1 = os.getloadavg() if hasattr(os, "getloadavg") else None
    med = np.median(times, axis=0)
    names = [r[0] for r in spec_rows]
    floor = med[names.index(FLOOR)]
    cas = med[names.index(CASADI_BUFFER)] if CASADI_BUFFER in names else float("nan")
    out = [Row(name, numbers[j], float(times[:, j].min()), float(med[j]), float(med[j] / floor),
               float(med[j] / cas)) for j, name in enumerate(names)]
    if load0 is not None:
        notes.append("load average (1, 5, 15 min) before: {:.2f} {:.2f} {:.2f}; after: "
                     "{:.2f} {:.2f} {:.2f}".format(*load0, *load1))
    notes.append(f"{rounds} interleaved samples per path, each about {sample * 1e3:g} ms of "
                 "CPU (process_time), garbage collection off")
    return out, notes


def markdown(rows):
    """The rows as a Markdown table."""
    lines = ["| path | ns per call, min | median | vs floor (median) | vs CasADi buffer call |",
             "|---|---|---|---|---|"]
    for r in rows:
        cas = "-" if not np.isfinite(r.over_casadi) else f"{r.over_casadi:.2f}"
        lines.append(f"| {r.name} | {r.ns_min:.0f} | {r.ns_median:.0f} | {r.over_floor:.2f} "
                     f"| {cas} |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m scalargraph.bench.call_table",
                                description=__doc__.splitlines()[0])
    p.add_argument("--case", default="domke", choices=["domke", "toy_model"])
    p.add_argument("--rounds", type=int, default=60)
    p.add_argument("--sample-ms", type=float, default=4.0)
    a = p.parse_args(argv)
    rows, notes = table(a.case, a.rounds, a.sample_ms / 1e3)
    print(f"{a.case}: value and gradient per call\n")
    print(markdown(rows))
    for note in notes:
        print(f"\n- {note}", end="")
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
