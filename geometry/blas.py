"""BLAS on one thread while Python threads share the cores (geometry.suite.suites_over_layers).

threadpoolctl is a dependency of scikit-learn.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

_blas_lock = threading.Lock()
_blas_users = 0
_blas_limiter = None
_blas_controller = None


@contextmanager
def one_blas_thread():
    """BLAS on one thread while the workers run: each worker is a core's worth of work already,
    and two BLAS pools of two threads on two cores made the suite slower than no workers at all.
    Counted across threads, so overlapping callers (two dashboard sessions) restore the setting once,
    when the last one leaves. The BLAS libraries are looked up once per process (3 ms each time
    with torch loaded); NumPy's, which the suite uses, is always among them."""
    global _blas_users, _blas_limiter, _blas_controller
    with _blas_lock:
        if _blas_users == 0:
            if _blas_controller is None:
                from threadpoolctl import ThreadpoolController  # a dependency of scikit-learn

                _blas_controller = ThreadpoolController()
            _blas_limiter = _blas_controller.limit(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                _blas_limiter.restore_original_limits()
                _blas_limiter = None
