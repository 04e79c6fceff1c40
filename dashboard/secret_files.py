"""Files that hold a key: the notes' encryption keys and the audit trail's key.

One way to write them and one way to read them. A file appears complete or not at all,
private (mode 0600) from its first byte, and flushed to disk with its folder entry, so
that a crash never leaves half a key and two processes starting together never overwrite
each other's. A file that other users can read is refused, as ssh refuses a private key:
a key others can read protects nothing.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from dashboard.config import ConfigError


def read_private_file(path: Path, *, what: str) -> bytes:
    """The content of a key file; ConfigError if it is missing, readable by others or empty.
    `what` names the file in messages ("The key file")."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"{what} {path} is readable by other users (mode {stat.S_IMODE(mode):o}); "
            f"make it private with `chmod 600 {path}`"
        )
    content = path.read_bytes()
    if not content.strip():
        raise ConfigError(f"{what} {path} is empty")
    return content


def _write_temporary(folder: Path, content: bytes) -> Path:
    """A new private file in `folder` holding `content`, flushed to disk."""
    descriptor, name = tempfile.mkstemp(prefix=".secret-", dir=folder)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, content)
        os.fsync(descriptor)
    except BaseException:
        os.close(descriptor)
        os.unlink(name)
        raise
    os.close(descriptor)
    return Path(name)


def _sync_folder(folder: Path) -> None:
    # The new directory entry must survive a crash as surely as the database's commit.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def create_private_file(path: Path, content: bytes) -> bool:
    """Create `path` with `content` unless it exists; True if this call created it.

    A hard link of a finished private file fails if the name exists: the complete file
    appears at once, and of two processes only one creates it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists():
        return False
    written = _write_temporary(path.parent, content)
    try:
        os.link(written, path)
    except FileExistsError:
        return False
    finally:
        written.unlink()
    _sync_folder(path.parent)
    return True


def replace_private_file(path: Path, content: bytes) -> None:
    """Write `path` anew with `content`, atomically: readers see the old file or the new."""
    written = _write_temporary(path.parent, content)
    os.replace(written, path)
    _sync_folder(path.parent)
