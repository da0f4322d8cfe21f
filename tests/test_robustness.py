"""Public entry points that must not let bad or shared state reach a kernel."""

import threading

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


class _PausingArray:
    """Stands in for one of a graph's arrays and lets a test pause a thread before an append,
    so that two records interleave in a chosen order (the GIL makes real races rare)."""

    def __init__(self, array, before_append):
        self.array, self.before_append = array, before_append

    def append(self, value):
        self.before_append(threading.current_thread().name)
        self.array.append(value)

    def __len__(self):
        return len(self.array)


def _interleave(graph, x, y):
    """A records sin(x) and B cos(y): B's op and arg0 land between A's op and A's arg0,
    and A finishes before B's arg1. Returns (results, exceptions by thread name)."""
    a_op, b_arg0, a_done = threading.Event(), threading.Event(), threading.Event()

    def arg0_hook(who):
        if who == "A":
            a_op.set()
            b_arg0.wait(5)

    def arg1_hook(who):
        if who == "B":
            b_arg0.set()
            a_done.wait(5)

    graph.arg0 = _PausingArray(graph.arg0, arg0_hook)
    graph.arg1 = _PausingArray(graph.arg1, arg1_hook)
    results, errors = {}, {}

    def run(name, fn, node):
        if name == "B":
            a_op.wait(5)
        try:
            results[name] = fn(node)
        except RuntimeError as err:
            errors[name] = err
        finally:
            if name == "A":
                a_done.set()

    threads = [threading.Thread(target=run, args=a, name=a[0])
               for a in (("A", sg.sin, x), ("B", sg.cos, y))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    graph.arg0, graph.arg1 = graph.arg0.array, graph.arg1.array
    return results, errors


def test_interleaved_records_raise_and_the_graph_refuses_to_compile():
    with sg.Graph() as graph:
        x, y = sg.var("x"), sg.var("y")
    results, errors = _interleave(graph, x, y)
    assert errors, "an interleaving went unnoticed"
    assert all("out of step" in str(e) for e in errors.values())
    with pytest.raises(RuntimeError, match="out of step"):
        sg.compile([x, y], list(results.values()) or [x])
    with pytest.raises(RuntimeError, match="out of step"):
        sg.compile([x], [sg.exp(x)])  # the graph stays refused, whatever is added to it
    with sg.Graph():  # a fresh one works
        z = sg.var("z")
        assert sg.compile([z], [sg.sin(z)])([0.5])[0] == pytest.approx(np.sin(0.5), rel=1e-15)


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


def test_tape_and_budget_arguments_refuse_the_wrong_types():
    from scalargraph import checkpoint
    op = np.array([0, 0, 2], np.uint8)
    arrays = (op, np.array([0, 1, 0], np.int32), np.array([-1, -1, 1], np.int32), np.zeros(0),
              np.array([2], np.int32))
    with pytest.raises(TypeError, match="n_data"):
        sg.Tape(*arrays, n_data=True)
    with pytest.raises(TypeError, match="single string"):
        sg.Tape(*arrays, input_names="ab")
    assert sg.Tape(*arrays, input_names=["a", "b"], n_data=1).n_data == 1
    x = sg.var("x")
    tape = sg.compile([x], [sg.sin(x)])
    with pytest.raises(TypeError, match="max_bytes"):
        checkpoint.checkpoints_for_budget(tape, True)
