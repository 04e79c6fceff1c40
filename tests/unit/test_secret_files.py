"""Key files are written whole and private, and refused when others can read them or they
are empty (dashboard/secret_files.py)."""

import os
import stat

import pytest

from dashboard.config import ConfigError
from dashboard.secret_files import (
    create_private_file,
    read_private_file,
    replace_private_file,
)


def test_a_new_file_is_private_and_never_overwritten(tmp_path):
    path = tmp_path / "keys" / "secret.key"
    assert create_private_file(path, b"first\n")
    assert not create_private_file(path, b"second\n")
    assert path.read_bytes() == b"first\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]  # no temporary left


def test_a_new_folder_for_it_is_private_whatever_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        create_private_file(tmp_path / "data" / "secret.key", b"key")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700


def test_replacing_keeps_it_private(tmp_path):
    path = tmp_path / "secret.key"
    create_private_file(path, b"old")
    replace_private_file(path, b"new")
    assert read_private_file(path, what="The key file") == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_file_others_can_read_is_refused_with_the_command_that_fixes_it(tmp_path):
    path = tmp_path / "secret.key"
    create_private_file(path, b"key")
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match=r"readable by other users.*chmod 600"):
        read_private_file(path, what="The audit key file")


def test_an_empty_or_missing_file_is_refused(tmp_path):
    empty = tmp_path / "empty.key"
    create_private_file(empty, b"  \n")
    with pytest.raises(ConfigError, match="is empty"):
        read_private_file(empty, what="The key file")
    with pytest.raises(ConfigError, match="does not exist"):
        read_private_file(tmp_path / "none.key", what="The key file")
