"""Benchmark: ingest through the local cluster (deploy/local-cluster) and through its faults.

Figures:
- `cluster_ingest_dp_per_s` — 2 `digipark ingest --worker` processes on a 3-node NATS JetStream cluster (stream
  replicas 3) into a PostgreSQL primary with a synchronous streaming replica: a backlog of `--messages` messages
  (3 readings each, 8 devices) published at once, readings stored over the time from the first publish to the
  last reading stored;
- `failover_lost` — readings JetStream acknowledged but not stored, over a run in which NATS node 1 is SIGKILLed
  and then the PostgreSQL primary is SIGKILLed and the replica promoted (must be 0); `failover_duplicates` too;
- `failover_recovery_s` — from the primary's kill until the ingest stores readings again on the promoted one
  (target < 30); `failover_promote_s` — of that, until the promoted server takes writes.

    .venv/bin/python bench/cluster.py [--messages 20000] [--base-port 24700]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import emit, progress
from tests.cluster_harness import local_cluster, run_with_faults, throughput


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--fault-messages", type=int, default=1500)
    parser.add_argument("--base-port", type=int, default=24700)
    args = parser.parse_args()
    module = local_cluster()
    missing = module.missing_binaries()
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}")
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="digipark-bench-cluster-") as tmp:
        folder = Path(tmp)
        progress("starting the local cluster")
        state = module.start(folder, args.base_port, web=False)
        try:
            conditions = {"workers": 2, "nats_nodes": 3, "stream_replicas": 3, "pg": "primary + sync replica"}
            progress(f"throughput: {args.messages} messages")
            rate, total = throughput(state, args.messages)
            emit("cluster_ingest_dp_per_s", rate, "dp/s", readings=total, load_avg_1m=round(load, 1), **conditions)
            progress("faults: NATS node 1 killed, then PostgreSQL failover")
            run = run_with_faults(folder, state, count=args.fault_messages, timeout=120)
            emit("failover_lost", run.expected_readings - run.distinct, "readings", published=run.expected_readings)
            emit("failover_duplicates", run.rows - run.distinct, "readings")
            emit("failover_recovery_s", run.recovery_s if run.recovery_s is not None else float("nan"), "s")
            emit("failover_promote_s", run.failover_s, "s")
        finally:
            module.stop(folder)


if __name__ == "__main__":
    main()
