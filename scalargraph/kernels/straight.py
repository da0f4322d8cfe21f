"""The op rules as small compiled functions, for the straight-line code of ``Tape.specialize``.

``scalargraph/specialize.py`` writes a tape as one Numba function with a local per node.
Rules that are plain arithmetic and ``math`` calls are written there in line; a rule with a
branch (``maximum``, ``relu``, ``gt``, ``leaky_relu``, the ``sigmoid`` helper) and the
derivative-rule select are calls of the functions below instead, with the opcode a float
literal (``17.0``: Numba would compile a new specialization for every integer literal, as
``Literal[int](17)``, while a float argument has the one type float64).
Numba gives every branch its own basic block and its passes grow faster than linearly in
blocks (215 nodes with in-line selects took 30-60 s to compile); these are compiled once,
cached with the other kernels, and LLVM inlines them into the caller, where the literal
opcode folds each ``rules`` switch down to the one op. They call the interpreter's own rules,
so the bits are the interpreter's.
"""

from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from . import rules
from .reach import finite_or_nan, term
from .reach import seed as seed  # re-exported: the generated code calls _k.seed

_JIT = dict(cache=True, nogil=True, error_model="numpy")


@njit(**_JIT)
def sz(d, u):
    """The sweeps' term (``reach.term``): ``d * u`` with d through ``finite_or_nan``, or
    ``-0.0`` (adds nothing) where d is 0 (a cut edge) or u was not reached."""
    return term(finite_or_nan(d), u) if d != 0.0 else -0.0


@njit(**_JIT)
def unary(o, x):
    return rules.unary(o, x)


@njit(**_JIT)
def binary(o, x, y):
    return rules.binary(o, x, y)


@njit(**_JIT)
def const_right(o, x, c):
    return rules.const_right(o, x, c)


@njit(**_JIT)
def unary_d(o, x):
    return rules.unary_partials(o, x)[1]


@njit(**_JIT)
def binary_d0(o, x, y):
    return rules.binary_partials(o, x, y)[1]


@njit(**_JIT)
def binary_d1(o, x, y):
    return rules.binary_partials(o, x, y)[2]


@njit(**_JIT)
def const_right_d(o, x, c):
    return rules.const_right_partials(o, x, c)[1]


@intrinsic
def opaque(typingctx, x):
    """x (a float64), which LLVM may not constant-fold through: the straight-line code reads
    the tape's constants through it. Written as literals, LLVM's library-call simplifier
    rewrites ``pow(x, -1.0)`` as ``1.0 / x`` and ``pow(8.0, x)`` as ``exp2(3.0 * x)``, and
    folds ``exp2(c)`` as the host's ``pow(2, c)``: other bits than the libm calls of the
    interpreter, which reads its constants from an array (``8.0 ** x`` was off by up to
    ~50 ulp at |x| = 30). An empty inline-assembly statement on the bits in a general
    register: no instruction, a register move at most."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        i64 = ir.IntType(64)
        bits = builder.bitcast(args[0], i64)
        out = builder.asm(ir.FunctionType(i64, [i64]), "", "=r,0", [bits], side_effect=False,
                          name="opaque")
        return builder.bitcast(out, ir.DoubleType())

    return types.float64(types.float64), codegen
