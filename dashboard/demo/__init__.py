"""The deterministic demo caseload: accounts, check-ins, steps, consents, flags and reviews.

Everything is drawn from one `random.Random(seed)` in a fixed order (each member gets a
generator of their own, seeded from it) and every timestamp is derived from `now`, the
moment the demo loads, so the same seed, sizes and moment give the very same rows, ids
included, on SQLite and PostgreSQL alike. The one exception is the password hash: argon2
salts it at random. The whole caseload is written in one transaction: a failure leaves the
database empty.

The demo never writes the future: each member has check-ins only for the local days that
have begun in their own time zone at `now`, and no stored time is later than `now`. Its
flags are raised by the app's own rules (`dashboard.flags.RULES` and the silence rule) run
over the generated check-ins, as the app would have raised them, so they read the same.

The modules, in the order a load uses them: `people` (accounts and each member's plan),
`consents`, `steps`, `checkins`, `flags` (raised and followed up), `reviews`, and `load`,
which draws them in that order and writes the rows. `clock` holds the days of each time
zone; `words` reads the names and phrases from `words.toml`.
"""

from dashboard.demo.load import (
    CHUNK_ROWS,
    DEMO_PASSWORD,
    MAX_DAYS,
    MAX_MEMBERS,
    MIN_DAYS,
    MIN_MEMBERS,
    DemoAccount,
    DemoSummary,
    ProgressCallback,
    load_demo,
)
from dashboard.demo.people import MAX_SPONSEES, demo_sizes

__all__ = [
    "CHUNK_ROWS",
    "DEMO_PASSWORD",
    "MAX_DAYS",
    "MAX_MEMBERS",
    "MAX_SPONSEES",
    "MIN_DAYS",
    "MIN_MEMBERS",
    "DemoAccount",
    "DemoSummary",
    "ProgressCallback",
    "demo_sizes",
    "load_demo",
]
