"""Doors found by an adversarial pass: a graph's record and a node's index changed by hand
(or unpickled from altered data), a batch call re-entered on its own thread, sparse plans
with changed attributes, a tape's arrays replaced, a checkpoint plan or an evaluation
changed after the fact, and transforms' argument positions and static-argument keys.

Each test failed on the code before its fix: compile followed a corrupt record straight
into the kernels (a segfault, or a silently wrong tape); a negative node index wrapped
around to the graph's last node; a batch re-entered between its sweeps overwrote the
outer chunk's partials; a plan with a short ``colors`` broadcast it into a wrong Hessian.
"""

import copy
import math
import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import scalargraph as sg
from scalargraph import batch, sparsity
from scalargraph.bench.stencils import bratu


def _sin_times_x():
    with sg.Graph() as g:
        x = sg.var("x")
        y = sg.sin(x) * x + 3.0
    return g, x, y


_CRASHED = [("arg0", 1, 10**6), ("op", 1, 250), ("arg0", 1, -5)]


def test_records_that_crashed_compile_are_refused_in_a_child_process():
    # Before the fix the child died of SIGSEGV in the compile kernels on each of these.
    code = textwrap.dedent(f"""
        import scalargraph as sg
        for field, node, value in {_CRASHED!r}:
            with sg.Graph() as g:
                x = sg.var("x")
                y = sg.sin(x) * x
            getattr(g, field)[node] = value
            for reader in (lambda: sg.compile([x], [y]), lambda: sg.grad(y, x)):
                try:
                    reader()
                except ValueError as err:
                    print("refused:", err)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) == 2 * len(_CRASHED)
    assert lines[0].startswith("refused: the graph's record is corrupt at node 1 (sin, "
                               "arg0=1000000")
    assert lines[2].startswith("refused: the graph's record is corrupt at node 1 (opcode 250")
    assert all("record is corrupt at node 1" in line for line in lines)


@pytest.mark.parametrize("field, node, value", [
    ("arg0", 2, 3),        # mul's parent recorded after it (a wrong, not a crashing, tape)
    ("arg1", 2, -1),       # a negative parent: wrapped around to the last node
    ("arg1", 3, 99),       # add_const's pool index outside the pool
])
def test_a_corrupt_record_is_refused_by_every_reader(field, node, value):
    g, x, y = _sin_times_x()
    want = math.sin(0.5) * 0.5 + 3.0
    assert sg.compile([x], [y])([0.5])[0] == want
    getattr(g, field)[node] = value
    with pytest.raises(ValueError, match=f"record is corrupt at node {node}"):
        sg.compile([x], [y])
    with pytest.raises(ValueError, match="record is corrupt"):
        sg.grad(y, x)
    with pytest.raises(ValueError, match="record is corrupt"):
        sg.to_dot(y)


def test_an_unpickled_graph_is_checked_before_compile():
    g, x, y = _sin_times_x()
    good = pickle.loads(pickle.dumps((x, y)))
    assert sg.compile([good[0]], [good[1]])([2.0])[0] == math.sin(2.0) * 2.0 + 3.0
    g.arg0[1] = 99999
    forged = pickle.loads(pickle.dumps((x, y)))
    with pytest.raises(ValueError, match="changed by hand or unpickled from altered data"):
        sg.compile([forged[0]], [forged[1]])


@pytest.mark.parametrize("index, error", [(-1, IndexError), (10**6, (IndexError, ValueError)),
                                          (1.0, TypeError)])
def test_a_node_index_set_by_hand_is_refused(index, error):
    _, x, y = _sin_times_x()
    y.index = index  # before the fix, -1 compiled the graph's last node: 3.25 at x = 0.5
    with pytest.raises(error):
        sg.compile([x], [y])
    with pytest.raises(error):
        sg.grad(y, x)      # -1 gave the constant 0 without a word
    with pytest.raises(error):
        sg.to_dot(y)


def test_node_array_indices_set_by_hand_are_refused():
    with sg.Graph():
        x = sg.variables(3, "x")
        s = sg.sum(x * x)
    x.indices = np.array([0, -1, 2])
    with pytest.raises(IndexError, match="node index -1 is not in the graph"):
        sg.compile(x, [s])
    with pytest.raises(IndexError, match="node index -1"):
        sg.grad(s, x)


def test_a_batch_re_entered_on_its_thread_keeps_its_own_work(monkeypatch):
    """A call re-entered on the thread between a chunk's sweeps (what a signal handler or
    a callback does) must not take the chunk's work buffer; checked against the same batch
    without re-entry and against the closed form d/dx sin(x) x = cos(x) x + sin(x)."""
    with sg.Graph():
        x = sg.variables(3, "x")
        tape = sg.compile(x, [sg.sum(sg.sin(x) * x)])
        other = sg.compile(x, [sg.sum(sg.exp(x))])
    X = np.random.default_rng(0).normal(size=(50, 3))
    want = np.cos(X) * X + np.sin(X)
    np.testing.assert_allclose(tape.gradient(X, workers=1), want, rtol=1e-14)
    real = batch._kernels.forward_partials_batch
    inside = []

    def forward_then_reenter(*args):
        real(*args)
        if not inside:  # once, between the outer chunk's forward and reverse sweeps
            inside.append(True)
            np.testing.assert_allclose(other.gradient(2 * X, workers=1), np.exp(2 * X),
                                       rtol=1e-14)

    monkeypatch.setattr(batch._kernels, "forward_partials_batch", forward_then_reenter)
    got = tape.gradient(X, workers=1)
    assert inside
    np.testing.assert_allclose(got, want, rtol=1e-14)
    # the thread's kept buffer is back, and still bounded
    assert batch._local.buffer is not None and batch._local.buffer.nbytes <= batch.CHUNK_BYTES


def _cubes(n=4):
    with sg.Graph():
        x = sg.variables(n, "x")
        return sg.compile(x, [sg.sum(x * x * x)]), sg.compile(x, list(x * x))


def _negative(plan):
    colors = np.full(plan.colors.shape, -1, np.int32)
    plan.colors = colors


@pytest.mark.parametrize("change, kinds", [
    (lambda p: setattr(p, "colors", p.colors[:1]), "jh"),    # broadcast: a wrong Hessian
    (_negative, "jh"),                                        # would wrap around
    (lambda p: setattr(p, "output", -7), "h"),
    (lambda p: setattr(p, "output", 5), "h"),
    (lambda p: setattr(p, "_take", p._take - 1), "jh"),
    (lambda p: setattr(p, "n_colors", p.n_colors + 3), "jh"),
    (lambda p: setattr(p, "mode", "hessian"), "j"),
])
def test_a_sparse_plan_with_changed_attributes_is_refused(change, kinds):
    hess_tape, jac_tape = _cubes()
    x = np.array([1.0, 2.0, 3.0, 4.0])
    for tape, kind, dense in ((hess_tape, "hessian", np.diag(6 * x)),
                              (jac_tape, "jacobian", np.diag(2 * x))):
        if kind[0] not in kinds:
            continue
        evaluate = tape.sparse_hessian if kind == "hessian" else tape.sparse_jacobian
        plan = pickle.loads(pickle.dumps(tape.sparse_plan(kind=kind)))
        np.testing.assert_array_equal(evaluate(x, plan=plan).toarray(), dense)
        change(plan)
        with pytest.raises(ValueError, match="attributes were changed"):
            evaluate(x, plan=plan)


def _plans():
    """(tape, point, plan, dense oracle) for a forward and a reverse Jacobian plan of the
    Bratu stencil (5 colors) and a star-colored Hessian plan of the wide sum (tridiagonal)."""
    tape, _ = bratu(6)
    x = np.linspace(-1, 1, 36)
    with sg.Graph():
        v = sg.variables(12, "x")
        wide = sg.compile(v, [sg.sum(sg.sin(v[:-1] * v[1:]))])
    y = np.linspace(-0.9, 1.1, 12)
    return [(tape, x, tape.sparse_plan(mode="forward"), tape.jacobian(x)),
            (tape, x, tape.sparse_plan(mode="reverse"), tape.jacobian(x, mode="reverse")),
            (wide, y, wide.sparse_plan(kind="hessian"), wide.hessian(y))]


def _evaluate(tape, x, plan):
    if plan.kind == "hessian":
        return tape.sparse_hessian(x, plan=plan).toarray()
    return tape.sparse_jacobian(x, plan=plan).toarray()


def _consistent(plan):
    """What a plan made with its (changed) colors and pattern would hold besides them."""
    made = sparsity.SparsePlan(plan.kind, plan.mode, plan.pattern, plan.colors, plan.output,
                               plan._digest)
    plan.n_colors, plan._take = made.n_colors, made._take


def _one_color(plan):
    plan.colors = np.zeros_like(plan.colors)
    _consistent(plan)


def _diagonal_pattern(plan):
    plan.pattern = plan.pattern.multiply(sparsity._scipy_sparse().eye_array(
        *plan.pattern.shape, dtype=bool)).tocsr()
    _consistent(plan)


@pytest.mark.parametrize("change, refusal", [
    # another coloring in the same range: before, entries were read from the wrong slots
    (lambda p: setattr(p, "colors", np.roll(p.colors, 1)), "positions"),
    # in place, after a pickle or a deep copy gave writable arrays
    (lambda p: p.colors.__setitem__(slice(None), np.roll(p.colors, 1)), "positions"),
    # the pattern given another shape: a matrix of the wrong shape
    (lambda p: setattr(p.pattern, "_shape", (p.pattern.shape[0], p.pattern.shape[1] + 1)),
     "pattern of shape"),
    # consistent with its positions, but not a coloring: entries of a row share a slot
    (_one_color, "not a (column|row|star) coloring"),
    # a sparser pattern, consistent with its positions: the dropped entries were added in
    (_diagonal_pattern, "not the one"),
])
@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_sparse_plan_that_would_add_entries_is_refused(change, refusal, how):
    for tape, x, made, dense in _plans():
        np.testing.assert_allclose(_evaluate(tape, x, made), dense, rtol=1e-12, atol=1e-12)
        # a copy's arrays are new and writable, and it has not been checked yet
        plan = pickle.loads(pickle.dumps(made, 4)) if how == "pickle" else copy.deepcopy(made)
        change(plan)
        with pytest.raises(ValueError, match=f"attributes were changed.*{refusal}"):
            _evaluate(tape, x, plan)


def test_a_write_during_a_plans_first_check_does_not_reach_the_sweeps(monkeypatch):
    # Another thread writing into an unpickled plan's colors while its first check runs:
    # the check and the sweeps must see the same arrays (frozen copies made before the check)
    from scalargraph import _plancheck
    for tape, x, made, dense in _plans():
        plan = pickle.loads(pickle.dumps(made, 4))
        colors = plan.colors  # writable: the plan's own until its first check
        check = _plancheck.coloring_problem

        def check_then_write(*args):
            verdict = check(*args)
            colors[:] = np.roll(colors, 1)  # after the verdict, before any sweep
            return verdict

        monkeypatch.setattr(_plancheck, "coloring_problem", check_then_write)
        np.testing.assert_allclose(_evaluate(tape, x, plan), dense, rtol=1e-12, atol=1e-12)
        monkeypatch.undo()
        np.testing.assert_allclose(_evaluate(tape, x, plan), dense, rtol=1e-12, atol=1e-12)


def test_a_checked_plan_is_read_only_and_accepts_another_valid_coloring():
    for tape, x, plan, dense in _plans():
        for write in (lambda: plan.colors.__setitem__(0, 1),
                      lambda: plan.pattern.indices.__setitem__(0, 0),
                      lambda: plan._take.__setitem__(0, 0)):
            with pytest.raises(ValueError, match="read-only"):
                write()
        # what no array holds, changed on a checked plan: the pattern's shape
        shape = plan.pattern.shape
        plan.pattern._shape = (shape[0], shape[1] + 1)
        with pytest.raises(ValueError, match="pattern of shape"):
            _evaluate(tape, x, plan)
        plan.pattern._shape = shape
        # the colors renamed (a valid coloring still): accepted, the same matrix
        plan.colors = (plan.n_colors - 1 - plan.colors).astype(np.int32)
        _consistent(plan)
        np.testing.assert_allclose(_evaluate(tape, x, plan), dense, rtol=1e-12, atol=1e-12)
        assert sparsity.coloring.check_coloring(
            plan.pattern, plan.colors, {"forward": "column", "reverse": "row",
                                        "hessian": "star"}[plan.mode])


def test_a_tapes_validated_arrays_cannot_be_replaced_in_a_child_process():
    # Before the fix ``tape.arg0 = forged`` was accepted and the next gradient segfaulted.
    code = textwrap.dedent("""
        import numpy as np
        import scalargraph as sg
        x = sg.variables(200)
        t = sg.compile(x, [sg.sum(sg.sin(x) * x)])
        forged = np.array(t.arg0)
        forged[-1] = 10**8
        for name in ("op", "arg0", "arg1", "consts", "outputs", "n_inputs"):
            try:
                setattr(t, name, forged)
            except AttributeError as err:
                print("refused:", err)
            try:
                delattr(t, name)
            except AttributeError as err:
                print("refused:", err)
        g = t.gradient(np.full(200, 0.5))
        print(abs(g - (np.cos(0.5) * 0.5 + np.sin(0.5))).max())
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) == 13
    assert lines[0].startswith("refused: a Tape is immutable: its 'op' was validated once")
    assert all(line.startswith("refused: a Tape is immutable") for line in lines[:12])
    assert float(lines[12]) < 1e-15  # the closed form d/dx sin(x) x, unchanged tape


def _tapes_made_every_way(tmp_path):
    """The same tape (sin(x_i) x_i summed) as every constructor makes it."""
    x = sg.variables(50)
    y = sg.sum(sg.sin(x) * x)
    t = sg.compile(x, [y])
    path = tmp_path / "t.sgtape"
    t.save(path)
    return {"compile": t,
            "compile(cse, fold, order)": sg.compile(x, [y], cse=True, fold=True,
                                                    order="record"),
            "optimize": sg.optimize(t),
            "Tape(arrays)": sg.Tape(np.array(t.op), np.array(t.arg0), np.array(t.arg1),
                                    np.array(t.consts), np.array(t.outputs)),
            "Tape(its own arrays)": sg.Tape(t.op, t.arg0, t.arg1, t.consts, t.outputs),
            "load": sg.load(path),
            "pickle": pickle.loads(pickle.dumps(t)),
            "pickle 5": pickle.loads(pickle.dumps(t, protocol=5))}


def test_a_tapes_arrays_cannot_be_made_writable_again(tmp_path):
    # Before the fix ``tape.arg0.flags.writeable = True`` was accepted, and a write through
    # it put an index the loops follow (unchecked) anywhere in memory. The arrays' memory
    # is now an immutable bytes object, which NumPy refuses to make writable.
    for how, t in _tapes_made_every_way(tmp_path).items():
        for name in ("op", "arg0", "arg1", "consts", "outputs"):
            a = getattr(t, name)
            while isinstance(a, np.ndarray):  # the array and every array it views
                with pytest.raises(ValueError, match="WRITEABLE"):
                    a.flags.writeable = True
                a = a.base
            assert type(a) is bytes, (how, name)
        g = t.gradient(np.full(50, 0.5))
        np.testing.assert_allclose(g, np.cos(0.5) * 0.5 + np.sin(0.5), rtol=1e-15)
    for table in (sg.ops.KIND_TABLE, sg.ops.ARITY_TABLE, sg.ops.CONST_SLOT_TABLE):
        with pytest.raises(ValueError, match="WRITEABLE"):
            table.flags.writeable = True


def test_a_caller_keeps_no_writable_alias_of_a_tapes_arrays():
    # sg.Tape copies what its caller could still write to; the copy is frozen, so an
    # array passed in and changed afterwards leaves the tape as validated.
    x = sg.variables(3)
    t = sg.compile(x, [x[0] * x[1] + sg.sin(x[2])])
    arg0 = np.array(t.arg0)
    u = sg.Tape(np.array(t.op), arg0, np.array(t.arg1), np.array(t.consts), np.array(t.outputs))
    arg0[-1] = 10**8
    assert u.arg0[-1] == t.arg0[-1]
    np.testing.assert_array_equal(u.gradient([1.0, 2.0, 0.0]), [2.0, 1.0, 1.0])


def test_the_njit_kernel_refuses_arrays_bind_did_not_give_in_a_child_process():
    # Before the fix the kernel checked lengths only: arrays made by hand (an index of 10^8)
    # were followed out of bounds (the child died of SIGSEGV), and two tapes' arrays of one
    # length mixed were read as one tape.
    code = textwrap.dedent("""
        import numba, numpy as np
        import scalargraph as sg
        kernel = sg.value_and_gradient_kernel

        @numba.njit
        def call(op, arg0, arg1, consts, outputs, output, values, partials, adjoints, x, g):
            return kernel(op, arg0, arg1, consts, outputs, output, values, partials, adjoints,
                          x, g)

        x = sg.variables(40)
        a = sg.compile(x, [sg.sum(sg.sin(x) * x)])
        b = sg.compile(x, [sg.sum(sg.exp(x) * 2.0)])
        assert a.n_nodes == b.n_nodes
        args = a.bind().args
        point, g = np.full(40, 0.5), np.empty(40)
        print("unchanged:", call(*args, point, g) == a.value_and_gradient(point)[0]
              and np.array_equal(g, a.gradient(point)))
        forged = np.array(args[1])
        forged[-1] = 10**8
        tries = {"mixed": (b.op,) + args[1:],
                 "copied": (np.array(a.op),) + args[1:],
                 "forged": (args[0], forged) + args[2:],
                 "own values": args[:6] + (np.empty(a.n_nodes + 1),) + args[7:]}
        for name, these in tries.items():
            try:
                call(*these, point, g)
                print(name, "answered")
            except ValueError as err:
                print(name, "refused:", err)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "unchanged: True"
    assert len(lines) == 5
    for line, name in zip(lines[1:], ("mixed", "copied", "forged", "own values")):
        assert line.startswith(f"{name} refused: value_and_gradient_kernel: these arrays are "
                               "not one tape's"), line


def test_the_njit_kernel_refuses_views_that_start_where_the_arrays_start_in_a_child_process():
    # The seal holds addresses and lengths: a view with the same start and length but other
    # strides, or another dtype of the same size, matched it. Before the fix the strided
    # views were followed out of bounds: the child died of SIGSEGV on the first, a valid
    # read-only view (every element arg1[0] = -1, read as an index past 2^32); the dtype
    # views answered wrong values (int64 constants, int64 values: the value 0).
    code = textwrap.dedent("""
        import numpy as np
        from numpy.lib.stride_tricks import as_strided
        import scalargraph as sg
        kernel = sg.value_and_gradient_kernel
        x = sg.variables(40)
        a = sg.compile(x, [sg.sum(sg.sin(x) * x * 1.5 + 2.5)])
        args = a.bind().args
        point, g = np.full(40, 0.5), np.empty(40)
        tries = {"arg1 broadcast": (2, np.broadcast_to(args[2][:1], args[2].shape)),
                 "arg0 every other": (1, as_strided(args[1], strides=(8,))),
                 "arg1 backwards": (2, as_strided(args[2], strides=(-4,))),
                 "arg0 repeated": (1, as_strided(args[1], strides=(0,))),
                 "consts as int64": (3, args[3].view(np.int64)),
                 "values as int64": (6, args[6].view(np.int64))}
        for name, (i, view) in tries.items():
            assert view.ctypes.data == args[i].ctypes.data and len(view) == len(args[i])
            try:
                kernel(*args[:i], view, *args[i + 1:], point, g)
                print(name, "answered")
            except ValueError as err:
                print(name, "refused:", err)
        print("unchanged:", kernel(*args, point, g) == a.value_and_gradient(point)[0]
              and np.array_equal(g, a.gradient(point)))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) == 7, lines
    for line in lines[:6]:
        assert "refused: value_and_gradient_kernel: these arrays are not one tape's" in line, line
    assert lines[6] == "unchanged: True"


def test_a_bound_callables_args_cannot_be_replaced_in_a_child_process():
    # f(x, g) passes f.args to the unsealed kernel unchecked; ``f.args = ...`` was accepted,
    # and a forged index in it made the next call die of SIGSEGV. args is read-only now.
    code = textwrap.dedent("""
        import numpy as np
        import scalargraph as sg
        x = sg.variables(400)
        t = sg.compile(x, [sg.sum(sg.sin(x) * x)])
        f = t.bind()
        forged = np.array(f.args[1])
        forged[-1] = 10**8
        try:
            f.args = (f.args[0], forged) + f.args[2:]
            print("replaced")
        except AttributeError as err:
            print("refused:", err)
        g = np.empty(400)
        value = f(np.full(400, 0.5), g)
        print(abs(g - (np.cos(0.5) * 0.5 + np.sin(0.5))).max(), value / (400 * np.sin(0.5) * 0.5))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("refused:"), lines
    error, ratio = map(float, lines[1].split())
    assert error < 1e-15 and abs(ratio - 1) < 1e-14  # closed forms: sin(x) x summed


def test_the_forward_jacobians_slot_map_cannot_be_written():
    # scalargraph.tiles.slots handed out the tape's cached slot map as writable arrays;
    # ``j_out[-1] = 10**8`` made the next forward-mode Jacobian die of SIGSEGV. Its arrays
    # are frozen now, like the tape's own.
    from scalargraph import tiles
    x = sg.variables(3)
    t = sg.compile(x, [x[0] * x[1] + sg.sin(x[2]), x[0] * x[2]])
    j_arg0, j_arg1, j_out, _ = tiles.slots(t)
    for a in (j_arg0, j_arg1, j_out):
        with pytest.raises(ValueError, match="read-only"):
            a[-1] = 10**8
        with pytest.raises(ValueError, match="WRITEABLE"):
            a.flags.writeable = True
    # The closed form: rows (x1, x0, cos x2) and (x2, 0, x0).
    np.testing.assert_array_equal(t.jacobian([1.0, 2.0, 3.0], mode="forward"),
                                  [[2.0, 1.0, math.cos(3.0)], [3.0, 0.0, 1.0]])


def test_a_checkpoint_plan_handed_out_cannot_steer_the_sweep_in_a_child_process():
    # Before the fix checkpoint.plan returned the cached plan itself; changing its bounds
    # or its sizes made the next checkpointed gradient segfault.
    code = textwrap.dedent("""
        import numpy as np
        import scalargraph as sg
        from scalargraph import checkpoint
        x = sg.variables(3)
        y = x[0]
        for _ in range(50):
            y = sg.sin(y) * x[1] + x[2]
        t = sg.compile(x, [y])
        p = checkpoint.plan(t, 4)
        p.bounds[2] = 10**7
        p.longest = p.widest = 0
        point = np.array([1.0, 2.0, 3.0])
        print(t.gradient(point, checkpoints=4).tobytes() == t.gradient(point).tobytes())
        print(checkpoint.plan(t, 4).bounds[2] != 10**7)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "True"]


def test_an_evaluation_keeps_the_tape_its_partials_belong_to_in_a_child_process():
    # Before the fix ``result.tape = bigger`` was accepted and adjoints() swept the bigger
    # tape's arrays over the smaller one's partials: SIGSEGV.
    code = textwrap.dedent("""
        import numpy as np
        import scalargraph as sg
        x = sg.variables(2)
        t = sg.compile(x, [sg.sum(sg.sin(x) * x)])
        y = sg.variables(3000)
        big = sg.compile(y, [sg.sum(sg.exp(y) * y)])
        r = t.evaluate([1.0, 2.0])
        try:
            r.tape = big
        except AttributeError:
            print("refused")
        p = np.array([1.0, 2.0])
        print(np.allclose(r.gradient(), np.cos(p) * p + np.sin(p), rtol=1e-14, atol=0))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["refused", "True"]


@pytest.mark.parametrize("argnums, static", [(-1, ()), (0, -1), ((0, -2), ())])
def test_negative_argument_positions_are_refused_when_transforming(argnums, static):
    # Before the fix argnums=-1 failed at the call with a bare IndexError, and
    # static_argnums=-1 was silently ignored.
    with pytest.raises(ValueError, match="argument positions >= 0"):
        sg.grad_fn(lambda a, b: a * b, argnums=argnums, static_argnums=static)


def test_static_arguments_that_compare_equal_but_differ_trace_apart():
    # 0.0 == -0.0 and 1 == True: before the fix the second call reused the first's trace
    # and answered its derivative (2.0 for both signs, 5.0 for both flags).
    sign = sg.grad_fn(lambda x, s: x * math.copysign(2.0, s), static_argnums=1)
    assert (sign(1.5, 0.0), sign(1.5, -0.0)) == (2.0, -2.0)
    flag = sg.grad_fn(lambda x, s: x * (3.0 if s is True else 5.0), static_argnums=1)
    assert (flag(1.5, 1), flag(1.5, True)) == (5.0, 3.0)
    assert (sign.traces, flag.traces) == (2, 2)
    # A NaN equals nothing: it traced again at every call (a cache growing without end).
    nan = sg.grad_fn(lambda x, s: x * 2.0, static_argnums=1)
    for _ in range(4):
        assert nan(1.5, float("nan")) == 2.0
    assert nan.traces == 1
    assert sign(1.5, 0.0) == 2.0 and sign.traces == 2  # equal keys still share a trace


@pytest.mark.parametrize("call", [
    lambda a: np.sum(a, where=np.array([True, False, True])),   # summed all three: 7, not 5
    lambda a: np.sum(a, initial=10.0),                          # dropped the 10: 7, not 17
    lambda a: np.sum(a, dtype=np.int64),                        # float sum, not int casts
    lambda a: np.sum(a[0], initial=3.0),                        # a lone node: itself
    lambda a: np.sum(a.reshape(1, 3), axis=1, keepdims=True),   # shape (1,), not (1, 1)
    lambda a: np.mean(a, dtype=np.int32),
])
def test_numpy_reduction_options_nodes_would_ignore_are_refused(call):
    a = sg.variables(3)
    with pytest.raises(TypeError, match="of nodes (does not support|computes in float64)"):
        call(a)


def test_numpy_reduction_options_nodes_honour_still_work():
    a = sg.variables(3)
    p = np.array([1.0, 2.0, 4.0])
    tape = sg.compile(a, [np.sum(a, keepdims=False), np.sum(a, dtype=np.float64),
                          np.mean(a, dtype=float), np.sum(a[1], dtype=None)])
    assert tape(p).tolist() == [np.sum(p), np.sum(p), np.mean(p), 2.0]


def test_scipy_objective_and_constraint_caches_tell_signed_zeros_apart():
    # The caches matched points by value: after x = 0.0, x = -0.0 got the cached +inf.
    pytest.importorskip("scipy")
    x = sg.var("x")
    tape = sg.compile([x], [1.0 / x])
    objective = tape.as_scipy()
    assert objective.fun(np.array([0.0])) == math.inf
    assert objective.fun(np.array([-0.0])) == -math.inf
    assert objective.sweeps == 2
    constraint = tape.as_scipy_constraint()
    assert constraint.fun(np.array([0.0]))[0] == math.inf
    assert constraint.fun(np.array([-0.0]))[0] == -math.inf
    assert objective.fun(np.array([-0.0])) == -math.inf and objective.sweeps == 2  # a hit


@pytest.mark.parametrize("option", [dict(eps=0.0), dict(eps=math.nan), dict(eps=math.inf),
                                    dict(eps=-1e-3), dict(eps=True), dict(rtol=math.nan),
                                    dict(rtol=-1.0), dict(atol=math.nan), dict(atol="0")])
def test_check_grads_refuses_steps_and_tolerances_that_are_not_numbers(option):
    # Before the fix these ran and blamed the derivatives: "FAILED ... |difference| nan vs
    # tolerance nan" (or a step of 0: every central difference nan).
    x = sg.variables(2)
    tape = sg.compile(x, [sg.sum(sg.sin(x) * x)])
    with pytest.raises(ValueError, match="must be a"):
        sg.check_grads(tape, [0.3, 0.7], **option)
    assert sg.check_grads(tape, [0.3, 0.7], eps=1e-6, rtol=math.inf, atol=0.0).ok


def test_the_check_command_names_a_bad_option(tmp_path, capsys):
    from scalargraph import cli
    x = sg.variables(2)
    sg.compile(x, [sg.sum(sg.sin(x) * x)]).save(tmp_path / "t.npz")
    for argv, said in ((["--eps", "0"], "eps must be a positive finite number"),
                       (["--rtol", "nan"], "rtol must be a number >= 0"),
                       (["--seed", "-1"], "--seed must be >= 0")):
        assert cli.main(["check", str(tmp_path / "t.npz"), *argv]) == 2
        assert said in capsys.readouterr().err
    assert cli.main(["check", str(tmp_path / "t.npz")]) == 0


@pytest.mark.parametrize("name", ["erf", "dsigmoid", "cbrt", "abs", "max", "where"])
def test_readable_python_source_does_not_let_an_input_shadow_a_function(name):
    # Before the fix an input named erf (or dsigmoid, ...) became a parameter of that name,
    # and the generated code's calls of the function called a float.
    with sg.Graph():
        a, b = sg.var(name), sg.var("other")
        y = (sg.erf(a) * b + sg.sigmoid(a * b) + sg.maximum(a, 0.3) + abs(a - b)
             + sg.where(sg.gt(a, 0.1), a, b) + sg.minimum(a, b) ** 2)
        tape = sg.compile([a, b], [y])
    space = {}
    exec(tape.to_source("python"), space)  # noqa: S102  (the source under test)
    value, gradient = space["value_and_gradient"]([0.5, 0.7])
    want_value, want_gradient = tape.value_and_gradient([0.5, 0.7])
    assert value == pytest.approx(want_value, rel=1e-14)
    np.testing.assert_allclose(gradient, want_gradient, rtol=1e-14)


def test_specialized_code_is_not_written_into_a_temp_folder_others_can_write(tmp_path,
                                                                            monkeypatch):
    # The fallback folder has a predictable name in the shared temp folder, and its files
    # are imported (the generated module) and unpickled (Numba's index): before the fix a
    # folder made there by someone else, writable by all, was used as it was.
    import os
    import tempfile
    from pathlib import Path
    from scalargraph import kernels, specialize
    blocked = tmp_path / "file"
    blocked.write_text("")  # the kernels' cache folder cannot be made under a file
    monkeypatch.setattr(kernels, "cache_dir", lambda: blocked / "cache")
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    top = Path(tmp_path) / f"scalargraph-{os.getuid()}"
    top.mkdir(mode=0o777)
    top.chmod(0o777)
    with pytest.raises(OSError, match="no writable folder"):
        specialize._folder()
    top.chmod(0o700)
    assert specialize._folder() == top / "cache" / "specialized"


def test_setstate_does_not_rebuild_a_live_tape():
    # Before the fix t.__setstate__(another tape's arrays) replaced the arrays of a tape
    # whose checkpoint plan was cached: the next checkpointed gradient swept the new tape
    # with the old plan and answered zeros.
    def chain(length):
        x = sg.variables(3)
        y = x[0]
        for _ in range(length):
            y = sg.sin(y) * x[1] + x[2]
        return sg.compile(x, [y])
    t, big = chain(10), chain(300)
    p = np.array([1.0, 2.0, 3.0])
    want = t.gradient(p)
    assert t.gradient(p, checkpoints=4).tobytes() == want.tobytes()
    with pytest.raises(ValueError, match="a Tape is immutable"):
        t.__setstate__({k: getattr(big, k) for k in ("op", "arg0", "arg1", "consts", "outputs")})
    assert t.n_nodes == 33 and t.gradient(p, checkpoints=4).tobytes() == want.tobytes()
    again = pickle.loads(pickle.dumps(big))  # unpickling still builds through it
    assert again.gradient(p).tobytes() == big.gradient(p).tobytes()


def test_module_functions_refuse_an_object_that_only_looks_like_a_tape_in_a_child_process():
    # Before the fix sg.order.locality and sparsity.jacobian_sparsity handed such an
    # object's arrays to their kernels (SIGSEGV); checkpoint.plan planned on them.
    code = textwrap.dedent("""
        import numpy as np
        import scalargraph as sg
        from scalargraph import checkpoint, order, second_order, sparsity
        x = sg.variables(2)
        t = sg.compile(x, [sg.sum(sg.sin(x) * x)])
        class Lookalike:
            pass
        fake = Lookalike()
        for k in ("op", "arg1", "consts", "outputs", "n_inputs", "n_outputs", "n_nodes",
                  "input_names", "n_data"):
            setattr(fake, k, getattr(t, k))
        fake.arg0 = np.array(t.arg0)
        fake.arg0[-1] = 10**8
        calls = [lambda: order.locality(fake), lambda: order.reorder(fake),
                 lambda: sparsity.jacobian_sparsity(fake), lambda: sparsity.hessian_sparsity(fake),
                 lambda: sparsity.sparse_plan(fake), lambda: sparsity.sparse_jacobian(fake, [1, 2]),
                 lambda: sparsity.sparse_hessian(fake, [1, 2]), lambda: checkpoint.plan(fake, 2),
                 lambda: checkpoint.checkpoints_for_budget(fake, 10**6),
                 lambda: checkpoint.gradient(fake, [1, 2], None, 2),
                 lambda: second_order.hvp(fake, [1, 2], [1, 1]),
                 lambda: second_order.hessian(fake, [1, 2]),
                 lambda: second_order.graph_of(fake), lambda: second_order.gradient_tape(fake)]
        for call in calls:
            try:
                call()
                print("ran")
            except TypeError as err:
                print("refused" if "needs a Tape (made by sg.compile)" in str(err) else err)
        print(order.locality(t)["max_live"] >= 1)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["refused"] * 14 + ["True"]


@pytest.mark.parametrize("indices, indptr", [(np.int16, np.int64), (np.int32, np.int64),
                                             (np.int64, np.int32)])
def test_a_plan_checked_with_other_index_types_keeps_read_only_arrays(indices, indptr):
    # SciPy converts index arrays of two types to one (a writable copy): the checked plan
    # kept it, and a write into it then moved entries without another check.
    for tape, x, made, dense in _plans():
        plan = copy.deepcopy(made)
        plan.pattern.indices = plan.pattern.indices.astype(indices)
        plan.pattern.indptr = plan.pattern.indptr.astype(indptr)
        np.testing.assert_allclose(_evaluate(tape, x, plan), dense, rtol=1e-12, atol=1e-12)
        for name in ("data", "indices", "indptr"):
            with pytest.raises(ValueError, match="read-only"):
                getattr(plan.pattern, name)[:1] = 0


def test_a_hessian_plan_given_another_output_is_refused():
    # The pattern is that of the output the plan was made for: with another output's
    # Hessian under it, entries were dropped or read from slots that hold sums.
    with sg.Graph():
        x = sg.variables(4, "x")
        tape = sg.compile(x, [x[0] * x[1], x[0] * x[2] + x[1] * x[3] + x[2] * x[3]])
    point = np.array([0.5, 1.5, 2.0, -1.0])
    plan = tape.sparse_plan(kind="hessian", output=0)
    np.testing.assert_array_equal(tape.sparse_hessian(point, plan=plan).toarray(),
                                  tape.hessian(point, 0))
    plan.output = np.int64(0)  # the same output, another type: still this plan's
    np.testing.assert_array_equal(tape.sparse_hessian(point, plan=plan).toarray(),
                                  tape.hessian(point, 0))
    plan.output = 1
    with pytest.raises(ValueError, match="attributes were changed.*output"):
        tape.sparse_hessian(point, plan=plan)


@pytest.mark.parametrize("name, value", [
    ("indptr", lambda a: a[:0]), ("indptr", lambda a: a.reshape(1, -1)),
    ("indptr", lambda a: a.astype(np.uint64)), ("indptr", lambda a: a.astype(float)),
    ("indices", list), ("indices", lambda a: a.astype(object)),
    ("indices", lambda a: a.reshape(1, -1)),
])
def test_a_plans_pattern_arrays_of_another_kind_are_refused_clearly(name, value):
    # These gave IndexError, TypeError or AttributeError from inside the check.
    for tape, x, made, _ in _plans():
        plan = copy.deepcopy(made)
        setattr(plan.pattern, name, value(getattr(plan.pattern, name)))
        with pytest.raises(ValueError, match="attributes were changed.*index arrays"):
            _evaluate(tape, x, plan)


def test_a_plan_unpickled_from_before_the_pattern_fingerprint_is_refused_clearly():
    # What unpickling a plan pickled before plans kept a fingerprint of their pattern
    # gives: the same attributes less the two added. It raised AttributeError.
    for tape, x, made, _ in _plans():
        state = {k: v for k, v in made.__getstate__().items()
                 if k not in ("_pattern_digest", "_verified")}
        plan = sparsity.SparsePlan.__new__(sparsity.SparsePlan)
        plan.__dict__.update(state)
        with pytest.raises(ValueError, match="older.*make a new one"):
            _evaluate(tape, x, plan)


def _set_layout(array, **layout):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # setting strides (NumPy 2.4)
        for name, value in layout.items():
            setattr(array, name, value)


@pytest.mark.parametrize("change", [
    lambda p: _set_layout(p.colors, strides=(0,)),  # every column read as column 0's color
    lambda p: _set_layout(p.colors, shape=(1, p.colors.shape[0])),
    lambda p: _set_layout(p.colors, dtype=np.int16),
    lambda p: _set_layout(p.colors, dtype=np.float32),
    lambda p: _set_layout(p.pattern.indices, strides=(0,)),
    lambda p: _set_layout(p.pattern.indptr, strides=(0,)),
])
def test_a_checked_plans_arrays_given_another_layout_in_place_are_checked_again(change):
    # Shape, strides and dtype of a read-only array can be set in place: the arrays were the
    # same objects, so the check was skipped, and the sweeps read other colors or entries
    # (wrong matrices, or IndexError).
    for tape, x, plan, dense in _plans():
        np.testing.assert_allclose(_evaluate(tape, x, plan), dense, rtol=1e-12, atol=1e-12)
        change(plan)
        with pytest.raises(ValueError, match="attributes were changed"):
            _evaluate(tape, x, plan)


@pytest.mark.parametrize("data", [lambda d: None, list, lambda d: "abc", lambda d: d[:3],
                                  lambda d: d.reshape(1, -1), lambda d: d.astype(object)])
def test_a_plans_pattern_data_of_another_kind_is_refused_clearly(data):
    # The values of a pattern are not used, but SciPy reads them when the plan is checked:
    # these gave AttributeError, or SciPy's errors, which do not name the plan.
    for tape, x, made, _ in _plans():
        plan = copy.deepcopy(made)
        plan.pattern.data = data(plan.pattern.data)
        with pytest.raises(ValueError, match="attributes were changed.*data"):
            _evaluate(tape, x, plan)
