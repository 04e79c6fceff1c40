"""Other people's saves while logins flood in: the figure that shows the password hash
stays out of the database's write turn.

Flood threads log in as the login screen does (the stored hash read in a short
transaction, the hash checked outside any transaction, the login recorded in another),
while one member saves check-ins; the median save is measured with the flood and alone.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from dashboard.auth import Actor, log_in, prove_password, stored_password_hash
from dashboard.checkins import CheckInForm, save_checkin
from dashboard.config import Settings
from dashboard.login_throttle import Limit, LoginThrottle
from dashboard.timeutil import local_today
from dashboard.write_turns import run_transaction

FLOODERS = 16
# The flood is not throttled here: the figure is about where the hash runs, and a real
# flood comes from many addresses and usernames.
UNTHROTTLED = LoginThrottle(per_address=Limit(10**9, timedelta(seconds=1)),
                            per_username=Limit(10**9, timedelta(seconds=1)))


@dataclass(frozen=True)
class LoginFlood:
    flooders: int
    logins: int
    seconds: float
    idle_save_ms: float | None
    flooded_save_ms: float | None


def _log_in_as_the_screen_does(factory: sessionmaker[Session], *, username: str,
                               password: str, settings: Settings, now: datetime) -> None:
    stored = run_transaction(factory, lambda session: stored_password_hash(
        session=session, username=username))
    proof = prove_password(password=password, stored_hash=stored)
    run_transaction(factory, lambda session: log_in(
        session=session, username=username, password=password, settings=settings, now=now,
        throttle=UNTHROTTLED, proof=proof))


def _median_save_ms(factory: sessionmaker[Session], *, saver: Actor, seconds: float,
                    now: datetime) -> float | None:
    day = local_today(saver.timezone, now)
    times = []
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        form = CheckInForm(local_date=day, mood=1 + n % 5, craving=n % 11,
                           used_substances=False, meetings=0, actions=(), sleep_hours=None,
                           journal=f"flood save {n}")
        asked = time.perf_counter()
        run_transaction(factory, lambda session, form=form: save_checkin(
            session=session, actor=saver, form=form, now=now))
        times.append(time.perf_counter() - asked)
        n += 1
    return statistics.median(times) * 1000 if times else None


def saves_under_login_flood(*, factory: sessionmaker[Session], saver: Actor, username: str,
                            password: str, settings: Settings, seconds: float,
                            now: datetime, flooders: int = FLOODERS) -> LoginFlood:
    idle = _median_save_ms(factory, saver=saver, seconds=seconds, now=now)
    stop = threading.Event()
    logins = [0] * flooders

    def flood(number: int) -> None:
        while not stop.is_set():
            _log_in_as_the_screen_does(factory, username=username, password=password,
                                       settings=settings, now=now)
            logins[number] += 1

    threads = [threading.Thread(target=flood, args=(n,), name=f"bench-login-{n}",
                                daemon=True) for n in range(flooders)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    flooded = _median_save_ms(factory, saver=saver, seconds=seconds, now=now)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    return LoginFlood(flooders=flooders, logins=sum(logins),
                      seconds=time.monotonic() - started, idle_save_ms=idle,
                      flooded_save_ms=flooded)
