"""The database stops and starts again during traffic: no answer that got a 200 is lost.

A private PostgreSQL cluster (tests/private_postgres.py) is stopped in the middle of a
stream of Slack and LINE answers and started again. While it is down, the server must
answer non-2xx (503), so the platform retries; whatever got a 200 must be stored; after the
platform's redeliveries, everything is stored exactly once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from bot.runtime import Runtime
from bot.server import build_app
from models.db import make_engine, make_session_factory
from tests.asgi_server import running_asgi
from tests.bot.deliveries import Delivery, answers_for, both_platforms, seed_office, stored_comments
from tests.conftest import Db
from tests.fakes.line_api import FakeLineApi
from tests.fakes.slack_api import FakeSlackApi
from tests.private_postgres import PrivateCluster, private_db

ANSWERS = 400
IN_FLIGHT = 8


def test_acked_answers_survive_a_database_restart(
    fake_slack: FakeSlackApi, line_api: FakeLineApi
) -> None:
    with private_db() as (cluster, db):
        office = seed_office(db)
        settings = both_platforms(db, slack_api_url=fake_slack.url, line_api_url=line_api.url)
        engine = make_engine(db.url, settings.pool(serving=True))  # what `hokoku serve` uses
        served = Db(url=db.url, engine=engine, factory=make_session_factory(engine))
        runtime = Runtime(
            settings=settings,
            engine=engine,
            factory=served.factory,
            organization_id=office.organization_id,
        )
        originals = list(answers_for(office, ANSWERS))
        acked: list[Delivery] = []
        refused: list[Delivery] = []
        statuses: Counter[int] = Counter()
        guard = threading.Lock()

        def deliver(delivery: Delivery, http: httpx.Client) -> None:
            status = delivery.send(http).status_code
            with guard:
                statuses[status] += 1
                (acked if status == 200 else refused).append(delivery)

        with (
            running_asgi(build_app(settings, runtime)) as url,
            httpx.Client(base_url=url, timeout=60) as http,
        ):
            outage = threading.Thread(target=_restart, args=(cluster,))
            with ThreadPoolExecutor(IN_FLIGHT) as pool:
                for n, delivery in enumerate(originals):
                    if n == ANSWERS // 4:
                        outage.start()
                    pool.submit(deliver, delivery, http)
                    time.sleep(0.01)  # a stream, not a burst: the outage falls in the middle
            outage.join()

            # Everything acked before the platform retries is already stored.
            assert {d.comment for d in acked} <= set(stored_comments(db))
            # The platforms retry what got no 200 (Slack re-sends, LINE redelivers).
            pending = [d.again() for d in refused]
            for _attempt in range(5):
                if not pending:
                    break
                time.sleep(0.5)
                results = [(d, d.send(http).status_code) for d in pending]
                statuses.update(status for _, status in results)
                pending = [d.again() for d, status in results if status != 200]
            engine.dispose()

        assert pending == []
        assert statuses[500] == 0 and statuses[503] > 0, (
            statuses
        )  # the outage was hit, answered 503
        stored = Counter(stored_comments(db))
        assert set(stored) == {d.comment for d in originals}
        assert max(stored.values()) == 1


def _restart(cluster: PrivateCluster) -> None:
    cluster.stop()
    time.sleep(1.5)
    cluster.start()
