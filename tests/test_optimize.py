"""Constant folding and common-subexpression elimination (sg.optimize, sg.compile(cse=, fold=)).

Oracles: the unoptimized tape (values bit for bit; gradients bit for bit after folding,
to rounding after CSE), a plain-Python dict-based hash-consing of the same arrays for the
node counts, and closed forms for the hand cases.
"""

import math
import struct

import numpy as np
import pytest

import scalargraph as sg
from scalargraph import ops

COMPUTED = tuple(op for op in ops.OPS if op.kind not in (ops.INPUT_KIND, ops.CONST_KIND))
# Ops whose values stay finite and moderate on inputs in [-1, 1], so that gradients of a
# random tape can be compared to a tolerance (no inf - inf).
TAME = tuple(ops.BY_NAME[name] for name in (
    "add", "sub", "mul", "maximum", "minimum", "neg", "sin", "cos", "tanh", "sigmoid",
    "relu", "abs", "add_const", "rsub_const", "mul_const", "leaky_relu", "gt"))
# Written here by hand, not read from the table: the test checks the table's flags.
COMMUTATIVE_NAMES = {"add", "mul", "hypot", "logaddexp", "eq", "ne", "azmul"}
CONST_VALUES = (0.0, -0.0, 1.0, -1.0, 2.0, 0.5, 3.0, -0.75, np.nan)


# ---- helpers ----------------------------------------------------------------------------------
def random_tape(rng, n_inputs, n_nodes, op_pool=COMPUTED, dup=0.3, const_rate=0.2,
                const_values=CONST_VALUES, all_outputs=False):
    """A random valid tape (arrays built directly) with many duplicated nodes.

    With probability ``dup`` a node copies an earlier one: same op and parents (swapped
    half of the time, for every binary op), and for a constant operand a *new* pool entry
    holding the same value, so merging must compare constants by value bits.
    """
    op, arg0, arg1, consts = [ops.INPUT] * n_inputs, list(range(n_inputs)), [-1] * n_inputs, []
    for i in range(n_inputs, n_inputs + n_nodes):
        if i > n_inputs and rng.random() < dup:
            j = int(rng.integers(n_inputs, i))
            o, a, b = op[j], arg0[j], arg1[j]
            kind = ops.BY_CODE[o].kind
            if kind == ops.BINARY and rng.random() < 0.5:
                a, b = b, a
            if kind == ops.CONST_KIND:
                consts.append(consts[a])
                a = len(consts) - 1
            elif kind == ops.CONST_RIGHT:
                consts.append(consts[b])
                b = len(consts) - 1
        elif i == n_inputs or rng.random() < const_rate:
            consts.append(const_values[rng.integers(len(const_values))])
            o, a, b = ops.CONST, len(consts) - 1, -1
        else:
            rec = op_pool[rng.integers(len(op_pool))]
            pick = lambda: int(rng.integers(max(0, i - 6), i) if rng.random() < 0.6
                               else rng.integers(0, i))
            o, a, b = rec.code, pick(), -1
            if rec.kind == ops.BINARY:
                b = pick()
            elif rec.kind == ops.CONST_RIGHT:
                consts.append(const_values[rng.integers(len(const_values))])
                b = len(consts) - 1
        op.append(o)
        arg0.append(a)
        arg1.append(b)
    n = len(op)
    if all_outputs:
        outputs = np.arange(n)
    else:
        outputs = np.append(rng.integers(0, n, size=3), n - 1)
    return sg.Tape(np.array(op), np.array(arg0), np.array(arg1), np.array(consts, dtype=float),
                   outputs)


def bits(v):
    return struct.unpack("<q", struct.pack("<d", v))[0]


def reference_counts(tape, fold, cse):
    """(nodes after folding, nodes after CSE), by plain-Python hash-consing of the arrays."""
    n, n_in = tape.n_nodes, tape.n_inputs
    op, arg0, arg1, consts = (a.tolist() for a in (tape.op, tape.arg0, tape.arg1, tape.consts))
    kind = [ops.BY_CODE[o].kind for o in op]
    foldable = [False] * n
    if fold:
        for i in range(n_in, n):
            if kind[i] == ops.CONST_KIND:
                foldable[i] = True
            elif kind[i] in (ops.UNARY, ops.CONST_RIGHT):
                foldable[i] = foldable[arg0[i]]
            elif kind[i] == ops.BINARY:
                foldable[i] = foldable[arg0[i]] and foldable[arg1[i]]
        with np.errstate(all="ignore"):
            values = tape.values(np.full(n_in, np.nan)).tolist()
    def parents(i):
        if foldable[i] or kind[i] in (ops.INPUT_KIND, ops.CONST_KIND):
            return ()
        return (arg0[i], arg1[i]) if kind[i] == ops.BINARY else (arg0[i],)

    live = [False] * n
    for o in tape.outputs.tolist():
        live[o] = True
    for i in range(n - 1, n_in - 1, -1):
        if live[i]:
            for p in parents(i):
                live[p] = True
    after_fold = n_in + sum(live[n_in:])
    canon, table = list(range(n_in)) + [None] * (n - n_in), {}
    for i in range(n_in, n):
        if not live[i]:
            continue
        name = ops.BY_CODE[op[i]].name
        if foldable[i]:
            key = ("const", bits(values[i]))
        elif kind[i] == ops.CONST_KIND:
            key = ("const", bits(consts[arg0[i]]))
        elif kind[i] == ops.UNARY:
            key = (name, canon[arg0[i]])
        elif kind[i] == ops.CONST_RIGHT:
            key = (name, canon[arg0[i]], bits(consts[arg1[i]]))
        else:
            pair = (canon[arg0[i]], canon[arg1[i]])
            key = (name,) + (tuple(sorted(pair)) if name in COMMUTATIVE_NAMES else pair)
        if not cse:
            key = ("node", i)
        canon[i] = table.setdefault(key, len(table) + n_in)
    return after_fold, n_in + len(table)


def assert_same_bits(a, b):
    """Equal arrays, bit for bit, NaN matching any NaN."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    nan = np.isnan(a)
    np.testing.assert_array_equal(nan, np.isnan(b))
    np.testing.assert_array_equal(a[~nan].view(np.int64), b[~nan].view(np.int64))


def check_valid(tape):
    """The optimized arrays pass the Tape constructor's full validation."""
    sg.Tape(tape.op, tape.arg0, tape.arg1, tape.consts, tape.outputs)


# ---- random tapes -----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("fold,cse", [(True, False), (False, True), (True, True)])
def test_random_tapes_counts_and_values(seed, fold, cse):
    rng = np.random.default_rng(seed)
    tape = random_tape(rng, int(rng.integers(1, 5)), int(rng.integers(5, 60)),
                       all_outputs=seed % 4 == 0)
    opt = sg.optimize(tape, cse=cse, fold=fold)
    check_valid(opt)
    after_fold, after_cse = reference_counts(tape, fold, cse)
    assert opt.n_nodes == (after_cse if cse else after_fold)
    assert opt.compile_stats == {"nodes_before": tape.n_nodes,
                                 "after_fold": after_fold if fold else None,
                                 "after_cse": after_cse if cse else None,
                                 "nodes_after": opt.n_nodes}
    assert opt.n_inputs == tape.n_inputs and opt.n_outputs == tape.n_outputs
    with np.errstate(all="ignore"):
        for x in rng.uniform(-2, 2, size=(3, tape.n_inputs)):
            assert_same_bits(opt(x), tape(x))
            if fold and not cse:
                assert_same_bits(opt.jacobian(x, mode="reverse"), tape.jacobian(x, mode="reverse"))
                assert_same_bits(opt.jacobian(x, mode="forward"), tape.jacobian(x, mode="forward"))


@pytest.mark.parametrize("seed", range(30))
def test_random_tapes_gradients_after_cse(seed):
    rng = np.random.default_rng(1000 + seed)
    tape = random_tape(rng, int(rng.integers(1, 5)), int(rng.integers(5, 50)), op_pool=TAME,
                       const_values=(0.0, 1.0, -1.0, 0.5, 2.0, -0.75))
    for fold in (False, True):
        opt = sg.optimize(tape, cse=True, fold=fold)
        for x in rng.uniform(-1, 1, size=(3, tape.n_inputs)):
            want = tape.jacobian(x, mode="reverse")
            scale = max(1.0, float(np.abs(want).max()))
            np.testing.assert_allclose(opt.jacobian(x, mode="reverse"), want, rtol=1e-12,
                                       atol=1e-12 * scale)
            np.testing.assert_allclose(opt.jacobian(x, mode="forward"), want, rtol=1e-12,
                                       atol=1e-12 * scale)


def test_optimize_is_idempotent_and_leaves_the_tape_alone():
    tape = random_tape(np.random.default_rng(7), 3, 80)
    arrays = [a.copy() for a in (tape.op, tape.arg0, tape.arg1, tape.consts, tape.outputs)]
    once = sg.optimize(tape)
    twice = sg.optimize(once)
    for a, b in zip((once.op, once.arg0, once.arg1, once.consts, once.outputs),
                    (twice.op, twice.arg0, twice.arg1, twice.consts, twice.outputs)):
        assert_same_bits(a, b)
    for a, b in zip(arrays, (tape.op, tape.arg0, tape.arg1, tape.consts, tape.outputs)):
        np.testing.assert_array_equal(a, b)


# ---- hand cases -------------------------------------------------------------------------------
def test_x_times_2_plus_x_times_2_merges():
    x = sg.var("x")
    u, v = x * 2, x * 2
    y = u + v
    plain = sg.compile([x], [y])
    tape = sg.compile([x], [y], cse=True)
    assert plain.n_nodes == 4 and tape.n_nodes == 3   # x, x*2, add
    assert tape.op_counts() == {"input": 1, "mul_const": 1, "add": 1}
    assert tape.compile_stats == {"nodes_before": 4, "after_fold": None, "after_cse": 3,
                                  "nodes_after": 3}
    assert tape([1.5])[0] == 6.0 and tape.gradient([1.5])[0] == 4.0
    assert tape.index(u) == tape.index(v) == 1
    assert tape.index(y) == 2 and tape.index(x) == 0


def test_sin_plus_sin_merges_with_exact_gradient():
    x = sg.var("x")
    y = sg.sin(x) + sg.sin(x)
    tape = sg.compile([x], [y], cse=True)
    assert tape.op_counts() == {"input": 1, "sin": 1, "add": 1}
    for v in (0.3, -2.0, 10.0):
        assert tape([v])[0] == math.sin(v) + math.sin(v)
        assert tape.gradient([v])[0] == 2.0 * math.cos(v)   # c + c == 2c exactly


def test_merging_cascades_through_parents():
    x, y = sg.var("x"), sg.var("y")
    a = sg.exp(sg.sin(x) * y + 1.0)
    b = sg.exp(y * sg.sin(x) + 1.0)                    # same, mul operands swapped
    tape = sg.compile([x, y], [a - b, a * b], cse=True)
    assert tape.op_counts() == {"input": 2, "sin": 1, "mul": 2, "add_const": 1, "exp": 1,
                                "sub": 1}
    assert tape.index(a) == tape.index(b)
    np.testing.assert_array_equal(tape([0.4, 1.3])[0], 0.0)


def test_commutative_operands_merge_only_for_the_symmetric_ops():
    a, b = sg.var("a"), sg.var("b")
    pairs = {"add": (a + b, b + a), "mul": (a * b, b * a), "sub": (a - b, b - a),
             **{name: (getattr(sg, name)(a, b), getattr(sg, name)(b, a)) for name in
                ("hypot", "logaddexp", "eq", "ne", "azmul", "atan2", "fmax", "fmin",
                 "copysign", "lt", "fmod")},
             "div": (a / b, b / a), "pow": (a ** b, b ** a),
             "maximum": (sg.maximum(a, b), sg.maximum(b, a)),
             "minimum": (sg.minimum(a, b), sg.minimum(b, a)), "gt": (sg.gt(a, b), sg.gt(b, a))}
    for name, (u, v) in pairs.items():
        tape = sg.compile([a, b], [u, v], cse=True)
        merged = tape.index(u) == tape.index(v)
        assert merged == (name in COMMUTATIVE_NAMES), name
        assert ops.BY_NAME[name].commutative == (name in COMMUTATIVE_NAMES)


def test_maximum_ties_keep_their_gradient():
    # max(a, b) sends a tie's gradient to b, max(b, a) to a: merging them would move it.
    a, b = sg.var("a"), sg.var("b")
    y = sg.maximum(a, b) + sg.maximum(b, a)
    tape = sg.compile([a, b], [y], cse=True)
    np.testing.assert_array_equal(tape.gradient([1.0, 1.0]), [1.0, 1.0])


def test_signed_zero_constants_do_not_merge_nan_constants_do():
    x = sg.var("x")
    outs = [x * 0.0, x * -0.0, x + sg.const(0.0), x + sg.const(-0.0),
            x * sg.const(np.nan), x * sg.const(np.nan)]
    tape = sg.compile([x], outs, cse=True)
    pos = [tape.index(o) for o in outs]
    assert len(set(pos[:4])) == 4 and pos[4] == pos[5]
    assert tape.op_counts() == {"input": 1, "mul_const": 2, "const": 3, "add": 2, "mul": 1}
    got = tape([-1.0])
    assert [math.copysign(1.0, v) for v in got[:2]] == [-1.0, 1.0]
    got = tape([-0.0])
    assert [math.copysign(1.0, v) for v in got[2:4]] == [1.0, -1.0]   # -0 + 0 = 0, -0 + -0 = -0


def test_fold_constant_expressions():
    x = sg.var("x")
    two, three, one = sg.const(2.0), sg.const(3.0), sg.const(1.0)
    c = two * three
    e = sg.exp(one)
    y = c * x + e * x
    plain = sg.compile([x], [y, c])
    tape = sg.compile([x], [y, c], fold=True)
    assert plain.n_nodes == 9 and tape.n_nodes == 6         # 2*3 and exp(1) become constants
    assert tape.op_counts() == {"input": 1, "const": 2, "mul": 2, "add": 1}
    assert tape.compile_stats == {"nodes_before": 9, "after_fold": 6, "after_cse": None,
                                  "nodes_after": 6}
    assert sorted(tape.consts.tolist()) == [math.e, 6.0]
    assert tape([2.0])[1] == 6.0
    assert tape([2.0])[0] == 6.0 * 2.0 + math.exp(1.0) * 2.0
    assert tape.gradient([2.0], output=0)[0] == 6.0 + math.exp(1.0)
    assert tape.op[tape.index(c)] == ops.CONST and tape.op[tape.index(e)] == ops.CONST
    for gone in (two, three, one):                              # only folded nodes used them
        with pytest.raises(ValueError, match="not in this tape"):
            tape.index(gone)


def test_fold_then_cse_merges_equal_folded_values():
    x = sg.var("x")
    a = sg.const(2.0) * sg.const(3.0)
    b = sg.const(1.5) * sg.const(4.0)                 # 6.0 too: one constant after both
    tape = sg.compile([x], [a * x, b * x], cse=True, fold=True)
    assert tape.compile_stats == {"nodes_before": 9, "after_fold": 5, "after_cse": 3,
                                  "nodes_after": 3}
    assert tape.op_counts() == {"input": 1, "const": 1, "mul": 1}
    np.testing.assert_array_equal(tape([0.5]), [3.0, 3.0])


def test_fold_keeps_bit_pattern_of_kernel_arithmetic():
    x = sg.var("x")
    consts = [sg.const(v) for v in (0.1, 0.7, -3.0, 1e300, 0.0)]
    exprs = [sg.sin(consts[0]) / consts[1], consts[0] + consts[1], sg.log(consts[2]),
             consts[3] * consts[3], consts[1] ** consts[0], sg.tanh(consts[1]),
             sg.sqrt(consts[4]), consts[4] / consts[4], sg.softplus(consts[2])]
    outs = [e * x for e in exprs]
    plain = sg.compile([x], outs)
    tape = sg.compile([x], outs, fold=True)
    assert tape.op_counts() == {"input": 1, "const": len(exprs), "mul": len(exprs)}
    with np.errstate(all="ignore"):
        assert_same_bits(tape([1.0]), plain([1.0]))
        assert_same_bits(tape.jacobian([1.0]), plain.jacobian([1.0]))


def test_network_built_twice_halves():
    rng = np.random.default_rng(3)
    xs = [sg.var(f"x{i}") for i in range(4)]
    W1, W2 = rng.normal(size=(5, 4)), rng.normal(size=(1, 5))

    def net():
        h = [sg.tanh(sum(W1[j, i] * xs[i] for i in range(4))) for j in range(5)]
        return sum(W2[0, j] * h[j] for j in range(5))

    y = net() - net()
    plain = sg.compile(xs, [y])
    tape = sg.compile(xs, [y], cse=True)
    assert tape.n_nodes == (plain.n_nodes - len(xs) - 1) // 2 + len(xs) + 1
    x = rng.normal(size=4)
    assert tape(x)[0] == 0.0
    np.testing.assert_array_equal(tape.gradient(x), 0.0)


# ---- inputs, outputs, bookkeeping -----------------------------------------------------------
def test_inputs_never_merge_or_fold_and_keep_order_names():
    a, b, c = sg.var("a"), sg.var("b"), sg.var("c")
    y = sg.exp(sg.const(0.0)) * b + 0.0 * sg.const(1.0)
    tape = sg.compile([c, b, a], [y, 5.0, b], cse=True, fold=True)
    assert tape.n_inputs == 3 and tuple(tape.input_names) == ("c", "b", "a")
    assert tape.index(a) == 2 and tape.index(b) == 1
    np.testing.assert_array_equal(tape([1.0, 2.0, 3.0]), [2.0, 5.0, 2.0])
    np.testing.assert_array_equal(tape.jacobian([1.0, 2.0, 3.0]), [[0, 1, 0], [0, 0, 0],
                                                                    [0, 1, 0]])


def test_data_inputs_stay_data_inputs():
    # loss (w*x - y)^2 + (w*x - y)^2 with (x, y) the data inputs: CSE merges the copies.
    w, x, y = sg.var("w"), sg.var("x"), sg.var("y")
    loss = sg.square(w * x - y) + sg.square(x * w - y)
    plain = sg.compile([w, x, y], [loss])
    tape = sg.optimize(sg.Tape(plain.op, plain.arg0, plain.arg1, plain.consts, plain.outputs,
                               n_data=2), cse=True)
    assert tape.n_data == 2 and tape.n_nodes == plain.n_nodes - 3   # mul, sub, square
    data = np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]])
    value, grad = tape.loss_and_gradient([0.7], data, reduce="sum")
    r = 0.7 * data[:, 0] - data[:, 1]
    assert value == pytest.approx(2 * np.sum(r ** 2), rel=1e-14)
    assert grad[0] == pytest.approx(np.sum(4 * r * data[:, 0]), rel=1e-14)


def test_only_constants_and_no_outputs():
    tape = sg.compile([], [sg.exp(sg.const(0.0)) + 1.0], fold=True)
    assert tape.n_nodes == 1 and tape([])[0] == 2.0
    x = sg.var("x")
    empty = sg.compile([x], [], cse=True, fold=True)
    assert empty.n_nodes == 1 and empty.n_outputs == 0


def test_fold_with_nothing_to_fold():
    x = sg.var("x")
    tape = sg.compile([x], [sg.sin(x) * x])
    same = sg.optimize(tape, cse=False)
    assert same.compile_stats == {"nodes_before": 3, "after_fold": 3, "after_cse": None,
                                  "nodes_after": 3}
    assert same.op is tape.op and same.index(x) == 0
    # A hand-made tape with a dead node (node 2, sin(x)) loses it even when nothing folds.
    dead = sg.Tape([ops.INPUT, ops.COS, ops.SIN, ops.EXP], [0, 0, 0, 1], [-1] * 4, [], [3])
    opt = sg.optimize(dead, cse=False)
    assert opt.op_counts() == {"input": 1, "cos": 1, "exp": 1}
    assert opt.compile_stats["after_fold"] == 3
    assert_same_bits(opt([0.3]), dead([0.3]))


def test_optimized_tape_without_graph_map():
    tape = random_tape(np.random.default_rng(5), 2, 30)
    opt = sg.optimize(tape)
    with pytest.raises(ValueError, match="not compiled from a graph"):
        opt.index(sg.var("z"))


def test_index_after_optimizing_twice():
    x = sg.var("x")
    u, v, w = sg.sin(x), sg.sin(x), sg.sin(x)
    y = u * v + w
    tape = sg.optimize(sg.optimize(sg.compile([x], [y]), fold=False), cse=True)
    assert tape.index(u) == tape.index(v) == tape.index(w) == 1


def test_constant_pool_keeps_only_constants_in_use():
    x = sg.var("x")
    dead = sg.exp(sg.const(7.0)) * sg.const(8.0)        # folds to one constant, pool 7, 8 gone
    outs = [x * 2.5, x * 2.5 + dead, x * -0.0, x * 0.0]
    plain = sg.compile([x], outs)
    assert sorted(plain.consts.tolist()) == [-0.0, 0.0, 2.5, 2.5, 7.0, 8.0]
    folded = sg.compile([x], outs, fold=True)
    assert sorted(folded.consts.view(np.int64).tolist()) == sorted(
        bits(v) for v in (2.5, 2.5, math.exp(7.0) * 8.0, -0.0, 0.0))
    both = sg.compile([x], outs, fold=True, cse=True)             # x * 2.5 merges
    assert sorted(both.consts.view(np.int64).tolist()) == sorted(
        bits(v) for v in (2.5, math.exp(7.0) * 8.0, -0.0, 0.0))


def test_bad_arguments():
    x = sg.var("x")
    tape = sg.compile([x], [x * 2])
    with pytest.raises(TypeError, match="needs a Tape"):
        sg.optimize([tape])
    with pytest.raises(TypeError, match="cse must be True or False"):
        sg.optimize(tape, cse="yes")
    with pytest.raises(TypeError, match="fold must be True or False"):
        sg.compile([x], [x * 2], fold=1)
