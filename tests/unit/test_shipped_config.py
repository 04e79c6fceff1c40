"""The Streamlit settings shipped at the repository root (.streamlit/config.toml)."""

import tomllib
from pathlib import Path

SHIPPED = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"


def test_people_never_see_a_trace_a_deploy_button_or_a_raw_data_download():
    client = tomllib.loads(SHIPPED.read_text())["client"]
    assert client["showErrorDetails"] == "none"
    assert client["toolbarMode"] == "minimal"
    assert client["disableDataExport"] is True


def test_no_usage_statistics_leave_the_server():
    shipped = tomllib.loads(SHIPPED.read_text())
    assert shipped["browser"]["gatherUsageStats"] is False
    assert shipped["server"]["headless"] is True
