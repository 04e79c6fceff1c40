"""Client detail: one client's shared check-ins, steps and flags."""

from dashboard.web.member_record import member_detail_screen

member_detail_screen(role="counselor", purpose="counseling", title="Client detail",
                     noun="client")
