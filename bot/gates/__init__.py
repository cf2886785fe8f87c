"""Go/no-go gates at lifecycle stage boundaries: requests, named approvers, votes, closing exactly once,
reminders, and kill/continue prompts. Domain code only: services take a session and never commit.

`rules` is the pure decision rule; `service` requests gates; `voting` votes and closes them; `manage` holds
the PM's actions (cancel, remind, extend, close as is, conditions met); `outcome` moves the project;
`notify` queues every message in the outbox; `reminders`, `prompts` and `tick` are the scheduled work.
"""
