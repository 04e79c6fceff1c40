"""Words shown to people for the product's codes, in one place."""

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
    "checkins": "Your daily mood, craving, whether you used, meetings, actions and sleep.",
    "steps": "Which step you are on, and when you started and completed each one.",
    "flags": "Your hard days and the alerts raised from your check-ins.",
    "notes": "Your own words: gratitude, journal, step notes and the reasons for hard days.",
}

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
