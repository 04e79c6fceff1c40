"""The one error the benchmark reports as such, apart from the modules that raise it."""


class BenchError(Exception):
    """A problem that stops the benchmark, told in one line (no CREATEDB, a page failed)."""
