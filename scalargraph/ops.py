"""The operation table: one record per operation, the single source every pass is built from.

Record (recording) -> compile -> sweep all read this table. The per-op rules the Numba loops
call (``scalargraph/kernels/rules.py``: value, partials, second partials) are generated from
it by ``python tools/gen_rules.py``; the user functions (``sg.exp``, ``sg.maximum`` ...) and
the symbolic derivatives are made from it at import. Adding an operation is one record here
(and its line in :class:`Opcode`), then ``python tools/gen_rules.py``.

Rules are Python expression strings in a tiny vocabulary, so that the same line can be
compiled by Numba and evaluated on graph nodes (CasADi's ``fcn``/``der`` pair, JAX's
``defjvp2``):

* ``x`` is the first operand, ``y`` the second (a node value, or the op's constant for
  ``CONST_RIGHT`` ops), ``z`` the op's own value (partials may reuse it);
* arithmetic ``+ - * / **``, the table's own functions by name (``exp``, ``log``, ...),
  and ``gt(x, y)`` (1.0 where x > y else 0.0, derivative zero everywhere).

Operand kinds (:class:`Kind`), and what ``arg0`` / ``arg1`` of a tape node hold:

=================  =========================  ============================
kind               arg0                       arg1
=================  =========================  ============================
``INPUT``          position among the inputs  -1
``CONST``          index in the constant pool -1
``UNARY``          parent node                -1
``BINARY``         first parent node          second parent node
``CONST_RIGHT``    parent node                index in the constant pool
=================  =========================  ============================

Opcode numbers are a file format once tapes are saved: append new records, never renumber.
No numba here.
"""

import hashlib
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np


class Kind(IntEnum):
    """Operand kind of an op: what its node's ``arg0`` / ``arg1`` hold (module docstring)."""

    INPUT = 0
    CONST = 1
    UNARY = 2
    BINARY = 3
    CONST_RIGHT = 4


# The kinds under their older names (ops.UNARY, ops.INPUT_KIND ...).
INPUT_KIND, CONST_KIND, UNARY, BINARY, CONST_RIGHT = Kind

# How many of arg0/arg1 are parent nodes, by operand kind.
NODE_ARITY = {Kind.INPUT: 0, Kind.CONST: 0, Kind.UNARY: 1, Kind.BINARY: 2, Kind.CONST_RIGHT: 1}


class Opcode(IntEnum):
    """Opcode of every op, as stored in tapes and files: append, never renumber."""

    INPUT = 0
    CONST = 1
    ADD = 2
    SUB = 3
    MUL = 4
    DIV = 5
    POW = 6
    MAXIMUM = 7
    MINIMUM = 8
    NEG = 9
    EXP = 10
    LOG = 11
    SIN = 12
    COS = 13
    TAN = 14
    SQRT = 15
    TANH = 16
    SIGMOID = 17
    RELU = 18
    SOFTPLUS = 19
    ABS = 20
    SQUARE = 21
    ADD_CONST = 22
    RSUB_CONST = 23
    MUL_CONST = 24
    DIV_CONST = 25
    RDIV_CONST = 26
    POW_CONST = 27
    RPOW_CONST = 28
    LEAKY_RELU = 29
    GT = 30

# Input domains for the table-driven tests (where the op is smooth and defined).
REAL, POSITIVE, NONZERO = "real", "positive", "nonzero"


@dataclass(frozen=True)
class Op:
    """One operation: its opcode, user-facing name, operand kind, value and partial rules.

    ``partials`` holds one expression per parent node (d z / d x, then d z / d y); a
    ``CONST_RIGHT`` op has one, since its constant gets no derivative.
    """

    code: int
    name: str
    kind: Kind
    value: str
    partials: tuple = ()
    note: str = ""
    domain: str = REAL
    special: tuple = field(default_factory=tuple)  # (x[, y]) points the tests check exactly
    smooth: bool = True
    # op(x, y) and op(y, x) agree bit for bit (IEEE + and *; NaN payloads aside), values and
    # partials alike, so common-subexpression elimination may merge a+b with b+a.
    # maximum/minimum are not: ties (and signed zeros) go to y, so swapping the operands
    # moves the gradient at a tie.
    commutative: bool = False

    @property
    def arity(self):
        """Number of parent nodes (0, 1 or 2)."""
        return NODE_ARITY[self.kind]


OPS = (
    Op(0, "input", INPUT_KIND, "x"),
    Op(1, "const", CONST_KIND, "y"),
    Op(2, "add", BINARY, "x + y", ("1.0", "1.0"), commutative=True),
    Op(3, "sub", BINARY, "x - y", ("1.0", "-1.0")),
    Op(4, "mul", BINARY, "x * y", ("y", "x"), commutative=True),
    Op(5, "div", BINARY, "x / y", ("1.0 / y", "-z / y"), domain=NONZERO),
    Op(6, "pow", BINARY, "x ** y", ("y * x ** (y - gt(abs(y), 0.0))",
                                    "z * log(x + (1.0 - gt(abs(x), 0.0)))"),
       note="d/dy at x = 0 is 0 for y >= 0 (log(0) is replaced by 0, as JAX does) and NaN "
            "for y < 0, where the value is inf; for x < 0 the value is NaN unless y is an "
            "integer, and d/dy is NaN",
       domain=POSITIVE),
    Op(7, "maximum", BINARY, "x if (x > y or x != x) else y", ("gt(x, y)", "1.0 - gt(x, y)"),
       note="the max gate of the lecture notes: the gradient goes to x only where x > y; "
            "ties send it all to y (JAX and CasADi split it 1/2-1/2). A NaN operand gives NaN",
       special=((1.0, 1.0), (2.0, 1.0), (1.0, 2.0)), smooth=False),
    Op(8, "minimum", BINARY, "x if (x < y or x != x) else y", ("gt(y, x)", "1.0 - gt(y, x)"),
       note="the gradient goes to x only where x < y; ties send it all to y",
       special=((1.0, 1.0), (2.0, 1.0), (1.0, 2.0)), smooth=False),
    Op(9, "neg", UNARY, "-x", ("-1.0",)),
    Op(10, "exp", UNARY, "exp(x)", ("z",)),
    Op(11, "log", UNARY, "log(x)", ("1.0 / x",),
       note="log(0) = -inf with derivative +inf; log(x < 0) = NaN", domain=POSITIVE),
    Op(12, "sin", UNARY, "sin(x)", ("cos(x)",)),
    Op(13, "cos", UNARY, "cos(x)", ("-sin(x)",)),
    Op(14, "tan", UNARY, "tan(x)", ("1.0 + z * z",)),
    Op(15, "sqrt", UNARY, "sqrt(x)", ("0.5 / z",),
       note="sqrt(0) = 0 with derivative +inf (IEEE 0.5 / 0)", domain=POSITIVE),
    Op(16, "tanh", UNARY, "tanh(x)", ("1.0 - z * z",)),
    Op(17, "sigmoid", UNARY, "sigmoid(x)", ("z * (1.0 - z)",)),
    Op(18, "relu", UNARY, "0.0 if x <= 0.0 else x", ("gt(x, 0.0)",),
       note="relu'(0) = 0: the indicator of x > 0 (lecture notes, Prince ch. 7); "
            "relu(nan) = nan",
       special=((0.0,), (1.0,), (-1.0,)), smooth=False),
    Op(19, "softplus", UNARY, "softplus(x)", ("sigmoid(x)",)),
    Op(20, "abs", UNARY, "abs(x)", ("gt(x, 0.0) - gt(0.0, x)",),
       note="abs'(0) = 0", special=((0.0,), (2.0,), (-2.0,)), smooth=False),
    Op(21, "square", UNARY, "x * x", ("2.0 * x",)),
    Op(22, "add_const", CONST_RIGHT, "x + y", ("1.0",)),
    Op(23, "rsub_const", CONST_RIGHT, "y - x", ("-1.0",)),
    Op(24, "mul_const", CONST_RIGHT, "x * y", ("y",)),
    Op(25, "div_const", CONST_RIGHT, "x / y", ("1.0 / y",)),
    Op(26, "rdiv_const", CONST_RIGHT, "y / x", ("-z / x",), domain=NONZERO),
    Op(27, "pow_const", CONST_RIGHT, "x ** y", ("y * x ** (y - gt(abs(y), 0.0))",),
       note="x ** 0 = 1 for every x (IEEE pow), with derivative 0; "
            "d(x ** c)/dx at x = 0 is c * 0 ** (c - 1): 0 for c > 1, inf for c < 1",
       domain=POSITIVE),
    Op(28, "rpow_const", CONST_RIGHT, "y ** x", ("z * log(y + (1.0 - gt(abs(y), 0.0)))",),
       note="c ** x with c < 0 is NaN unless x is an integer; 0 ** x has derivative 0 for "
            "x > 0 (log(0) is replaced by 0, as for pow)"),
    Op(29, "leaky_relu", CONST_RIGHT, "x if x > 0.0 else y * x", ("y + (1.0 - y) * gt(x, 0.0)",),
       note="slope alpha (the constant) for x <= 0, 1 for x > 0: the derivative at 0 is alpha "
            "(Prince eq. 7.41 with the relu convention of the lecture notes)",
       special=((0.0,), (1.0,), (-1.0,)), smooth=False),
    Op(30, "gt", BINARY, "1.0 if x > y else 0.0", ("0.0", "0.0"),
       note="the step 1{x > y}: derivative zero everywhere, including at the jump",
       special=((1.0, 1.0), (2.0, 1.0), (1.0, 2.0)), smooth=False),
)

BY_NAME = {op.name: op for op in OPS}
BY_CODE = {op.code: op for op in OPS}



def __getattr__(name):
    """``ops.EXP`` etc.: the members of :class:`Opcode` under the module (older spelling)."""
    try:
        return Opcode[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None

N_OPS = len(OPS)


# The table as lookup arrays indexed by opcode, for the compiled kernels (which cannot read
# Op records): how many of arg0/arg1 are parents, and which argument holds a constant-pool
# index (0 none, 1 arg0, 2 arg1).
ARITY_TABLE = np.array([op.arity for op in OPS], dtype=np.uint8)
CONST_SLOT_TABLE = np.array([{Kind.CONST: 1, Kind.CONST_RIGHT: 2}.get(op.kind, 0) for op in OPS],
                            dtype=np.uint8)
ARITY_TABLE.flags.writeable = False
CONST_SLOT_TABLE.flags.writeable = False


def table_digest(records=None):
    """Short digest of what the generated rules depend on: codes, names, kinds and rules."""
    records = OPS if records is None else records
    text = repr([(op.code, op.name, int(op.kind), op.value, tuple(op.partials)) for op in records])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_table():
    codes = [op.code for op in OPS]
    if codes != list(range(len(OPS))):
        raise RuntimeError("opcodes must be 0, 1, 2, ... in table order (append, never renumber)")
    if len(BY_NAME) != len(OPS):
        raise RuntimeError("op names must be unique")
    if [(m.name, m.value) for m in Opcode] != [(op.name.upper(), op.code) for op in OPS]:
        raise RuntimeError("ops.Opcode must list every record, by name.upper() and code")
    for op in OPS:
        if len(op.partials) != op.arity:
            raise RuntimeError(f"op {op.name!r} needs {op.arity} partial rule(s)")
        if op.commutative and op.kind != BINARY:
            raise RuntimeError(f"op {op.name!r}: only binary ops can be commutative")


_check_table()
