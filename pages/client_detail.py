"""Client detail: one client's shared check-ins, steps and flags."""

from dashboard import ui

ui.member_detail_screen(role="counselor", purpose="counseling", title="Client detail",
                        noun="client")
