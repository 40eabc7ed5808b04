"""Output folders written safely: tcosim replaces only a folder it wrote itself, builds the new one
beside it, and swaps it in so that a kill at any moment leaves the old folder or the new, complete.

* Ownership: a folder is ours when its ``manifest.json`` says ``"tool": "tcosim"`` and it holds
  nothing the manifest does not list (or when it is empty). Anything else is refused (exit 2).
* Serialised: writers hold an exclusive ``flock`` on the parent folder while they build and swap,
  so two runs writing the same ``--out`` take turns instead of racing.
* Crash-safe swap: Linux ``renameat2(RENAME_EXCHANGE)`` swaps the two folders in one step. Where it
  is missing, the old folder is parked under a name of ours first; the next writer puts a parked
  report back if the swap never finished.
* No debris: the next writer (holding the lock) deletes the temporary and parked folders that a
  killed writer left, and nothing else.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sim.errors import UsageError

MANIFEST = "manifest.json"
TOOL = "tcosim"
_TMP, _OLD = "tcosim-tmp-", "tcosim-old-"


class OutputError(UsageError):
    """An output path tcosim must not write to (exit 2)."""


def _manifest(folder: Path) -> dict | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return None
    return data if isinstance(data, dict) and data.get("tool") == TOOL else None


def _listed(folder: Path) -> set[str]:
    """Every file and folder under ``folder``, as relative POSIX paths."""
    out: set[str] = set()
    for root, dirs, files in os.walk(folder):
        rel = Path(root).relative_to(folder)
        out.update((rel / name).as_posix() for name in (*dirs, *files))
    return out


#: what reports written before manifests listed their files held (tcosim <= 0.1): tables, documents
#: and charts; a folder of that age holding anything else is not replaced
_LEGACY = re.compile(r"^(charts|charts/[^/]+\.png|[^/]+\.(csv|md|html|png|json))$")


_LEGACY_SWEEP = {"sweep.csv", "break_even.csv", "sweep.md", "sweep.png"}


def is_ours(folder: Path) -> bool:
    """Whether ``folder`` is empty or a complete tcosim output holding only the files it lists."""
    if not any(folder.iterdir()):
        return True
    data = _manifest(folder)
    present = _listed(folder)
    if data is None:  # sweeps of tcosim <= 0.1 wrote no manifest: exactly these files
        return "sweep.csv" in present and present <= _LEGACY_SWEEP
    files = data.get("files")
    if files is None:
        return all(_LEGACY.match(p) for p in present)
    return isinstance(files, list) and present <= {str(f) for f in files} | {MANIFEST}


def check_out(out: Path | str, flag: str = "--out") -> Path:
    """Refuse an output path that is not ours to replace; return it as an absolute path."""
    if str(out).strip() == "":
        raise OutputError(f"{flag}: the path is empty; give a folder, e.g. {flag} reports/my-run")
    path = Path(os.path.abspath(out))
    if path.is_symlink():
        raise OutputError(f"{flag} {out}: is a symbolic link; give the folder itself")
    if path.exists() and not path.is_dir():
        raise OutputError(f"{flag} {out}: is a file, not a folder; tcosim will not replace it")
    if path.is_dir() and not is_ours(path):
        raise OutputError(f"{flag} {out}: the folder exists and is not a tcosim output (or holds files tcosim "
                          "did not write); tcosim replaces only its own reports: choose another folder")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"{flag} {out}: {parent} is a file, not a folder")
            break
    return path


@contextlib.contextmanager
def _locked(parent: Path) -> Iterator[None]:
    """An exclusive lock on the parent folder (POSIX flock); a no-op where flock is missing."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _ours_leftover(entry: Path, name: str) -> str | None:
    """"tmp" or "old" for a folder a writer of ``name`` left behind, else None."""
    for kind, tag in (("tmp", _TMP), ("old", _OLD)):
        if entry.name.startswith(f".{name}.{tag}") and entry.is_dir() and not entry.is_symlink():
            return kind
    return None


def recover(out: Path) -> None:
    """Put back a parked report whose swap a kill interrupted; delete the rest of what killed
    writers left. Call with the parent's lock held."""
    leftovers = [(e, k) for e in out.parent.iterdir() if (k := _ours_leftover(e, out.name))]
    for entry, kind in sorted(leftovers, key=lambda x: x[1] != "old"):
        if kind == "old" and not out.exists() and _manifest(entry) is not None:
            os.rename(entry, out)
        else:
            shutil.rmtree(entry, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.ENOTSUP):
        return False  # the filesystem cannot exchange: fall back to parking
    raise OSError(err, os.strerror(err), str(b))


def swap_in(tmp: Path, out: Path) -> None:
    """Put the complete folder ``tmp`` at ``out``; the previous ``out`` (ours) is removed."""
    if not out.exists():
        os.rename(tmp, out)
        return
    if _exchange(tmp, out):
        shutil.rmtree(tmp, ignore_errors=True)  # now the old folder
        return
    park = out.with_name(f".{out.name}.{_OLD}{os.getpid()}")
    os.rename(out, park)
    os.rename(tmp, out)
    shutil.rmtree(park, ignore_errors=True)


def _write_manifest(tmp: Path, manifest: dict) -> None:
    files = sorted(_listed(tmp) | {MANIFEST})
    body = {"tool": TOOL, **manifest, "files": files}
    (tmp / MANIFEST).write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")


@contextlib.contextmanager
def output_folder(out: Path | str, manifest: dict, flag: str = "--out") -> Iterator[Path]:
    """Yield an empty temporary folder to write into; on success write ``manifest.json`` (last,
    it marks the folder complete) and swap the folder in at ``out``. On any error or interrupt
    the temporary folder is removed and ``out`` is left as it was."""
    path = check_out(out, flag)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path.parent):
        recover(path)
        check_out(path, flag)  # again, under the lock: another writer may have changed it
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.{_TMP}", dir=path.parent))
        try:
            umask = os.umask(0)
            os.umask(umask)
            tmp.chmod(0o777 & ~umask)  # mkdtemp makes 0700; a report folder should look like any other
            yield tmp
            _write_manifest(tmp, manifest)
            swap_in(tmp, path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
