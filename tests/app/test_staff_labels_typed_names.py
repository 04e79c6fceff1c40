"""The controls of Alerts and Weekly review name the member, and a label is drawn as markdown:
a name typed with web and e-mail addresses reads as typed there, never as a link."""

from tests.app.conftest import no_exception, titles
from tests.app.test_widgets import EVIL_NAME, as_read, autolinks, typed_addresses

__all__ = ["typed_addresses"]  # the fixture, used by name below


def labels_naming(at, name: str) -> list[str]:
    """Every label of a button, link or field on screen that names the member."""
    labels = [w.label for kind in ("button", "radio", "text_input", "text_area", "multiselect")
              for w in getattr(at, kind)]
    labels += [e.proto.label for e in at.get("page_link")]
    return [label for label in labels if name in as_read(label)]


def test_alerts_labels_name_the_member_as_typed_and_link_nowhere(new_app, typed_addresses):
    counselor, _ = typed_addresses
    at = no_exception(new_app(counselor).run(timeout=60))
    at = no_exception(at.switch_page("../pages/alerts.py").run(timeout=60))
    assert titles(at) == ["Alerts"]
    start = next(b for b in at.button if b.key and b.key.startswith("start_"))
    start.click().run(timeout=60)
    labels = labels_naming(no_exception(at), EVIL_NAME)
    assert {as_read(label) for label in labels} == {
        f"Open {EVIL_NAME}", f"How did you reach out to {EVIL_NAME}?",
        f"Acknowledge {EVIL_NAME}'s flag"}
    assert [link for label in labels for link in autolinks(label)] == []


def test_weekly_review_labels_name_the_member_as_typed_and_link_nowhere(new_app,
                                                                        typed_addresses):
    _, sponsor = typed_addresses
    at = no_exception(new_app(sponsor).run(timeout=60))
    at = no_exception(at.switch_page("../pages/weekly_review.py").run(timeout=60))
    assert titles(at) == ["Weekly review"]
    labels = labels_naming(at, EVIL_NAME)
    assert {as_read(label) for label in labels} >= {
        f"{EVIL_NAME}'s flags to acknowledge", f"How did you reach out to {EVIL_NAME}?",
        f"Outreach note for {EVIL_NAME}", f"Acknowledge {EVIL_NAME}'s flags",
        f"Private note on {EVIL_NAME}", f"How did you go over {EVIL_NAME}'s week?"}
    assert [link for label in labels for link in autolinks(label)] == []
