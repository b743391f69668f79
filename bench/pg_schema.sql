-- bench/pg_schema.sql: the PostgreSQL side of the purchase comparison (bench/run.sh). The tables a purchase
-- touches in bashgah (src/store/migrations/0002_points.sql), with the same keys and indexes, in PostgreSQL types.
-- As in bashgah since migration 0015: transactions, lots, postings and class_changes without REFERENCES (the
-- writer keeps them by construction, `bashgah verify` checks them), postings without postings_from/postings_to.
-- psql -v members=N: how many members to create (ids 1..N, like the imported ones).

CREATE TABLE members (
    id BIGINT PRIMARY KEY,
    external_ref TEXT UNIQUE,
    given_name TEXT,
    family_name TEXT,
    phone TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    tier_id BIGINT,
    erased_at BIGINT
);
-- What a purchase changes about its member, in a narrow table of its own (migration 0025: member_stats), with no
-- index but its key, as in bashgah.
CREATE TABLE member_stats (
    member_id BIGINT PRIMARY KEY,
    erased_at BIGINT,
    points_available BIGINT NOT NULL DEFAULT 0,
    points_pending BIGINT NOT NULL DEFAULT 0,
    points_lifetime BIGINT NOT NULL DEFAULT 0,
    purchase_count BIGINT NOT NULL DEFAULT 0,
    total_spent_minor BIGINT NOT NULL DEFAULT 0,
    last_purchase_at BIGINT,
    first_purchase_at BIGINT,
    -- the class columns (migration 0004), which each purchase updates with the aggregates
    class TEXT NOT NULL DEFAULT 'prospect',
    class_since BIGINT,
    rfm_r INTEGER,
    rfm_f INTEGER,
    rfm_m INTEGER,
    rfm_at BIGINT,
    value_minor BIGINT
);

CREATE TABLE club_accounts (
    account TEXT PRIMARY KEY,
    balance BIGINT NOT NULL DEFAULT 0
);
INSERT INTO club_accounts (account) VALUES ('club:issued'), ('club:redeemed'), ('club:expired'), ('club:adjustment');

CREATE TABLE transactions (
    id BIGSERIAL PRIMARY KEY,
    store TEXT NOT NULL,
    txn_id TEXT NOT NULL,
    type TEXT NOT NULL,
    member_id BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    items TEXT,
    occurred_at BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    original_id BIGINT,
    points BIGINT NOT NULL,
    points_reversed BIGINT NOT NULL DEFAULT 0,
    amount_returned_minor BIGINT NOT NULL DEFAULT 0,
    explanation TEXT NOT NULL,
    request_hash BYTEA NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    UNIQUE (store, txn_id)
);
CREATE INDEX transactions_member ON transactions(member_id, occurred_at);
CREATE INDEX transactions_occurred ON transactions(occurred_at);

CREATE TABLE lots (
    id BIGSERIAL PRIMARY KEY,
    member_id BIGINT NOT NULL,
    points BIGINT NOT NULL CHECK (points > 0),
    remaining BIGINT NOT NULL CHECK (remaining >= 0),
    earned_at BIGINT NOT NULL,
    available_at BIGINT NOT NULL,
    matured INTEGER NOT NULL DEFAULT 0,
    expires_at BIGINT,
    transaction_id BIGINT,
    warned_at BIGINT
);
CREATE INDEX lots_member_open ON lots(member_id, expires_at) WHERE remaining > 0;
CREATE INDEX lots_expiring ON lots(expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL;
CREATE INDEX lots_maturing ON lots(available_at) WHERE matured = 0;

CREATE TABLE postings (
    id BIGSERIAL PRIMARY KEY,
    entry_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    from_account TEXT NOT NULL,
    to_account TEXT NOT NULL,
    points BIGINT NOT NULL CHECK (points > 0),
    kind TEXT NOT NULL,
    member_id BIGINT NOT NULL,
    lot_id BIGINT,
    transaction_id BIGINT,
    redemption_id BIGINT,
    actor TEXT,
    explanation TEXT
);
CREATE INDEX postings_transaction ON postings(transaction_id);
CREATE INDEX postings_from_at ON postings(from_account, at);
CREATE INDEX postings_to_at ON postings(to_account, at);

-- What each rule gave each member for events other than purchases (for caps); a purchase's grants are in its
-- explanation only, so the purchase below writes no row here.
CREATE TABLE rule_grants (
    member_id BIGINT NOT NULL,
    rule_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    points BIGINT NOT NULL
);
CREATE INDEX rule_grants_member ON rule_grants(member_id, rule_id, at);

-- Every move of a member from one class to another (migration 0004): a first purchase moves a prospect to "new".
CREATE TABLE class_changes (
    id BIGSERIAL PRIMARY KEY,
    member_id BIGINT NOT NULL,
    from_class TEXT,
    to_class TEXT NOT NULL,
    at BIGINT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX class_changes_at ON class_changes(at);
CREATE INDEX class_changes_member ON class_changes(member_id, id);

CREATE SEQUENCE txn_seq;

INSERT INTO members (id, external_ref, given_name, family_name, phone, created_at, updated_at)
SELECT i, 'C-' || lpad(i::text, 7, '0'), 'Sara', 'Ahmadi', '+98912' || lpad(i::text, 7, '0'),
       1764000000000, 1764000000000
FROM generate_series(1, :members) AS i;
INSERT INTO member_stats (member_id) SELECT id FROM members;

VACUUM ANALYZE;
CHECKPOINT;
