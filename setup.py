"""The compiled kernels (newsindex/_speedups.c) as an optional extension:
without a C compiler or Python's headers the build skips it and newsindex
runs its Python versions of the same kernels (see newsindex/_kernels.py).
Everything else about the package is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("newsindex._speedups", ["newsindex/_speedups.c"], optional=True)
    ]
)
