"""Public entry points that must not let bad or shared state reach a kernel."""

import numpy as np
import pytest

import scalargraph as sg
from scalargraph import batch


def test_tape_copies_the_arrays_it_is_given():
    base = np.zeros((2, 3), np.int32)
    arg0, arg1 = base[0], base[1]
    arg0[:] = [0, 0, 1]
    arg1[:] = -1
    op = np.array([0, 10, 10], np.uint8)  # input, exp, exp
    tape = sg.Tape(op, arg0, arg1, np.zeros(0), np.array([2], np.int32))
    base[0, 2] = 50_000_000  # would point a kernel far outside the tape
    op[1] = 250
    assert op.flags.writeable and arg0.base is base  # the caller's arrays are untouched
    assert tape([0.5])[0] == pytest.approx(np.exp(np.exp(0.5)), rel=1e-15)


def test_drawing_nodes_of_two_graphs_is_refused_before_any_kernel():
    with sg.Graph():
        a = sg.var("a")
        small = sg.exp(a)
    with sg.Graph():
        big = sg.sum(sg.sin(sg.variables(1000)))
    with pytest.raises(ValueError, match="another graph"):
        sg.to_dot([small, big])


def test_builders_take_sequences_mixing_nodes_and_numbers():
    a, b = sg.var("a"), sg.var("b")
    x = sg.variables(3)
    outs = [sg.sum([a, 1.0]), sg.sum([1.0, a]), sg.sum(x + [a, 1.0, 2.0]),
            sg.dot(x, [a, 1.0, 2.0]), sg.sum(sg.dense(np.ones((2, 3)), [a, b, 1.0])),
            sg.sum(sg.maximum(x, [a, 0.0, 0.0]))]
    tape = sg.compile([a, b] + list(x), outs)
    va, vb, vx = 0.5, 2.0, np.array([1.0, -1.0, 3.0])
    expected = [va + 1, 1 + va, (vx + [va, 1, 2]).sum(), vx @ [va, 1, 2],
                2 * (va + vb + 1), np.maximum(vx, [va, 0, 0]).sum()]
    np.testing.assert_allclose(tape(np.concatenate([[va, vb], vx])), expected, rtol=1e-15)
    with pytest.raises(TypeError, match="real number"):
        sg.sum([a, "1.0"])


def test_bound_callable_refuses_a_read_only_or_strided_array():
    x = sg.variables(3)
    bound = sg.compile(x, sg.sum(sg.sin(x))).bind()
    frozen = np.empty(3)
    frozen.flags.writeable = False
    with pytest.raises(TypeError, match="writable"):
        bound(np.ones(3), frozen)
    with pytest.raises(TypeError, match="contiguous"):
        bound(np.ones(6)[::2], np.empty(3))


def test_adjoints_of_a_multi_output_tape_need_an_output():
    x = sg.var("x")
    tape = sg.compile([x], [sg.sin(x), sg.cos(x)])
    with pytest.raises(ValueError, match="output=k"):
        tape.adjoints([1.0])
    assert tape.adjoints([1.0], output=1)[0] == pytest.approx(-np.sin(1.0), rel=1e-15)


def test_batch_work_buffer_kept_between_calls_is_bounded(monkeypatch):
    monkeypatch.setattr(batch, "CHUNK_BYTES", 1 << 12)  # 128 nodes' worth at one point
    monkeypatch.setattr(batch._local, "buffer", None, raising=False)
    xs = sg.variables(4)
    tape = sg.compile(xs, sg.sum(sg.tanh(sg.dense(np.ones((40, 4)), xs))))
    X = np.random.default_rng(0).normal(size=(3, 4))
    grads = tape.gradient(X, workers=1)
    kept = getattr(batch._local, "buffer", None)
    assert kept is None or kept.nbytes <= batch.CHUNK_BYTES
    np.testing.assert_allclose(grads[1], tape.gradient(X[1]), rtol=1e-14)


def test_two_threads_recording_into_one_graph_never_give_a_silent_wrong_answer():
    import sys
    import threading
    x = sg.var("x")
    n = 20000
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so that records interleave
    try:
        for _ in range(3):
            out, errors = [None, None], []

            def work(k):
                try:
                    h = x
                    for _ in range(n):
                        h = h + float(k + 1)
                    out[k] = h
                except RuntimeError as err:
                    errors.append(err)

            threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if errors:
                assert "two threads recorded into one graph" in str(errors[0])
            else:  # no interleaving happened this time: the answer must be right
                np.testing.assert_array_equal(sg.compile([x], out)([0.0]), [n * 1.0, n * 2.0])
    finally:
        sys.setswitchinterval(old)


def test_count_arguments_refuse_bools_floats_and_strings():
    x = sg.var("x")
    tape = sg.compile([x], [sg.sin(x)])
    for bad in (lambda: sg.variables(True), lambda: sg.variables(2.0),
                lambda: tape.gradient([[1.0]], workers="2"),
                lambda: tape.gradient([[1.0]], workers=2.7),
                lambda: sg.count_paths([1]), lambda: sg.path_gradient(None, [1.0]),
                lambda: sg.path_gradient(tape, [1.0], max_paths="x")):
        with pytest.raises(TypeError):
            bad()
    with pytest.raises(ValueError, match="1-d or 2-d"):
        sg.matmul(np.ones((2, 2, 1)), sg.variables(1))
    assert sg.path_gradient(tape, [1.0], max_paths=float("inf"))[0] == pytest.approx(
        np.cos(1.0), rel=1e-15)


def test_compile_names_data_arguments_as_the_caller_wrote_them():
    a, b = sg.var("a"), sg.var("b")
    with pytest.raises(ValueError, match=r"data\[1\] repeats inputs\[0\]"):
        sg.compile([a], [a * b], data=[b, a])
    with pytest.raises(TypeError, match=r"data\[0\] is .*not a variable"):
        sg.compile([a], [a * b], data=[a * b])
