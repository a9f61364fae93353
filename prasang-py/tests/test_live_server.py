"""Beside a running server: its folder is locked, its snapshot opens. Runs before the tests
that stop the server (file order)."""

import os

import pytest

import prasang


def test_opening_a_folder_a_server_holds_says_to_take_a_snapshot(running):
    with pytest.raises(prasang.StoreLocked) as refused:
        prasang.open(running["data_dir"])
    assert isinstance(refused.value, prasang.Conflict)
    assert "snapshot" in str(refused.value)
    assert refused.value.code == "store-locked"


def test_a_snapshot_taken_by_the_running_server_opens_and_holds_everything(running):
    path = running["snapshot"]["path"]
    assert path == os.path.join(running["data_dir"], "snapshots", "while-serving")
    with prasang.open(path) as db:
        assert db.popularity().to_pylist()[0] == running["rest"]["popularity"]
        assert db.tickets().num_rows == 10
        # Sequence numbers may have gaps (check-ins draw ids from the same counter): the
        # snapshot holds the log up to the last entry the server had before it was taken.
        assert db.log().to_pylist()[-1]["seq"] >= running["rest"]["log_end"] - 1
        checked = db.verify_integrity()
        assert checked["problems"] == []
        assert checked["tickets"] == 10
        assert checked["events"] == db.events().num_rows
        assert checked["users"] == db.attendees().num_rows


def test_snapshot_names_that_leave_the_folder_are_refused(running):
    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as refused:
        running["server"].call("POST", "/api/v1/admin/snapshot", running["admin_token"],
                               {"name": "../escape"})
    assert refused.value.code in (400, 422)
