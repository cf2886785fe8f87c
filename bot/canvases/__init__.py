"""Each project's living dossier in Slack: one canvas, shared to its channel, rewritten when its content changes.

`service` decides what the canvas says and queues a create or an edit in the outbox when that changed;
`delivery` is how the outbox sends one (create the channel's canvas, or a canvas shared to the channel; edit it),
with the rules for a canvas that is gone (held with a DM; Retry makes a new one) and a workspace that did not
grant canvases:write (skipped: Headway works without canvases, `headway check` says so)."""
