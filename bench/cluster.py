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

With `--patroni` the cluster runs PostgreSQL under Patroni + etcd and the processes reach it through PgBouncer
(transaction pooling) and HAProxy: the "kill" is of the primary's node (its Patroni and its PostgreSQL, SIGKILL)
and Patroni promotes the replica by itself once the leader key's TTL (10 s) runs out. Every figure then carries
`failover: "patroni"` (else `"script"`).

    .venv/bin/python bench/cluster.py [--messages 20000] [--base-port 24700] [--patroni]
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
    parser.add_argument("--patroni", action="store_true", help="PostgreSQL under Patroni, through PgBouncer")
    args = parser.parse_args()
    module = local_cluster()
    missing = module.missing_patroni_binaries() if args.patroni else module.missing_binaries()
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}")
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="digipark-bench-cluster-") as tmp:
        folder = Path(tmp)
        progress("starting the local cluster")
        state = module.start(folder, args.base_port, web=False, patroni=args.patroni)
        try:
            conditions = {
                "workers": 2,
                "nats_nodes": 3,
                "stream_replicas": 3,
                "pg": "primary + sync replica",
                "failover": "patroni" if args.patroni else "script",
                "pooler": "pgbouncer (transaction)" if args.patroni else "none",
            }
            mode = {"failover": conditions["failover"], "pooler": conditions["pooler"]}
            progress(f"throughput: {args.messages} messages")
            rate, total = throughput(state, args.messages)
            emit("cluster_ingest_dp_per_s", rate, "dp/s", readings=total, load_avg_1m=round(load, 1), **conditions)
            progress("faults: NATS node 1 killed, then PostgreSQL failover")
            run = run_with_faults(folder, state, count=args.fault_messages, timeout=120)
            lost = run.expected_readings - run.distinct
            emit("failover_lost", lost, "readings", published=run.expected_readings, **mode)
            emit("failover_duplicates", run.rows - run.distinct, "readings", **mode)
            recovery = run.recovery_s if run.recovery_s is not None else float("nan")
            emit("failover_recovery_s", recovery, "s", load_avg_1m=round(os.getloadavg()[0], 1), **mode)
            emit("failover_promote_s", run.failover_s, "s", **mode)
        finally:
            module.stop(folder)


if __name__ == "__main__":
    main()
