"""Every screen's whole page run: the page run by Streamlit's AppTest through the real entry
script, logged in, as the browser session of the screen's viewer.

Each run is a new session (a new AppTest): logged in just now, past the second factor of
the set-up the account has, it first runs untimed on the viewer's home screen (Streamlit
wants a run before a page is switched to, and that is where a visit starts), then the
query of the link a list screen opens a detail screen with is set (the person picked on
Caseload, Alerts or Weekly review), and the switch to the screen's page is the run timed (for Today,
Weekly review and Caseload, their viewers' home screens, the same page again). Then it is
checked: no exception, the screen's title, and the elements that show the screen did its
work (a table, a chart, the person picked), so that a screen that stopped early (nobody
picked, nothing shared, the second-factor screen instead) is an error, not a fast figure.

Today's page run is the reference: SPEC section 10 wants none of them to take more than
twice as long (report.py).

Nothing here imports Streamlit at import time: the functions that need it import it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import dashboard
from benchmarks.cast import Cast
from benchmarks.errors import BenchError
from benchmarks.report import (
    ALERTS_PAGE,
    CASELOAD_PAGE_RUN,
    CLIENT_DETAIL_PAGE,
    MY_PROGRESS_PAGE,
    SPONSEE_DETAIL_PAGE,
    TODAY_PAGE,
    WEEKLY_REVIEW_PAGE,
    FigureSpec,
)
from benchmarks.timing import StatementCounter, Stopwatch, measure, measure_beside
from dashboard.auth import Actor

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

APP_ENTRY = Path(dashboard.__file__).resolve().parent / "app.py"
PAGES = "../pages"  # relative to the entry script, as AppTest wants it
PAGE_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Shows:
    """What a page run must show to count: its title, and elements of its content."""

    title: str
    headings: tuple[str, ...] = ()  # of sections (st.header or st.subheader)
    metrics: tuple[str, ...] = ()  # labels of st.metric
    table: bool = False  # a dataframe
    chart: bool = False  # a Plotly chart
    form: bool = False
    picked: str | None = None  # the person a picker shows chosen (a detail screen)
    one_of: tuple[str, ...] = ()  # any of these texts, in a caption or a message

    def missing(self, at: AppTest) -> list[str]:
        """What the run did not show, in words; empty when it showed all of it."""
        gaps = []
        if self.title not in [t.value for t in at.title]:
            gaps.append(f"the title {self.title!r}")
        headings = [h.value for h in (*at.header, *at.subheader)]
        gaps += [f"the heading {h!r}" for h in self.headings if h not in headings]
        metrics = [m.label for m in at.metric]
        gaps += [f"the figure {m!r}" for m in self.metrics if m not in metrics]
        if self.table and not at.dataframe:
            gaps.append("a table")
        if self.chart and not at.get("plotly_chart"):
            gaps.append("a chart")
        if self.form and not at.get("form"):
            gaps.append("a form")
        if self.picked is not None and self.picked not in _picked(at):
            gaps.append(f"{self.picked!r} picked")
        if self.one_of:
            texts = [e.value for kind in ("caption", "success", "info", "markdown")
                     for e in at.get(kind) if isinstance(getattr(e, "value", None), str)]
            if not any(wanted in text for wanted in self.one_of for text in texts):
                gaps.append(" or ".join(repr(t) for t in self.one_of))
        return gaps


def _picked(at: AppTest) -> list[str]:
    """The options the select boxes show chosen, as the viewer reads them."""
    shown = []
    for box in at.selectbox:
        if box.index is not None:
            shown.append(box.options[box.index])
    return shown


@dataclass(frozen=True)
class PageRun:
    """One screen's page run: who views it, its file in pages/, the query it is opened
    with (as a list screen's link names a person), and what it must show."""

    spec: FigureSpec
    actor: Actor
    page: str
    shows: Shows
    detail: str
    query: Mapping[str, str] = field(default_factory=dict)


def page_runs_for(cast: Cast) -> list[PageRun]:
    """The seven screens of SPEC section 10's page runs, Today (the reference) first."""
    # The query of the links Caseload, Alerts and Weekly review open the detail screens
    # with (read here: that module imports Streamlit).
    from dashboard.web.member_record import detail_query

    member, sponsor, sponsee, counselor = cast.member, cast.sponsor, cast.sponsee, cast.counselor
    as_who = "through dashboard/app.py, logged in as"
    return [
        PageRun(TODAY_PAGE, member, "today.py",
                Shows("Today", headings=("Your last 14 days",), form=True),
                f"pages/today.py {as_who} {member.username} (the reference)"),
        PageRun(MY_PROGRESS_PAGE, member, "my_progress.py",
                Shows("My progress", headings=("Mood and craving",),
                      metrics=("Days sober",), chart=True),
                f"pages/my_progress.py {as_who} {member.username}"),
        PageRun(WEEKLY_REVIEW_PAGE, sponsor, "weekly_review.py",
                Shows("Weekly review", headings=("Sponsees",), metrics=("Check-ins",)),
                f"pages/weekly_review.py {as_who} {sponsor.username}, "
                f"{cast.sponsees} sponsees sharing, last week"),
        PageRun(SPONSEE_DETAIL_PAGE, sponsor, "sponsee_detail.py",
                Shows("Sponsee detail", headings=("Your contact log",),
                      picked=sponsee.display_name),
                f"pages/sponsee_detail.py {as_who} {sponsor.username}, "
                f"{sponsee.username} opened as from Weekly review",
                query=detail_query("sponsee", sponsee.id)),
        PageRun(CASELOAD_PAGE_RUN, counselor, "caseload.py",
                Shows("Caseload", table=True),
                f"pages/caseload.py {as_who} {counselor.username}, within the visit"),
        PageRun(ALERTS_PAGE, counselor, "alerts.py",
                Shows("Alerts", one_of=("Your queue", "Nothing needs your action")),
                f"pages/alerts.py {as_who} {counselor.username}, first page"),
        PageRun(CLIENT_DETAIL_PAGE, counselor, "client_detail.py",
                Shows("Client detail", headings=("Mood and craving", "Your contact log"),
                      chart=True, picked=member.display_name),
                f"pages/client_detail.py {as_who} {counselor.username}, "
                f"{member.username} opened as from Caseload",
                query=detail_query("client", member.id)),
    ]


def _no_missing_context_warning(record: logging.LogRecord) -> bool:
    return "missing ScriptRunContext" not in record.getMessage()


def measure_page_run(*, actor: Actor, page: str, query: Mapping[str, str], shows: Shows,
                     runs: int, counter: StatementCounter) -> tuple[float, int]:
    """(median ms, most statements) of the page `page` (a file of pages/) run as `actor`'s
    session, opened with `query`: a new session each run, timed from the switch to the
    page."""
    return measure(runs=runs, counter=counter,
                   run=page_run(actor=actor, page=page, query=query, shows=shows))


def measure_beside_today(run: PageRun, today: PageRun, *, runs: int,
                         counter: StatementCounter) -> tuple[tuple[float, int], float]:
    """((median ms, most statements) of the page run `run`, median ms of Today's page
    runs taken in turn with it): the ratio of the 2x-Today rule, both sides measured on
    the same machine at the same time."""
    def of(page: PageRun) -> Callable[[int, Stopwatch], None]:
        return page_run(actor=page.actor, page=page.page, query=page.query, shows=page.shows)
    return measure_beside(runs=runs, counter=counter, run=of(run), reference=of(today))


def page_run(*, actor: Actor, page: str, query: Mapping[str, str], shows: Shows
             ) -> Callable[[int, Stopwatch], None]:
    """One timed page run of `page` (a file of pages/) as `actor`'s new session, opened
    with `query`, then checked for what it must show."""
    from streamlit.testing.v1 import AppTest

    from dashboard.web.session import session_record

    where = f"{PAGES}/{page}"

    def run(index: int, watch: Stopwatch) -> None:
        at = AppTest.from_file(str(APP_ENTRY), default_timeout=PAGE_TIMEOUT_SECONDS)
        # Logged in just now, past the second factor of the set-up the account has.
        at.session_state["auth"] = session_record(
            actor.id, second_factor=actor.two_factor_enrolled_at)
        at.run()
        if at.exception:
            raise BenchError(f"the app failed before the {shows.title} page with "
                             f"{at.exception[0].proto.type} (its traceback is above)")
        at.query_params.update(query)
        try:
            at.switch_page(where)
        except ValueError:
            raise BenchError(f"the {shows.title} page is not in {actor.username}'s menu "
                             f"(the app shows: {', '.join(t.value for t in at.title)})") from None
        with watch():
            at.run(timeout=PAGE_TIMEOUT_SECONDS)
        if at.exception:
            # The message itself is redacted (client.showErrorDetails); Streamlit has
            # logged the traceback above.
            raise BenchError(f"the {shows.title} page failed with "
                             f"{at.exception[0].proto.type} (Streamlit logged its traceback "
                             "above)")
        gaps = shows.missing(at)
        if gaps:
            raise BenchError(f"the {shows.title} page run as {actor.username} did not show "
                             f"{', '.join(gaps)} (it shows: "
                             f"{', '.join(t.value for t in at.title) or 'no title'})")

    return run


@contextmanager
def quiet_context_warnings() -> Iterator[None]:
    """Without Streamlit's warnings of a missing ScriptRunContext: AppTest sets session
    state from outside a script run, which Streamlit warns about twice per run, noise in
    the middle of the report. (A filter, because Streamlit resets its loggers' levels when
    it reads its configuration.)"""
    context_logger = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    context_logger.addFilter(_no_missing_context_warning)
    try:
        yield
    finally:
        context_logger.removeFilter(_no_missing_context_warning)
