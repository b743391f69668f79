-- The foundation: members, staff users, sessions, API keys, the audit log and idempotency records.
-- Times are integer milliseconds since the Unix epoch, UTC.

CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    external_ref TEXT UNIQUE,
    given_name TEXT,
    family_name TEXT,
    phone TEXT UNIQUE,
    email TEXT UNIQUE,
    birthday TEXT,               -- YYYY-MM-DD in birthday_calendar
    birthday_calendar TEXT,      -- gregorian | persian
    time_zone TEXT NOT NULL,
    locale TEXT NOT NULL,
    kind TEXT NOT NULL,
    consent_email INTEGER NOT NULL DEFAULT 0,
    consent_email_at INTEGER,
    consent_sms INTEGER NOT NULL DEFAULT 0,
    consent_sms_at INTEGER,
    attributes TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    erased_at INTEGER
);
CREATE INDEX members_kind ON members(kind);
CREATE INDEX members_created ON members(created_at);

-- Name search: a contentless FTS5 index over "given family", kept by triggers.
CREATE VIRTUAL TABLE members_fts USING fts5(name, content='', prefix='1 2 3', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER members_fts_insert AFTER INSERT ON members BEGIN
    INSERT INTO members_fts(rowid, name) VALUES (new.id, coalesce(new.given_name, '') || ' ' || coalesce(new.family_name, ''));
END;
CREATE TRIGGER members_fts_update AFTER UPDATE OF given_name, family_name ON members BEGIN
    INSERT INTO members_fts(members_fts, rowid, name)
        VALUES ('delete', old.id, coalesce(old.given_name, '') || ' ' || coalesce(old.family_name, ''));
    INSERT INTO members_fts(rowid, name) VALUES (new.id, coalesce(new.given_name, '') || ' ' || coalesce(new.family_name, ''));
END;

-- Proof of consent: every change of a member's consent, by whom.
CREATE TABLE consent_events (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id),
    channel TEXT NOT NULL,
    granted INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL
);
CREATE INDEX consent_events_member ON consent_events(member_id, id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,  -- argon2id, libsodium's string form
    role TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE login_failures (
    user_id INTEGER NOT NULL REFERENCES users(id),
    at INTEGER NOT NULL
);
CREATE INDEX login_failures_user ON login_failures(user_id, at);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,  -- BLAKE2b of the cookie token; the token itself is never stored
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    secret_hash BLOB NOT NULL,    -- BLAKE2b of the secret part of the key
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_kind TEXT NOT NULL,     -- user | apikey | cli | system
    actor_id INTEGER,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,         -- e.g. member.create
    target_type TEXT NOT NULL,
    target_id INTEGER,
    before TEXT,                  -- JSON or NULL
    after TEXT                    -- JSON or NULL
);
CREATE INDEX audit_log_target ON audit_log(target_type, target_id);

CREATE TABLE idempotency (
    principal TEXT NOT NULL,      -- who sent it: user:ID or apikey:ID
    key TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    status INTEGER NOT NULL,
    location TEXT,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (principal, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_created ON idempotency(created_at);
