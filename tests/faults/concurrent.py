"""Scenarios where concurrency matters: moto in server mode, each container a process.

- The same delivery sent 8 times at once (8 ingest processes released together): one forward
  per call. Every queued message is then queued 3 times more (SQS delivers at least once) and
  two forwarder processes drain the queue together: still one forward per call.
- A burst of 1,000 deliveries drained by two forwarder processes (MaximumConcurrency 2)
  against a stand-in that enforces 600 requests per minute, on a clock ``SCALE`` times faster
  than real time: 0 lost, 0 doubled, no 429 storm, and a drain rate of at least 90 % of the
  configured cap (480 per minute) and at most the limit.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from tests.faults.harness import SIGNING, Lab, Ledger
from tests.faults.scenarios import (
    ONE_CALL,
    TWO_CALLS,
    Expect,
    Row,
    Scenario,
    mapped_calls,
    row_of,
    stripe_delivery,
)
from tests.faults.senders import Delivery
from tests.faults.worker import GO, READY
from tests.userpilot_stub import RateLimit

ROOT: Final = Path(__file__).resolve().parents[2]
SCALE: Final = 6.0
"""Scaled minutes: one lasts 10 real seconds."""
CAP_PER_MINUTE: Final = 480
LIMIT_PER_MINUTE: Final = 600
BURST: Final = 1_000
FORWARDERS: Final = 2
INGESTERS: Final = 2
SAME_DELIVERY: Final = 8
COPIES: Final = 3
START_TIMEOUT_S: Final = 45.0
RUN_TIMEOUT_S: Final = 45.0
MAX_429: Final = 5


@dataclass
class Worker:
    process: subprocess.Popen[str]
    result: Path


class Workers:
    """Worker processes (``tests/faults/worker.py``) released together, each bounded in time."""

    def __init__(self, lab: Lab, directory: Path) -> None:
        self.lab = lab
        self.directory = directory
        self.workers: list[Worker] = []

    def spawn(self, role: str, **config: Any) -> None:
        number = len(self.workers)
        result = self.directory / f"{role}-{number}.json"
        assert self.lab.moto is not None
        env = {**self.lab.env, "AWS_ENDPOINT_URL": self.lab.moto.url, **config.pop("env", {})}
        document = {"role": role, "env": env, "result": str(result), **config}
        path = self.directory / f"{role}-{number}-config.json"
        path.write_text(json.dumps(document), "utf-8")
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.worker", str(path)],
            cwd=ROOT,
            env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.workers.append(Worker(process, result))

    def release(self) -> None:
        """Wait until every worker is READY, then tell them all GO."""
        deadline = time.monotonic() + START_TIMEOUT_S
        for worker in self.workers:
            assert worker.process.stdout is not None
            line = _readline(worker.process, deadline)
            if line.strip() != READY:
                raise RuntimeError(f"a worker did not start: {line!r} {self._stderr(worker)}")
        for worker in self.workers:
            assert worker.process.stdin is not None
            worker.process.stdin.write(GO + "\n")
            worker.process.stdin.flush()

    def results(self) -> list[dict[str, Any]]:
        deadline = time.monotonic() + RUN_TIMEOUT_S
        results = []
        for worker in self.workers:
            try:
                worker.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.process.kill()
                raise RuntimeError("a worker ran out of time") from None
            if worker.process.returncode != 0:
                raise RuntimeError(f"a worker failed: {self._stderr(worker)}")
            results.append(json.loads(worker.result.read_text("utf-8")))
        self.stop()
        return results

    def stop(self) -> None:
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.process.kill()
            worker.process.wait(timeout=5)
            for stream in (worker.process.stdin, worker.process.stdout, worker.process.stderr):
                if stream is not None:
                    stream.close()
        self.workers = []

    @staticmethod
    def _stderr(worker: Worker) -> str:
        if worker.process.poll() is None:
            worker.process.kill()
        assert worker.process.stderr is not None
        return worker.process.stderr.read()[-2000:]


def _readline(process: subprocess.Popen[str], deadline: float) -> str:
    import select

    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
    return process.stdout.readline() if ready else ""


@contextlib.contextmanager
def workers_of(lab: Lab) -> Iterator[Workers]:
    with tempfile.TemporaryDirectory(prefix="faults-") as directory:
        workers = Workers(lab, Path(directory))
        try:
            yield workers
        finally:
            workers.stop()


def absorb(lab: Lab, results: list[dict[str, Any]]) -> None:
    """What the workers did, in the lab's books: queued bodies, accepted summaries, EMF."""
    from tests.userpilot_stub import call_id

    for result in results:
        for key, raw in result.get("queued", {}).items():
            lab.queued_raw[key] = raw
            lab.queued_bodies[key] = call_id(json.loads(raw)["body"])
        for outcome in result.get("outcomes", []):
            for summary in outcome["summaries"]:
                if summary.get("status") == "accepted":
                    lab.accept(summary)
        lab.capture.stdout.write(result.get("emf", ""))


def forward_together(lab: Lab, workers: Workers, *, deadline_s: float) -> list[dict[str, Any]]:
    for _ in range(FORWARDERS):
        workers.spawn(
            "forward",
            scale=SCALE,
            timeout_s=30.0,
            max_rounds=5_000,
            deadline_s=deadline_s,
        )
    workers.release()
    results = workers.results()
    absorb(lab, results)
    return results


def delivery_document(delivery: Delivery) -> dict[str, Any]:
    return {"source": delivery.source, "body": delivery.body, "headers": delivery.headers}


# --- the same delivery 8 times at once ----------------------------------------------------------


def same_delivery_at_once(name: str) -> Row:
    with Lab(server=True) as lab, workers_of(lab) as workers:
        delivery = stripe_delivery("evt_eight_at_once", TWO_CALLS)
        for _ in range(SAME_DELIVERY):
            workers.spawn(
                "ingest",
                vendor="STRIPE",
                secret=SIGNING["stripe"],
                timeout_s=3.0,
                deliveries=[delivery_document(delivery)],
            )
        workers.release()
        results = workers.results()
        absorb(lab, results)
        outcomes = [o for r in results for o in r["outcomes"]]
        first = Counter(o["statuses"][0] for o in outcomes)
        final = Counter(o["statuses"][-1] for o in outcomes)
        fresh = [s for o in outcomes for s in o["summaries"] if not s.get("duplicate")]
        # SQS delivers at least once: every call now waits in the queue COPIES more times
        for raw in list(lab.queued_raw.values()):
            for _ in range(COPIES):
                lab.drainer.sqs.send_message(QueueUrl=lab.queues.queue_url, MessageBody=raw)
        forwarded = forward_together(lab, workers, deadline_s=30.0)
        ledger = lab.ledger(mapped_calls(delivery))
        problems = []
        if final != Counter({202: SAME_DELIVERY}):
            problems.append(f"the senders ended with {dict(final)}, not 202 x{SAME_DELIVERY}")
        if len(fresh) != 1:
            problems.append(f"{len(fresh)} ingests processed the delivery, not 1")
        if not all(r["drained"] for r in forwarded):
            problems.append("a forwarder did not drain the queue within its bounds")
        suppressed = lab.capture.metric("DuplicateSuppressed")
        notes = (
            f"{SAME_DELIVERY} ingest processes at once: first answers {_histogram(first)}, "
            f"then {_histogram(final)}; each call queued {COPIES + 1}x, 2 forwarder processes: "
            f"{suppressed} duplicates suppressed"
        )
        return row_of(name, ledger, Expect(), notes, problems)


def _histogram(counts: Counter[int]) -> str:
    return " ".join(f"{status}x{n}" for status, n in sorted(counts.items()))


# --- the burst ----------------------------------------------------------------------------------


def burst(name: str) -> Row:
    window_s = 60.0 / SCALE
    limit = RateLimit(LIMIT_PER_MINUTE, window_s, retry_after="1")
    env = {
        "USERPILOT_REQUESTS_PER_MINUTE": str(CAP_PER_MINUTE),
        "FORWARDER_MAX_CONCURRENCY": str(FORWARDERS),
    }
    with Lab(server=True, rate_limit=limit, env=env) as lab, workers_of(lab) as workers:
        started = time.monotonic()
        deliveries = [stripe_delivery(f"evt_burst_{n:04d}", ONE_CALL) for n in range(BURST)]
        shares = [deliveries[n::INGESTERS] for n in range(INGESTERS)]
        for share in shares:
            # the real ingest handler; its delivery records (other rows prove them) are off
            # here, so the 1,000 are queued in seconds
            workers.spawn(
                "ingest",
                env={"POWERTOOLS_IDEMPOTENCY_DISABLED": "true"},
                vendor="STRIPE",
                secret=SIGNING["stripe"],
                timeout_s=3.0,
                deliveries=[delivery_document(d) for d in share],
            )
        workers.release()
        absorb(lab, workers.results())
        queued_s = time.monotonic() - started
        results = forward_together(lab, workers, deadline_s=40.0)
        ledger = lab.ledger(mapped_calls(deliveries[0]) * BURST)
        rate = drain_rate(lab)
        problems = check_rate(rate, ledger)
        if not all(r["drained"] for r in results):
            problems.append("a forwarder did not drain the queue within its bounds")
        drain_s = max(r["seconds"] for r in results)
        notes = (
            f"{BURST} deliveries queued by {INGESTERS} ingest processes in {queued_s:.1f} s; "
            f"{FORWARDERS} forwarder processes drained at "
            f"{rate:.0f}/min (cap {CAP_PER_MINUTE}, limit {LIMIT_PER_MINUTE}, >= "
            f"{0.9 * CAP_PER_MINUTE:.0f} required) in {drain_s:.1f} s real = "
            f"{drain_s * SCALE / 60:.2f} min at x{SCALE:g}"
        )
        return row_of(name, ledger, Expect(), notes, problems)


def drain_rate(lab: Lab) -> float:
    """Calls the stand-in took per scaled minute, first to last."""
    times = sorted(r.at for r in lab.userpilot.processed)
    if len(times) < 2 or times[-1] <= times[0]:
        return 0.0
    return (len(times) - 1) / ((times[-1] - times[0]) * SCALE / 60.0)


def check_rate(rate: float, ledger: Ledger) -> list[str]:
    problems = []
    if rate < 0.9 * CAP_PER_MINUTE:
        problems.append(f"drained at {rate:.0f}/min, under 90 % of the cap {CAP_PER_MINUTE}")
    if rate > LIMIT_PER_MINUTE:
        problems.append(f"drained at {rate:.0f}/min, over Userpilot's {LIMIT_PER_MINUTE}")
    if ledger.rate_limited > MAX_429:
        problems.append(f"{ledger.rate_limited} answers 429: a storm")
    return problems


CONCURRENT: Final[list[Scenario]] = [
    Scenario(
        "same delivery 8x at once",
        lambda: same_delivery_at_once("same delivery 8x at once"),
        "8 ingest processes at once, then 2 forwarder processes on 4 copies of each call",
    ),
    Scenario(
        "burst of 1,000",
        lambda: burst("burst of 1,000"),
        "1,000 deliveries, 2 forwarders, stand-in limit 600/min, cap 480/min, scaled clock",
    ),
]
