"""Every compiled (Numba) loop of scalargraph, and nothing else.

The modules above this package validate their arguments and then call these kernels, which
trust them: Numba does not check bounds.
"""
