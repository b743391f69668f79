-- The member portal: one-time sign-in codes, member sessions, and the message outbox that carries the codes.

-- A code a member asked for to sign in. Only a keyed BLAKE2b hash of the code is kept (salt: 16 random bytes);
-- the code dies at expires_at, after ATTEMPTS_MAX wrong tries, or once used.
CREATE TABLE portal_codes (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id),
    salt BLOB NOT NULL,
    code_hash BLOB NOT NULL,
    channel TEXT NOT NULL,            -- sms | email
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    used_at INTEGER
);
CREATE INDEX portal_codes_member ON portal_codes(member_id, id);

-- A signed-in member: as staff sessions, the cookie token is never stored, only its BLAKE2b hash.
CREATE TABLE portal_sessions (
    token_hash BLOB PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX portal_sessions_member ON portal_sessions(member_id);

-- Whatever the club sends a member (a sign-in code now; campaigns and notices later), written in the same commit
-- as its cause. The messaging issue delivers rows with status 'pending' and records each attempt; a row whose
-- content is no longer wanted (a code used or replaced) becomes 'void' and loses its secret.
CREATE TABLE message_outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,               -- portal_code
    member_id INTEGER REFERENCES members(id),
    channel TEXT NOT NULL,            -- sms | email
    destination TEXT NOT NULL,        -- E.164 phone or email address
    locale TEXT NOT NULL,             -- fa | en
    data TEXT NOT NULL,               -- JSON: what the message says
    ref_id INTEGER,                   -- the portal_codes row, for kind portal_code
    status TEXT NOT NULL DEFAULT 'pending', -- pending | sent | failed | void
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    not_after INTEGER                 -- not worth sending after this time (ms), or NULL
);
CREATE INDEX message_outbox_pending ON message_outbox(status, id);
CREATE INDEX message_outbox_member ON message_outbox(member_id, kind, id);
