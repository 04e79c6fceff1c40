"""Sponsee detail: one sponsee's shared check-ins, steps and flags."""

from dashboard.web.member_record import member_detail_screen

member_detail_screen(role="sponsor", purpose="sponsorship", title="Sponsee detail",
                     noun="sponsee")
