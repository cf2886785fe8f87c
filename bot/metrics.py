"""Prometheus metrics, one registry per running Headway (so tests can build many side by side)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
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
        self.jobs = Counter(
            "headway_scheduled_jobs", "Scheduled job runs by job and outcome", ["job", "outcome"],
            registry=self.registry,
        )

        self.outbox_sent = Counter("headway_outbox_sent", "Outbox messages delivered", ["kind"], registry=self.registry)
        self.outbox_dead = Counter(
            "headway_outbox_dead_letters", "Outbox messages given up on", ["kind"], registry=self.registry
        )
        self.outbox_retries = Counter(
            "headway_outbox_retries", "Outbox deliveries postponed, by reason", ["reason"], registry=self.registry
        )

        self.shed = Counter(
            "headway_background_shed", "Requests answered at once because the work behind acks was full, by how "
            "(command: answered busy; inline: worked before the ack)", ["how"], registry=self.registry,
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
