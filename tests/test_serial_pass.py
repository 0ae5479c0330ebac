"""make test's serial pass collects only the files the Makefile's SERIAL lists; the collection hook in
tests/conftest.py stops a run in which a serial test lives in another file (both passes would leave it out)."""

from __future__ import annotations

import pytest

from tests.conftest import REPO, serial_files, stray_serial


def test_each_listed_file_exists_and_holds_serial_tests():
    listed = serial_files()
    assert len(listed) >= 3
    for name in listed:
        assert "pytest.mark.serial" in (REPO / name).read_text(), name


def test_a_serial_test_in_an_unlisted_file_is_named_unless_it_needs_a_gpu(request):
    item = request.node
    assert stray_serial([item], serial_files()) == []  # not serial
    item.add_marker(pytest.mark.serial)
    assert stray_serial([item], serial_files()) == [item.nodeid]
    assert stray_serial([item], serial_files() | {"tests/test_serial_pass.py"}) == []
    item.add_marker(pytest.mark.gpu)  # make test runs no gpu test: gpu_check.sh collects those
    assert stray_serial([item], serial_files()) == []
