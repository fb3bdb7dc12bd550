"""How many BLAS threads graphlab uses when two graphlab processes share the machine.

Why: OpenBLAS threads busy-wait for work. Two processes that each run two BLAS threads on a
2-core machine spin against each other: ``graphlab lesson 15 --quick`` took 5.0 s alone, and
lessons 14 and 15 started together took 17.6 s, against 8.0 s with one BLAS thread each.

The policy ("share", on by default): every graphlab process that is doing heavy work (a
convolution or an optimizer step in the last ``ACTIVE_SECONDS``) keeps a heartbeat file named
after its pid in a per-user folder of the temp directory. A daemon thread of each such process
counts the live, active peers twice a second, and the process's BLAS gets

    threads = max(1, min(threads at start, cores // active processes))

so a run alone keeps its speed and two runs together take one core each. The count is applied by
the main thread at its next heavy op (``busy()``), between two ops, never under its own running
GEMM; a process that computes only in other threads keeps the BLAS's count.

What it never does: change an environment variable, or override a count somebody else set
(threadpoolctl, ``openblas_set_num_threads``): while the BLAS's count is not the one this module
set last, it leaves it alone. ``GRAPHLAB_BLAS_THREADS=fixed`` (read, never written) or
``sharing(False)`` turns the policy off for a process.

>>> status()["policy"] in ("share", "fixed", "unavailable")
True
"""
from __future__ import annotations

import atexit
import os
import tempfile
import threading
import time
from typing import Optional

from graphlab.argcheck import flag
from graphlab.ops.kernels import blas

#: a process counts as busy this long after its last heavy op
ACTIVE_SECONDS = 3.0
#: how often the watcher thread looks at the peers
PERIOD_SECONDS = 0.5
POLICY_VARIABLE = "GRAPHLAB_BLAS_THREADS"


class _State:
    """Everything the policy remembers; one per process (reset in a forked child)."""

    def __init__(self) -> None:
        self.enabled = os.environ.get(POLICY_VARIABLE, "share").strip().lower() != "fixed"
        self.functions = None            # (get, set) of OpenBLAS, once looked up
        self.started = False             # _start has run (the watcher runs unless it returned early)
        self.watching = False            # the watcher thread runs
        self.base: Optional[int] = None  # the BLAS's thread count when the policy started
        self.applied: Optional[int] = None   # the count this module set last
        self.desired: Optional[int] = None   # what the watcher wants, applied by busy()
        self.last_busy = 0.0
        self.peers = 0


_state = _State()


def folder() -> str:
    """The per-user folder of heartbeat files (one per busy graphlab process)."""
    user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return os.path.join(tempfile.gettempdir(), f"graphlab-{user}-blas")


def cores() -> int:
    """The cores this process may run on (its affinity, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def share(base: int, active: int, available_cores: int) -> int:
    """The policy itself: BLAS threads for one of ``active`` busy processes.

    >>> share(2, 1, 2), share(2, 2, 2), share(2, 3, 2), share(8, 2, 16), share(1, 1, 2)
    (2, 1, 1, 8, 1)
    """
    return max(1, min(base, available_cores // max(active, 1)))


def busy() -> None:
    """Called by heavy ops (a convolution, an optimizer step): marks this process busy and applies
    the thread count the watcher chose. Costs a clock read and two comparisons."""
    state = _state
    state.last_busy = time.monotonic()
    if not state.started:
        _start()
    elif state.desired is not None and state.desired != state.applied and \
            threading.current_thread() is threading.main_thread():
        _apply(state.desired)            # only the main thread: another may be inside a GEMM meanwhile


def sharing(enabled: bool) -> None:
    """Turn the policy on or off for this process; off restores the count it found at start."""
    state = _state
    state.enabled = flag(enabled, "enabled", "threads.sharing")
    if not state.enabled and state.base is not None and state.applied is not None:
        _apply(state.base)
        state.desired = None
    elif state.enabled and not state.watching:
        state.started = False            # started while off: the next heavy op starts the watcher


def status() -> dict:
    """What the policy sees: its state, the BLAS's thread count, the busy peers."""
    functions = _functions()
    return {"policy": "unavailable" if functions is None else ("share" if _state.enabled else "fixed"),
            "threads": functions[0]() if functions else None, "threads_at_start": _state.base,
            "busy_peers": _state.peers, "cores": cores(), "folder": folder()}


# -- the machinery --------------------------------------------------------------------------------
def _functions():
    if _state.functions is None:
        _state.functions = blas.thread_functions() or ()
    return _state.functions or None


def _start() -> None:
    state = _state
    state.started = True                 # set first: busy() must not start a second watcher
    if threading.current_thread() is not threading.main_thread():
        state.started = False            # not yet: the policy starts (and applies) from the main thread
        return
    functions = _functions()
    if functions is None or not state.enabled:
        return
    state.base = state.applied = functions[0]()
    try:
        os.makedirs(folder(), exist_ok=True)
    except OSError:
        return                           # no writable temp folder: run with the BLAS's own count
    _tick(_heartbeat_path())             # the first look now: this op already runs with the right count
    if state.desired is not None and state.desired != state.applied:
        _apply(state.desired)
    state.watching = True
    threading.Thread(target=_watch, name="graphlab-blas-threads", daemon=True).start()


def _apply(count: int) -> None:
    """Set the BLAS's thread count, unless someone else changed it since this module last did."""
    state = _state
    functions = _functions()
    if functions is None:
        return
    get, set_ = functions
    if get() != state.applied:           # threadpoolctl or the user set it: theirs to manage
        return
    set_(count)
    state.applied = count


def _heartbeat_path() -> str:
    return os.path.join(folder(), str(os.getpid()))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True                      # another user's process, or a platform without signals
    return True


def count_busy_peers(now: float) -> int:
    """Live graphlab processes (other than this one) busy within ``ACTIVE_SECONDS``; files of
    dead processes are removed."""
    peers = 0
    try:
        names = os.listdir(folder())
    except OSError:
        return 0
    for name in names:
        if not name.isdigit() or int(name) == os.getpid():
            continue
        path = os.path.join(folder(), name)
        try:
            fresh = now - os.stat(path).st_mtime < ACTIVE_SECONDS
        except OSError:
            continue                     # removed meanwhile
        if not _alive(int(name)):
            _remove(path)
        elif fresh:
            peers += 1
    return peers


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _tick(path: str) -> None:
    """One look: refresh this process's heartbeat (or remove it when idle), count the busy peers
    and choose the thread count for ``busy()`` to apply."""
    state = _state
    if state.enabled and time.monotonic() - state.last_busy < ACTIVE_SECONDS:
        try:
            with open(path, "a"):
                pass
            os.utime(path)               # the heartbeat: mtime says "busy now"
        except OSError:
            pass
        state.peers = count_busy_peers(time.time())
        state.desired = share(state.base, 1 + state.peers, cores())
    elif state.enabled:
        _remove(path)                    # idle: other processes may have the cores
        state.peers = 0
        state.desired = state.base


def _watch() -> None:
    path = _heartbeat_path()
    while True:
        time.sleep(PERIOD_SECONDS)
        _tick(path)


def _forget_at_exit() -> None:
    if _state.started:
        _remove(_heartbeat_path())


def _reset_in_child() -> None:
    """A forked child has no watcher thread: it starts its own at its first heavy op."""
    global _state
    enabled = _state.enabled
    _state = _State()
    _state.enabled = enabled


atexit.register(_forget_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_in_child)
