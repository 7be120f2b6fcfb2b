"""Per-browser state keeps its keys across restarts; the installation secret is private to its owner."""

import stat

from rnn_demo.ui.browser import browser_state, installation_secret


def test_the_installation_secret_is_made_once_and_kept_private(tmp_path):
    first = installation_secret(tmp_path / "state")
    assert len(first) >= 32 and installation_secret(tmp_path / "state") == first
    mode = stat.S_IMODE((tmp_path / "state" / "browser-secret").stat().st_mode)
    assert mode == 0o600
    assert installation_secret(tmp_path / "other") != first


def test_browser_states_use_fixed_keys_so_a_restart_finds_them(tmp_path):
    secret = installation_secret(tmp_path)
    a, b = browser_state("owner", secret), browser_state("owner", secret)
    assert (a.storage_key, a.secret) == (b.storage_key, b.secret) == ("rnn-lab-owner", secret)
