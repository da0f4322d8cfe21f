"""The op table itself: its invariants, and that the generated rules match it.

A stand-in for CppAD's ``check_op_code.sh``: ``scalargraph/kernels/rules.py`` is generated
from ``ops.py`` by ``tools/gen_rules.py``, and this fails when someone edits the table and
forgets to regenerate (``python tools/gen_rules.py``).
"""

import ast
import keyword
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import scalargraph as sg
from scalargraph import ops

ROOT = pathlib.Path(__file__).resolve().parents[1]

# Opcodes are a file format once tapes are saved: append, never renumber. This is the table
# as first released; new records go after it.
RELEASED = ("input", "const", "add", "sub", "mul", "div", "pow", "maximum", "minimum", "neg",
            "exp", "log", "sin", "cos", "tan", "sqrt", "tanh", "sigmoid", "relu", "softplus",
            "abs", "square", "add_const", "rsub_const", "mul_const", "div_const", "rdiv_const",
            "pow_const", "rpow_const", "leaky_relu", "gt")

# The rule vocabulary (ops.py docstring): operands, the op's own value, and these functions.
VOCABULARY = {"x", "y", "z", "exp", "log", "sin", "cos", "tan", "sqrt", "tanh", "sigmoid",
              "softplus", "abs", "gt",
              # added with the elementary functions (issue 13): helpers of the kernel prelude
              "lt", "le", "ge", "eq", "ne", "where", "dsigmoid", "log1p", "expm1", "log2",
              "log10", "exp2", "sinh", "cosh", "asin", "acos", "atan", "asinh", "acosh",
              "atanh", "atan2", "hypot", "erf", "erfc", "cbrt", "floor", "ceil", "round",
              "trunc", "fmod", "remainder", "copysign", "logaddexp"}


def test_generated_rules_are_fresh():
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_rules.py"), "--check"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_enum_lists_every_record():
    assert [(m.name, int(m)) for m in ops.Opcode] == [(op.name.upper(), op.code) for op in ops.OPS]
    assert ops.EXP == ops.Opcode.EXP == 10 and ops.Kind.CONST_RIGHT == ops.CONST_RIGHT


def test_codes_are_0_to_n_minus_1_in_table_order():
    assert [op.code for op in ops.OPS] == list(range(len(ops.OPS)))
    assert ops.N_OPS == len(ops.OPS)
    assert max(op.code for op in ops.OPS) < 256  # stored as uint8


def test_released_opcodes_are_never_renumbered():
    assert tuple(op.name for op in ops.OPS[:len(RELEASED)]) == RELEASED


def test_names_are_unique_identifiers_with_upper_case_constants():
    names = [op.name for op in ops.OPS]
    assert len(set(names)) == len(names)
    for op in ops.OPS:
        assert op.name.isidentifier() and op.name == op.name.lower()
        assert not keyword.iskeyword(op.name)
        assert getattr(ops, op.name.upper()) == op.code
        assert ops.BY_NAME[op.name] is op and ops.BY_CODE[op.code] is op


def test_every_record_has_a_known_kind_domain_and_one_partial_per_parent():
    kinds = {ops.INPUT_KIND, ops.CONST_KIND, ops.UNARY, ops.BINARY, ops.CONST_RIGHT}
    for op in ops.OPS:
        assert op.kind in kinds, op.name
        assert op.domain in ops.DOMAINS, op.name
        assert len(op.partials) == op.arity, op.name
        assert isinstance(op.value, str) and op.value, op.name
        # A rule that a number can satisfy (e.g. "-0.0") compiles in every kernel as well.
        assert all(isinstance(p, str) and p for p in op.partials), op.name


@pytest.mark.parametrize("op", ops.OPS, ids=lambda op: op.name)
def test_rules_parse_and_use_only_the_vocabulary(op):
    for rule in (op.value, *op.partials):
        tree = ast.parse(rule, mode="eval")
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        assert names <= VOCABULARY, f"{op.name}: {rule!r} uses {names - VOCABULARY}"
        if "z" in names:
            assert rule in op.partials, f"{op.name}: the value rule cannot use its own value z"


def test_ops_with_kinks_list_special_points_to_test_exactly():
    for op in ops.OPS:
        if not op.smooth:
            assert op.special, f"{op.name} has a kink but no special= points"
            assert op.note, f"{op.name} has a kink but no note= documenting its convention"
        for point in op.special:
            assert len(point) == max(op.arity, 1), f"{op.name}: special point {point}"


def _ops_recorded_by_operators():
    """Names of the ops that Python operators and sg.var / sg.const record."""
    with sg.Graph() as g:
        x, y = sg.var("x"), sg.var("y")
        sg.const(1.5)
        for node in (x + y, x - y, x * y, x / y, x ** y, -x, x + 2.5, 2.5 - x, x * 2.5,
                     x / 2.5, 2.5 / x, x ** 2.5, x ** 2, 2.5 ** x, abs(x)):
            assert type(node) is sg.Node
        op, _, _, _ = g.arrays()
        return {ops.BY_CODE[int(c)].name for c in np.unique(op)}


def _ops_recorded_by_conditionals():
    """Names of the ops that sg.where and sg.custom_gradient record."""
    with sg.Graph() as g:
        x, y = sg.var("x"), sg.var("y")
        sg.where(sg.gt(x, y), x, y)
        sg.custom_gradient(x * y, [x], [y])
        op, _, _, _ = g.arrays()
        return {ops.BY_CODE[int(c)].name for c in np.unique(op)}


def test_every_op_is_a_user_function_or_recorded_by_an_operator():
    public = {op.name for op in ops.OPS if callable(getattr(sg, op.name, None))}
    public |= _ops_recorded_by_conditionals()
    reachable = public | _ops_recorded_by_operators()
    unreachable = [op.name for op in ops.OPS if op.name not in reachable]
    assert unreachable == [], f"ops no user can record: {unreachable}"


def test_user_functions_document_their_kink_convention():
    for op in ops.OPS:
        fn = getattr(sg, op.name, None)
        if callable(fn) and op.note:
            assert op.note in fn.__doc__, op.name
