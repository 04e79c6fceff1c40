"""Words shown to people for the product's codes, in one place, with the codes themselves:
screens take both from here, never from the models."""

from collections.abc import Mapping
from typing import TypeVar

from models import CATEGORIES, OUTREACH_METHODS, ROLES, SEVERITIES  # noqa: F401 (for screens)

# What a screen shows for a value of a category the member does not share with the viewer.
NOT_SHARED = "not shared"

# Short labels of our own wording (the official text of the steps is copyrighted).
STEP_LABELS = {
    1: "Admit the problem",
    2: "Find hope",
    3: "Decide to accept help",
    4: "Take an honest inventory",
    5: "Share the inventory",
    6: "Become ready to change",
    7: "Ask for help to change",
    8: "List the people harmed",
    9: "Make amends",
    10: "Keep taking inventory",
    11: "Deepen spiritual practice",
    12: "Carry the message",
}

STEP_STATUS_LABELS = {"not_started": "Not started", "in_progress": "In progress",
                      "completed": "Completed"}

CATEGORY_LABELS = {
    "checkins": "Check-ins",
    "steps": "Steps",
    "flags": "Hard days and flags",
    "notes": "Notes",
}

CATEGORY_EXPLANATIONS = {
    "checkins": "They see your daily mood, craving, whether you used, meetings, actions, sleep "
                "and your sobriety date.",
    "steps": "They see which step you are on, and when you started and completed each one.",
    "flags": "They see which days you marked hard and the alerts raised from your check-ins.",
    "notes": "They see your own words: gratitude, step notes, why a day was hard, and the "
             "journal entries you choose to share.",
}

# What "Who viewed my data" says of an access that is not a read of categories.
ACCESS_ACTION_LABELS = {"password_reset": "Reset your password",
                        "two_factor_reset": "Reset your two-factor login",
                        "audit_log_viewed": "Saw records of your account in the audit log"}

PURPOSE_LABELS = {"sponsorship": "Sponsorship", "counseling": "Counseling"}

ACTION_LABELS = {
    "prayer_meditation": "Prayer or meditation",
    "called_support": "Called sponsor or support",
    "read_literature": "Read literature",
    "step_work": "Step work",
}

MOOD_LABELS = {1: "Very low", 2: "Low", 3: "Okay", 4: "Good", 5: "Great"}

SEVERITY_LABELS = {"high": "High", "medium": "Medium", "low": "Low", "none": "None"}

RULE_LABELS = {
    "hard_day": "Hard day",
    "used_substances": "Reported use",
    "high_craving": "High craving",
    "low_mood": "Low mood",
    "no_checkin": "No check-in",
    "craving_rising": "Craving rising",
}

# On every sponsor or counselor screen that shows member data, and on the paper of it (the
# weekly review's PDF): no redisclosure without consent.
CONFIDENTIALITY_NOTICE = (
    "Confidential: shared with you by the member's written consent. Do not pass it on to "
    "anyone without their consent. Every view is recorded and visible to the member."
)

# Shown to a member who marks a hard day or reports use, and beside every high flag.
CRISIS_RESOURCES = (
    "**If you need someone right now:** call or text **988**, the Suicide & Crisis Lifeline, "
    "any time of day or night. For help with substance use, call the **SAMHSA National "
    "Helpline at 1-800-662-4357**: free, confidential, 24 hours a day, every day of the year."
)
# The same lines for a viewer, beside each high flag of a list (one short line per flag).
CRISIS_RESOURCES_SHORT = (
    "If the client is in crisis: **988** Suicide & Crisis Lifeline (call or text); "
    "**SAMHSA National Helpline 1-800-662-4357**."
)

OUTREACH_LABELS = {"called": "Called", "texted": "Texted", "met": "In person",
                   "meeting": "At a meeting", "other": "Other"}
# What a contact log entry answered (models.CONTACT_KINDS).
CONTACT_KIND_LABELS = {"contact": "Contact", "flag": "Acknowledged a flag",
                       "review": "Reviewed the week"}
# The two flag figures every viewer's screen shows side by side, and what they mean.
RISK_HELP = ("Risk describes the person: the highest severity among their flags still going "
             "on (a silence flag until the next check-in, the others for 7 days after the "
             "day), whoever has acknowledged them.")
NEEDS_ACTION_HELP = ("Needs my action describes your own queue: their flags you have not "
                     "acknowledged yet. What anyone else does never changes it, and you never "
                     "see what others did.")


K = TypeVar("K")


def told_apart(labels: Mapping[K, str]) -> dict[K, str]:
    """Each label, with " (2)", " (3)" after the second and later of those that read alike:
    a choice in Streamlit is known by its words, so no two may be the same."""
    apart: dict[K, str] = {}
    used: set[str] = set()
    for key, label in labels.items():
        candidate, n = label, 1
        while candidate in used:
            n += 1
            candidate = f"{label} ({n})"
        apart[key] = candidate
        used.add(candidate)
    return apart


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    """"1 day", "3 days"; `plural_word` for a word that does not just take an s."""
    return f"{count} {word if count == 1 else (plural_word or word + 's')}"

