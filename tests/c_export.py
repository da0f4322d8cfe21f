"""Compile the C source of a tape (``tape.to_source("c")``) into a shared library, as the
tests of the C export do."""

import ctypes
import shutil
import subprocess

import pytest


def compile_c(tmp_path, text, flags=()):
    """``text`` built with the flags the docstring of ``c_source`` gives (and ``flags``),
    loaded with ctypes; the test is skipped where no C compiler is on PATH. A failed build
    raises with the compiler's messages."""
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no C compiler (cc, gcc or clang) on PATH: the C export is not compiled")
    src, lib = tmp_path / "tape.c", tmp_path / "libtape.so"
    src.write_text(text)
    done = subprocess.run([cc, "-std=c99", "-O2", "-ffp-contract=off", *flags, "-shared", "-fPIC",
                           "-o", str(lib), str(src), "-lm"], check=False, capture_output=True,
                          text=True)
    if done.returncode:
        raise AssertionError(f"{cc} failed:\n{done.stderr}")
    dll = ctypes.CDLL(str(lib))
    dll.tape_value_and_gradient.restype = ctypes.c_double
    return dll
