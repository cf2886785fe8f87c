"""Prometheus metrics, one registry per running Headway (so tests can build many side by side).

Counters and histograms are updated as things happen; the outbox backlog and leadership are gauges set when
/metrics is scraped (`refresh`). Process and Python collectors come from prometheus-client. No `_created` series:
they double the output and no dashboard of ours uses them.
"""

from __future__ import annotations

import platform
from functools import cache
from importlib.metadata import PackageNotFoundError, version

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0)

disable_created_metrics()


@cache  # importlib.metadata scans every installed distribution
def headway_version() -> str:
    try:
        return version("headway")
    except PackageNotFoundError:
        return "unknown"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        Info("headway_build", "The running Headway", registry=self.registry).info(
            {"version": headway_version(), "python": platform.python_version()})
        self.requests = Counter(
            "headway_slack_requests", "Requests from Slack by kind", ["kind"], registry=self.registry
        )
        self.ack_seconds = Histogram(
            "headway_ack_seconds",
            "Time from receiving a Slack request to answering it",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.slack_calls = Counter(
            "headway_slack_api_calls", "Slack Web API calls by method and result", ["method", "status"],
            registry=self.registry,
        )
        self.api_requests = Counter(
            "headway_api_requests", "Measurements API requests by endpoint and HTTP status", ["endpoint", "status"],
            registry=self.registry,
        )
        self.jobs = Counter(
            "headway_scheduled_jobs", "Scheduled job runs by job and outcome", ["job", "outcome"],
            registry=self.registry,
        )
        self.job_seconds = Histogram(
            "headway_scheduled_job_seconds", "Duration of scheduled job runs", ["job"], registry=self.registry,
        )

        self.outbox_sent = Counter("headway_outbox_sent", "Outbox messages delivered", ["kind"], registry=self.registry)
        self.outbox_dead = Counter(
            "headway_outbox_dead_letters", "Outbox messages given up on", ["kind"], registry=self.registry
        )
        self.outbox_retries = Counter(
            "headway_outbox_retries", "Outbox deliveries postponed, by reason", ["reason"], registry=self.registry
        )
        self.outbox_messages = Gauge(
            "headway_outbox_messages", "Outbox messages by status (pending includes those being sent), at scrape",
            ["status"], registry=self.registry,
        )
        self.outbox_oldest_pending = Gauge(
            "headway_outbox_oldest_pending_seconds", "Age of the oldest message waiting to be sent (0: none)",
            registry=self.registry,
        )
        self.leader = Gauge(
            "headway_leader", "1 if this replica runs scheduled work", registry=self.registry,
        )

        self.shed = Counter(
            "headway_background_shed", "Requests answered at once because the work behind acks was full, by how "
            "(command: answered busy; inline: worked before the ack)", ["how"], registry=self.registry,
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
