-- Webhooks for the company's other departments (docs/webhooks.md): subscriptions by event type, and the link
-- from each delivery (a message_outbox row with channel 'webhook', written in the same commit as the change that
-- caused it) to its subscription and event. The outbox row carries the URL as it was when the event happened
-- (destination), the event type (subject) and the JSON body (body_text); the delivery worker signs and sends it,
-- and records each try in message_attempts as for every other channel.
CREATE TABLE webhook_subscriptions (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,                 -- http(s); checked against private addresses when saved and when sent
    events INTEGER NOT NULL,           -- bit i: event i of webhook_events[] in src/app/webhooks.c (append only)
    description TEXT NOT NULL DEFAULT '',
    secret TEXT NOT NULL,              -- whsec_ + base64 of the HMAC-SHA256 key
    active INTEGER NOT NULL DEFAULT 1, -- 0: paused; its new events are not written, pending ones are suppressed
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    message_id INTEGER PRIMARY KEY REFERENCES message_outbox(id),
    subscription_id INTEGER NOT NULL,  -- no foreign key: the log outlives a deleted subscription
    event_id TEXT NOT NULL,            -- evt_...: the webhook-id header, the same for a retry and a replay
    replay_of INTEGER                  -- the delivery replayed by hand, or NULL
);
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries(subscription_id, message_id);

-- Saved message templates (docs/messages.md): a name and the texts of a broadcast per locale, which a broadcast
-- names with "template" instead of carrying its own. (In this migration, the one number given to messages and
-- webhooks in this round.)
CREATE TABLE message_templates (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    content TEXT NOT NULL,            -- JSON: {"subject": {"en","fa"}, "body": {...}, "html": {...}}
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
