"""The demo's names and phrases, read once from `words.toml` beside this module: a data
file, so that the wording can change without touching the generator."""

from __future__ import annotations

import tomllib
from importlib import resources

# Through importlib.resources, so that an installed copy (a wheel, a zip) finds it too.
_WORDS = tomllib.loads(
    resources.files(__package__).joinpath("words.toml").read_text(encoding="utf-8")
)

FIRST_NAMES: tuple[str, ...] = tuple(_WORDS["first_names"])
LAST_INITIALS: str = _WORDS["last_initials"]
HOME_GROUPS: tuple[str, ...] = tuple(_WORDS["home_groups"])
HARD_DAY_REASONS: tuple[str, ...] = tuple(_WORDS["hard_day_reasons"])
RELAPSE_REASONS: tuple[str, ...] = tuple(_WORDS["relapse_reasons"])
GRATITUDE: tuple[str, ...] = tuple(_WORDS["gratitude"])
JOURNAL: tuple[str, ...] = tuple(_WORDS["journal"])
REVIEW_NOTES: tuple[str, ...] = tuple(_WORDS["review_notes"])
# TOML keys are strings; the step rows number their steps.
STEP_NOTES: dict[int, tuple[str, ...]] = {
    int(step): tuple(notes) for step, notes in _WORDS["step_notes"].items()
}
OUTREACH_NOTES: dict[str, tuple[str, ...]] = {
    method: tuple(notes) for method, notes in _WORDS["outreach_notes"].items()
}
# In the file's order, which a seed's draws depend on.
OUTREACH_METHODS: tuple[str, ...] = tuple(OUTREACH_NOTES)
