"""Writing a file so that nothing the user saved is lost: a temporary file, then one rename (used by gl.save).

``write_atomically(target, write, error=...)`` writes ``write(handle)`` to a hidden temporary
file next to ``target`` (``.<name>.<pid>-<random>.tmp``), flushes it to disk and renames it over
``target``. Whatever happens in between (an exception, Ctrl-C, SIGTERM, a full disk) the
temporary file is removed and ``target`` is what it was before. Also:

* a read-only ``target`` is refused (even for root, who could rename over it), and an
  existing ``target`` keeps its permission bits (a 0600 file stays 0600);
* ``target`` being a folder, or its folder not being writable, is an error naming ``target``,
  not the hidden temporary file;
* temporary files of ``target`` left by a killed process (kill -9, power loss) are removed by
  the next write to ``target``; those of a live process are left alone.
"""
from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
import threading
from pathlib import Path

#: temporary files this process is writing now (another thread may write the same target)
_ACTIVE: set = set()
#: the part of the target's name the temporary file carries (file names are limited to 255 bytes)
_NAME_PART = 100


def _temporary_prefix(target: Path) -> str:
    return f".{target.name[:_NAME_PART]}."


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError, ValueError):
        return True                          # someone else's process, or cannot tell: keep its file
    return True


def _stale(entry: str, prefix: str, folder: Path) -> bool:
    """A temporary file of ours that nobody is writing: its process is gone (or it predates pids)."""
    middle = entry[len(prefix):-len(".tmp")]
    owner, dash, _ = middle.partition("-")
    if not dash or not owner.isdigit():
        return True                          # an older graphlab's name (no pid): nobody can be writing it now
    pid = int(owner)
    if pid == os.getpid():
        return str(folder / entry) not in _ACTIVE
    return not _alive(pid)


def remove_stale_temporaries(target: Path) -> None:
    """Delete the temporary files of ``target`` whose writer died before renaming them."""
    prefix = _temporary_prefix(target)
    try:
        entries = os.listdir(target.parent)
    except OSError:
        return
    for entry in entries:
        if entry.startswith(prefix) and entry.endswith(".tmp") and _stale(entry, prefix, target.parent):
            with contextlib.suppress(OSError):
                os.unlink(target.parent / entry)


class _Terminated(BaseException):
    """SIGTERM arrived mid-write: unwind (removing the temporary file), then die of SIGTERM."""


@contextlib.contextmanager
def _sigterm_unwinds():
    """While writing in the main thread, turn SIGTERM's default (instant death) into an unwind.

    Only when SIGTERM has its default action: a program's own handler (or SIG_IGN) decides for
    itself, and an exception from that handler unwinds the write just the same. The previous
    handler is always restored; after the clean-up the process dies of SIGTERM as it would have.
    """
    main = threading.current_thread() is threading.main_thread()
    if not main or not hasattr(signal, "SIGTERM") or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return

    def on_sigterm(signum, frame):
        raise _Terminated()

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        raise SystemExit(128 + signal.SIGTERM) from None       # not reached: SIGTERM ends the process
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def target_mode(target: Path, error, where: str) -> int:
    """The permission bits the new file gets: those of the file it replaces, or a new file's.

    Raises ``error`` when ``target`` is a folder, not a regular file, or read-only.
    """
    try:
        status = os.stat(target)
    except FileNotFoundError:
        return 0o666 & ~_umask()
    except OSError as problem:
        raise error(f"{where}: cannot use {target}: {problem.strerror or problem}") from None
    if stat.S_ISDIR(status.st_mode):
        raise error(f"{where}: {target} is a folder; give a file name, such as {target / 'checkpoint.npz'}")
    if not stat.S_ISREG(status.st_mode):
        raise error(f"{where}: {target} is not a regular file (a device, a pipe...); give a file name")
    mode = stat.S_IMODE(status.st_mode)
    if not mode & 0o222 or not os.access(target, os.W_OK):
        raise error(f"{where}: {target} is read-only (mode {mode:o}); it was not replaced. Make it writable "
                    f"(chmod u+w) or write to another file")
    return mode


def _make_folder(target: Path, error, where: str) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as problem:
        raise error(f"{where}: cannot create the folder {target.parent} for {target}: "
                    f"{problem.strerror or problem}") from None


def _failed(target: Path, problem: OSError, error, where: str, existed: bool):
    reason = problem.strerror or str(problem)
    kept = f"{target} is unchanged" if existed else "nothing was written"
    return error(f"{where}: could not write {target} ({reason}); {kept}")


def write_atomically(target, write, *, error=OSError, where: str = "write") -> Path:
    """Write ``write(handle)`` (a binary file handle) to ``target`` atomically; see the module docstring.

    Problems with the file system are raised as ``error(message)``, the message naming ``target``.
    """
    target = Path(target)
    _make_folder(target, error, where)
    mode = target_mode(target, error, where)
    existed = target.exists()
    remove_stale_temporaries(target)
    with _sigterm_unwinds():
        _write_and_rename(target, write, mode, lambda problem: _failed(target, problem, error, where, existed))
    _sync_folder(target.parent)
    return target


def _write_and_rename(target: Path, write, mode: int, failure) -> None:
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f"{_temporary_prefix(target)}{os.getpid()}-",
                                                 suffix=".tmp", dir=target.parent)
    except OSError as problem:
        raise failure(problem) from None
    _ACTIVE.add(temporary)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.chmod(temporary, mode)                # mkstemp makes 0600: give it the mode it will have
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException as problem:         # KeyboardInterrupt, SIGTERM too: never leave a half-written file
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(problem, OSError):
            raise failure(problem) from problem
        raise
    finally:
        _ACTIVE.discard(temporary)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where folders cannot be opened."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
