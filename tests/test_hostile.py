"""Doors around the validation: pickles, names, failed compiles, hash flooding (issue 12).

Oracles: the same tape built through the validating constructor, names as they were given,
counts of comparisons and hash probes (not timings).
"""

import copyreg
import io
import pickle
import sys

import numpy as np
import pytest

import scalargraph as sg
from scalargraph import ops


class CountingInt(int):
    """An int that counts the comparisons made with it (either side of the operator)."""

    count = 0

    def _cmp(name):
        def method(self, other):
            CountingInt.count += 1
            return getattr(int(self), name)(other)
        return method

    __lt__, __le__ = _cmp("__lt__"), _cmp("__le__")
    __gt__, __ge__ = _cmp("__gt__"), _cmp("__ge__")


def test_many_separate_variable_vectors_are_looked_up_by_binary_search():
    xs = [sg.variables(1, prefix=f"v{k}_")[0] for k in range(16000)]
    g = xs[0].graph
    CountingInt.count = 0
    assert g.names.get(CountingInt(xs[137].index)) == "v137_0"
    # A scan of the 16,000 ranges made about 32,000 comparisons; a binary search 2 log2.
    assert CountingInt.count <= 40, CountingInt.count
    tape = sg.compile(xs, [sg.sum(sg.NodeArray(g, [x.index for x in xs]))])
    names = tuple(tape.input_names)
    assert names[0] == "v0_0" and names[-1] == "v15999_0" and len(set(names)) == 16000
    assert pickle.loads(pickle.dumps(tape)).input_names == names
    buf = io.BytesIO()
    sg.save(tape, buf)
    buf.seek(0)
    assert sg.load(buf).input_names == names


def test_names_of_single_variables_and_ranges_mix():
    a = sg.var("a")
    v = sg.variables(3, prefix="v")
    b = sg.var("b")
    w = sg.variables(2)
    c = sg.var()
    tape = sg.compile([a, *v, b, *w, c], [a + b])
    assert tuple(tape.input_names) == ("a", "v0", "v1", "v2", "b", "x0", "x1", None)


class _ForgedTape:
    """Pickles as "make a bare Tape, then fill its attributes" (copyreg's reconstructor and
    BUILD, what pickle does for a class without a reducer), bypassing Tape.__reduce__."""

    def __init__(self, state):
        self.state = state

    def __reduce__(self):
        return copyreg._reconstructor, (sg.Tape, object, None), self.state


def _state_of(tape, **changes):
    state = {k: getattr(tape, k) for k in ("op", "arg0", "arg1", "consts", "outputs",
                                           "input_names", "n_data", "n_inputs")}
    state.update(changes)
    return state


def test_a_pickle_that_bypasses_the_reducer_is_validated():
    x, y = sg.var("x"), sg.var("y")
    tape = sg.compile([x, y], [sg.sin(x) * y])
    arg0 = tape.arg0.copy()
    arg0[-1] = 10**6  # a parent far out of range: the sweep would read wild memory
    with pytest.raises(ValueError, match="arg0"):
        pickle.loads(pickle.dumps(_ForgedTape(_state_of(tape, arg0=arg0))))
    with pytest.raises(ValueError, match="outputs"):
        pickle.loads(pickle.dumps(_ForgedTape(_state_of(tape, outputs=np.array([-7], np.int32)))))
    with pytest.raises(ValueError, match="state"):
        pickle.loads(pickle.dumps(_ForgedTape({"op": tape.op})))
    # A well-formed state gives a working tape, as the reducer's route would.
    good = pickle.loads(pickle.dumps(_ForgedTape(_state_of(tape))))
    assert good.input_names == ("x", "y")
    np.testing.assert_array_equal(good.gradient([0.5, 2.0]), tape.gradient([0.5, 2.0]))
    np.testing.assert_allclose(good([0.5, 2.0]), [np.sin(0.5) * 2.0], rtol=1e-15)
