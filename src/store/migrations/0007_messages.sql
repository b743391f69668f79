-- Messages over several channels: the outbox of 0006 grows into the one queue of everything the club sends
-- (sign-in codes, broadcasts, survey invitations, notices), delivered by the delivery worker (src/jobs/delivery.c).
--
-- A row is written in the same commit as its cause (store_outbox_enqueue). Its status moves
--   queued -> sent | failed | suppressed,  queued -> deferred -> (queued again when due) ...
-- and 'void' (0006) when its content is no longer wanted. A row marked sent is never sent again; a crash between
-- the send and the commit that marks it sends it once more (at least once).
ALTER TABLE message_outbox ADD COLUMN contact_id INTEGER;             -- a contact who is not a member, or NULL
ALTER TABLE message_outbox ADD COLUMN subject TEXT NOT NULL DEFAULT '';
ALTER TABLE message_outbox ADD COLUMN body_text TEXT NOT NULL DEFAULT '';
ALTER TABLE message_outbox ADD COLUMN body_html TEXT NOT NULL DEFAULT '';  -- '' for none (email only)
ALTER TABLE message_outbox ADD COLUMN transactional INTEGER NOT NULL DEFAULT 0; -- a code or receipt: never capped
ALTER TABLE message_outbox ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0; -- due from this time (ms)
ALTER TABLE message_outbox ADD COLUMN reason TEXT;                  -- why failed, suppressed or deferred
ALTER TABLE message_outbox ADD COLUMN sent_at INTEGER;
ALTER TABLE message_outbox ADD COLUMN segments INTEGER;             -- SMS parts billed, once sent
ALTER TABLE message_outbox ADD COLUMN cost_minor INTEGER;           -- what the SMS cost (segments x price)
ALTER TABLE message_outbox ADD COLUMN read_at INTEGER;              -- an inbox message the member has read

UPDATE message_outbox SET status = 'queued' WHERE status = 'pending';
UPDATE message_outbox SET transactional = 1 WHERE kind = 'portal_code';

DROP INDEX message_outbox_pending;
-- The worker's question: what is due now, oldest first. Only live rows are indexed.
CREATE INDEX message_outbox_due ON message_outbox(next_attempt_at, id) WHERE status IN ('queued', 'deferred');

-- Each try to hand a message to its channel: the outcome (sent | failed), the peer's answer and how long it took.
CREATE TABLE message_attempts (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES message_outbox(id),
    at INTEGER NOT NULL,
    outcome TEXT NOT NULL,            -- sent | failed
    detail TEXT NOT NULL DEFAULT '',  -- the peer's answer or the error
    duration_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX message_attempts_message ON message_attempts(message_id, id);

-- A news broadcast to an audience: its messages are written to the outbox (kind 'broadcast', ref_id = the
-- broadcast) in the same commit as this row, so its report is a count over them by status and reason.
CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,            -- email | sms | inbox
    audience TEXT NOT NULL,           -- JSON: {"all": true} | {"class": "main"} | {"segment": ID}
    content TEXT NOT NULL,            -- JSON: subject, body (and html) per locale
    send_at INTEGER NOT NULL,         -- ms: not before
    recipients INTEGER NOT NULL,      -- messages written
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX message_outbox_ref ON message_outbox(kind, ref_id, status);
-- Frequency caps: the news a member was sent over a channel lately.
CREATE INDEX message_outbox_sent ON message_outbox(member_id, channel, sent_at) WHERE status = 'sent' AND transactional = 0;
-- The member's portal inbox, newest first.
CREATE INDEX message_outbox_inbox ON message_outbox(member_id, id) WHERE channel = 'inbox';

-- Keys the messages need, made once by this migration: 'unsubscribe' signs the one-click unsubscribe links
-- (src/channels/unsubscribe.c), so a link works without signing in and cannot be forged for another member.
CREATE TABLE message_secrets (
    name TEXT PRIMARY KEY,
    secret BLOB NOT NULL
) WITHOUT ROWID;
INSERT INTO message_secrets (name, secret) VALUES ('unsubscribe', randomblob(32));
