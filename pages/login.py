"""Log in."""

from dashboard import ui

ui.login_screen()
