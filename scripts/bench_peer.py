#!/usr/bin/env python3
"""The unsigned peer that `courtsync bench --peer` compares the node's batched append with.

Python's `eventsourcing` library (pip install eventsourcing) as its users write it: an
Application saving a domain aggregate's events to SQLite, BATCH events per save (one transaction
per save), with no hashing, chaining or signing: an event store without CourtSync's guarantees.
Prints events per second.

    python3 scripts/bench_peer.py EVENTS BATCH
"""
import os
import sys
import tempfile
import time

try:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event
except ImportError:
    sys.exit("the peer needs Python's eventsourcing library: pip install eventsourcing")


class CourtLog(Aggregate):
    """A court's usage log as an eventsourcing aggregate: one event per usage record."""

    @event("Recorded")
    def record(self, id: str, type: str, at: str, dept: str, data: dict) -> None:
        pass


def main() -> None:
    events, batch = int(sys.argv[1]), int(sys.argv[2])
    with tempfile.TemporaryDirectory() as work:
        os.environ["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
        os.environ["SQLITE_DBNAME"] = os.path.join(work, "peer.sqlite")
        app = Application()
        log = CourtLog()
        app.save(log)
        # Records of the shape the node's bench appends, built before the clock starts.
        records = [(f"peer-{i}", "case.filed", "2022-08-01T09:30:00+08:00", "case-filing",
                    {"case_no": f"(2022)豫0802民初{i}号", "channel": "online"}) for i in range(events)]
        start = time.perf_counter()
        for lo in range(0, events, batch):
            for record in records[lo:lo + batch]:
                log.record(*record)
            app.save(log)
        seconds = time.perf_counter() - start
    print(f"{events / seconds:.0f}")


if __name__ == "__main__":
    main()
