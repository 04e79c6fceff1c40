"""Sponsee detail: one sponsee's shared check-ins, steps and flags."""

from dashboard import ui

ui.member_detail_screen(role="sponsor", purpose="sponsorship", title="Sponsee detail",
                        noun="sponsee")
