"""The BLAS thread policy (ops/kernels/threads.py): busy graphlab processes share the cores."""
import os
import subprocess
import sys
import time

import pytest

from graphlab.ops.kernels import blas, threads

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """The heartbeat folder moved to a temporary one, so real graphlab runs do not count."""
    monkeypatch.setattr(threads, "folder", lambda: str(tmp_path))
    return tmp_path


def test_the_policy_splits_the_cores_and_never_exceeds_the_count_at_start():
    assert threads.share(2, 1, 2) == 2          # alone: keeps its speed
    assert threads.share(2, 2, 2) == 1          # two busy runs on 2 cores: one thread each
    assert threads.share(2, 5, 2) == 1          # never zero
    assert threads.share(1, 1, 8) == 1          # OPENBLAS_NUM_THREADS=1 stays 1
    assert threads.share(4, 2, 16) == 4         # plenty of cores: the user's count


def test_only_live_recently_busy_peers_count(registry):
    now = time.time()
    (registry / str(os.getpid())).touch()                     # this process never counts itself
    (registry / str(os.getppid())).touch()                    # a live, busy peer
    stale = registry / "1"                                     # pid 1 is alive but idle for a minute
    stale.touch()
    os.utime(stale, (now - 60, now - 60))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (registry / str(dead.pid)).touch()                       # a process that has exited
    (registry / "notes.txt").touch()                         # not a heartbeat file
    assert threads.count_busy_peers(now) == 1
    assert not (registry / str(dead.pid)).exists()           # cleaned away
    assert stale.exists()                                    # idle, but alive: kept


def test_a_count_set_by_someone_else_is_left_alone(monkeypatch):
    calls = []
    count = {"now": 2}
    monkeypatch.setattr(threads, "_functions", lambda: (lambda: count["now"], lambda n: calls.append(n)))
    state = threads._State()
    state.applied = 2
    monkeypatch.setattr(threads, "_state", state)
    threads._apply(1)
    assert calls == [1] and state.applied == 1
    count["now"] = 3                                         # threadpoolctl raised it meanwhile
    threads._apply(2)
    assert calls == [1] and state.applied == 1               # not touched


@pytest.mark.skipif(blas.thread_functions() is None, reason="numpy's OpenBLAS is not reachable by ctypes here")
def test_two_busy_processes_take_one_thread_each(registry):
    """Two real processes, each running convolutions: with the other busy, each drops to one
    BLAS thread; the environment variables are never touched."""
    script = f"""
import os, sys, time
sys.path.insert(0, {ROOT!r})
import numpy as np
import graphlab as gl
from graphlab.ops.kernels import threads
threads.folder = lambda: {str(registry)!r}
threads.cores = lambda: 2
get = threads._functions()[0]
x, w = gl.tensor(np.ones((1, 2, 6, 6), np.float32)), gl.tensor(np.ones((2, 2, 3, 3), np.float32))
seen, deadline = set(), time.monotonic() + 20
while time.monotonic() < deadline:
    gl.functional.conv2d(x, w, padding=1)
    seen.add(get())
    if 1 in seen and threads.status()["busy_peers"]:
        deadline = min(deadline, time.monotonic() + 1.5)    # stay busy until the other one sees us too
    time.sleep(0.02)
print(sorted(seen), os.environ.get("OPENBLAS_NUM_THREADS"))
"""
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "2"}
    environment.pop(threads.POLICY_VARIABLE, None)
    runs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=environment)
            for _ in range(2)]
    outputs = [run.communicate(timeout=60)[0].strip() for run in runs]
    for output in outputs:
        assert output.startswith("[1") and output.endswith(" 2"), outputs   # went to 1; env still "2"


@pytest.mark.skipif(blas.thread_functions() is None, reason="numpy's OpenBLAS is not reachable by ctypes here")
def test_fixed_policy_keeps_the_count(registry):
    script = f"""
import sys
sys.path.insert(0, {ROOT!r})
import numpy as np
import graphlab as gl
from graphlab.ops.kernels import threads
threads.folder = lambda: {str(registry)!r}
gl.functional.conv2d(gl.tensor(np.ones((1, 1, 4, 4))), gl.tensor(np.ones((1, 1, 3, 3))))
print(threads.status()["policy"])
"""
    environment = {**os.environ, threads.POLICY_VARIABLE: "fixed"}
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment,
                            timeout=60).stdout.strip()
    assert output == "fixed"
    assert not any(name.isdigit() for name in os.listdir(registry))     # no heartbeat written


def test_sharing_takes_a_flag_and_can_be_turned_on_after_a_fixed_start(monkeypatch):
    state = threads._State()
    state.enabled, state.started = False, True                 # started under GRAPHLAB_BLAS_THREADS=fixed
    monkeypatch.setattr(threads, "_state", state)
    with pytest.raises(TypeError, match="threads.sharing: enabled must be True or False"):
        threads.sharing("yes")
    threads.sharing(True)
    assert state.enabled and not state.started                # the next heavy op starts the watcher
