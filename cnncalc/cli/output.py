"""Where the command line's text goes: stdout (guarded) and `-o FILE` (replaced safely). Here,
in cli/, because writing is the command line's business: nothing below the CLI writes to a
stream or a file (tests/test_import_rules.py).

stdout: a closed pipe becomes PipeClosed, which the CLI ends silently with status 0; any other
write error (a full disk, a closed descriptor) becomes StdoutError, one line and status 2.

`write_file` writes beside FILE under a temporary name and renames it into place, so a failure
or a signal never leaves half a file. It replaces only regular files: never a folder, a device,
a pipe or a socket (renaming over `/dev/null` as root would replace the system's /dev/null), and
it refuses a symbolic link rather than guess whether the link or its target was meant. A new
file gets the usual permissions, 0666 & ~umask (mkstemp's 0600 is for secrets); a replaced file
keeps its mode (and its group where we may set it).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from pathlib import Path
from typing import Any

from ..errors import CnnCalcError


def _umask() -> int:
    mask = os.umask(0o022)  # the only portable way to read it is to set it
    os.umask(mask)
    return mask


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def write_file(text: str, output: Path, force: bool) -> None:
    """Write `text` (UTF-8) to `output`, atomically; an existing file needs `force`."""
    try:
        st: os.stat_result | None = os.lstat(output)
    except FileNotFoundError:
        st = None
    except OSError as exc:  # too long a name, a component that is a file, no permission
        raise CnnCalcError(f"cannot write {output}: {_why(exc)}") from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise CnnCalcError(
                f"{output} is a symbolic link; cnncalc replaces only regular files "
                "(give the path of the file it points to)"
            )
        if stat.S_ISDIR(st.st_mode):
            raise CnnCalcError(f"{output} is a folder")
        if not stat.S_ISREG(st.st_mode):
            raise CnnCalcError(
                f"{output} is not a regular file (a device, pipe or socket); cnncalc replaces "
                "only regular files"
            )
        if not force:
            raise CnnCalcError(f"{output} exists; pass --force to overwrite it")
    folder = output.parent if str(output.parent) else Path(".")
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
    import tempfile  # here: every run imports this module, few write files

    try:
        # a short prefix: the temporary name must fit in NAME_MAX where the target's name does
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name[:64]}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise CnnCalcError(f"cannot write {output}: {_why(exc)}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            if st is not None:
                with contextlib.suppress(OSError):  # not ours to give away: we stay its owner
                    os.fchown(fd, st.st_uid, st.st_gid)
            os.fchmod(fd, mode)  # after chown, which may clear set-id bits
            os.fsync(fd)  # the data on disk before the rename makes it the file
        os.replace(tmp, output)
    except BaseException as exc:  # an OSError, a signal (SystemExit), Ctrl-C: no temp file left
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise CnnCalcError(f"cannot write {output}: {_why(exc)}") from None
        raise


# ------------------------------------------------------------------ stdout


class StdoutError(CnnCalcError):
    """Standard output cannot be written (a full disk, a closed descriptor)."""


class PipeClosed(Exception):  # noqa: N818  (named for what happened)
    """The reader of our stdout has gone (EPIPE). Not an OSError: typer would turn that into
    exit status 1, and rich into SystemExit(1)."""


class Closed:
    """Stands in for a stream the shell closed (`>&-`): Python sets it to None."""

    def __init__(self, name: str) -> None:
        self.name = name

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, f"{self.name} is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class GuardedStdout:
    """sys.stdout, with write errors other than a closed pipe turned into one-line errors."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream if stream is not None else Closed("standard output")

    def _guard(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self._stream, method)(*args)
        except BrokenPipeError:
            raise PipeClosed() from None
        except OSError as exc:
            raise StdoutError(
                f"cannot write to standard output: {exc.strerror or exc}"
            ) from None

    def write(self, text: str) -> Any:
        return self._guard("write", text)

    def flush(self) -> Any:
        return self._guard("flush")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so that the interpreter's last flush of what is
    still buffered neither fails nor prints "Exception ignored ... BrokenPipeError"."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ else 1)
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
