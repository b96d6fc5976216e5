#!/usr/bin/env python3
"""The unsigned peer that `courtsync bench --peer` compares the node's batched append with.

Python's `eventsourcing` library (pip install eventsourcing) storing the same number of events
in SQLite, in batches of the same size, one transaction per batch, with no hashing, chaining or
signing: what an event store does without CourtSync's guarantees. Prints events per second.

    python3 scripts/bench_peer.py EVENTS BATCH
"""
import json
import os
import sys
import tempfile
import time
import uuid

try:
    from eventsourcing.persistence import StoredEvent
    from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
except ImportError:
    sys.exit("the peer needs Python's eventsourcing library: pip install eventsourcing")


def main() -> None:
    events, batch = int(sys.argv[1]), int(sys.argv[2])
    with tempfile.TemporaryDirectory() as work:
        datastore = SQLiteDatastore(os.path.join(work, "peer.sqlite"))
        recorder = SQLiteApplicationRecorder(datastore)
        recorder.create_table()
        court = uuid.uuid4()
        # Bodies of the shape the node stores, built before the clock starts (as the node's drafts are).
        stored = [
            StoredEvent(
                originator_id=court,
                originator_version=i + 1,
                topic="case.filed",
                state=json.dumps({"at": "2022-08-01T09:30:00+08:00", "data": {"case_no": f"(2022)豫0802民初{i}号", "channel": "online"},
                                  "dept": "case-filing", "id": f"peer-{i}", "type": "case.filed"}, ensure_ascii=False).encode(),
            )
            for i in range(events)
        ]
        start = time.perf_counter()
        for lo in range(0, events, batch):
            recorder.insert_events(stored[lo:lo + batch])
        seconds = time.perf_counter() - start
    print(f"{events / seconds:.0f}")


if __name__ == "__main__":
    main()
