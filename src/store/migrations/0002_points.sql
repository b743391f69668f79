-- The points engine: programme settings, the double-entry ledger with lots, purchases and returns, earning
-- rules, rewards and redemptions, tiers. Points and money are integers in minor units.

CREATE TABLE programme (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    currency TEXT NOT NULL DEFAULT 'IRR',
    currency_minor_units INTEGER NOT NULL DEFAULT 0,
    points_name_en TEXT NOT NULL DEFAULT 'points',
    points_name_fa TEXT NOT NULL DEFAULT 'امتیاز',
    point_value_minor INTEGER NOT NULL DEFAULT 1000,  -- money value of one point, for the liability
    pending_days INTEGER NOT NULL DEFAULT 0,          -- points wait this long before they can be spent
    expiry_policy TEXT NOT NULL DEFAULT 'never',      -- never | days | end_of_month | end_of_year
    expiry_days INTEGER NOT NULL DEFAULT 365,
    expiry_warning_days INTEGER NOT NULL DEFAULT 14,
    return_policy TEXT NOT NULL DEFAULT 'negative',   -- negative | remaining
    transfers_allowed INTEGER NOT NULL DEFAULT 0,
    time_zone TEXT NOT NULL DEFAULT 'Asia/Tehran',    -- the club's zone: day-of-week rules, month and year ends
    calendar TEXT NOT NULL DEFAULT 'persian',         -- the club's calendar for month and year ends
    updated_at INTEGER NOT NULL DEFAULT 0
);
INSERT INTO programme (id) VALUES (1);

-- A member's aggregates, kept in the same commit as the postings that change them.
ALTER TABLE members ADD COLUMN points_available INTEGER NOT NULL DEFAULT 0; -- negative: owed after a return
ALTER TABLE members ADD COLUMN points_pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN points_lifetime INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN purchase_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN total_spent_minor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN last_purchase_at INTEGER;
ALTER TABLE members ADD COLUMN tier_id INTEGER;
ALTER TABLE members ADD COLUMN tier_since INTEGER;
ALTER TABLE members ADD COLUMN tier_review_at INTEGER;
CREATE INDEX members_tier_review ON members(tier_review_at) WHERE tier_review_at IS NOT NULL;

-- Every change of points is one posting that moves points from one account to another:
-- 'member:ID', 'club:issued', 'club:redeemed', 'club:expired', 'club:adjustment'.
-- An account's balance is what came in minus what went out; over all accounts that sums to zero.
CREATE TABLE postings (
    id INTEGER PRIMARY KEY,
    entry_id INTEGER NOT NULL,        -- the postings of one event share it (the first posting's id)
    at INTEGER NOT NULL,
    from_account TEXT NOT NULL,
    to_account TEXT NOT NULL,
    points INTEGER NOT NULL CHECK (points > 0),
    kind TEXT NOT NULL,               -- earn | return | redeem | redeem_cancel | expire | adjust | transfer
    member_id INTEGER NOT NULL REFERENCES members(id),
    lot_id INTEGER REFERENCES lots(id),
    transaction_id INTEGER REFERENCES transactions(id),
    redemption_id INTEGER REFERENCES redemptions(id),
    actor TEXT,
    explanation TEXT                  -- JSON: why
);
CREATE INDEX postings_from ON postings(from_account, id);
CREATE INDEX postings_to ON postings(to_account, id);
CREATE INDEX postings_transaction ON postings(transaction_id);

-- Club accounts' balances, kept with every posting (members' are in members.points_*).
CREATE TABLE club_accounts (
    account TEXT PRIMARY KEY,
    balance INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO club_accounts (account) VALUES ('club:issued'), ('club:redeemed'), ('club:expired'), ('club:adjustment');

-- Points arrive in lots; spending takes the lots that expire first.
CREATE TABLE lots (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id),
    points INTEGER NOT NULL CHECK (points > 0),
    remaining INTEGER NOT NULL CHECK (remaining >= 0),
    earned_at INTEGER NOT NULL,
    available_at INTEGER NOT NULL,    -- pending until then
    matured INTEGER NOT NULL DEFAULT 0, -- 1 once counted in points_available
    expires_at INTEGER,               -- NULL: never
    transaction_id INTEGER REFERENCES transactions(id),
    warned_at INTEGER                 -- when the expiry warning was raised
);
CREATE INDEX lots_member_open ON lots(member_id, expires_at) WHERE remaining > 0;
CREATE INDEX lots_expiring ON lots(expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL;
CREATE INDEX lots_maturing ON lots(available_at) WHERE matured = 0;

-- Purchases and returns from points of sale. (store, txn_id) is the idempotency key.
CREATE TABLE transactions (
    id INTEGER PRIMARY KEY,
    store TEXT NOT NULL,
    txn_id TEXT NOT NULL,
    type TEXT NOT NULL,               -- purchase | return
    member_id INTEGER NOT NULL REFERENCES members(id),
    amount_minor INTEGER NOT NULL,
    items TEXT,                       -- JSON array
    occurred_at INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    original_id INTEGER REFERENCES transactions(id),
    points INTEGER NOT NULL,          -- earned by a purchase; reversed by a return (as a positive number)
    points_reversed INTEGER NOT NULL DEFAULT 0,      -- purchases: reversed by returns so far
    amount_returned_minor INTEGER NOT NULL DEFAULT 0, -- purchases: returned so far
    explanation TEXT NOT NULL,        -- JSON array of {rule_id, rule, points}
    request_hash BLOB NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,           -- the first answer, for replays
    UNIQUE (store, txn_id)
);
CREATE INDEX transactions_member ON transactions(member_id, occurred_at);

-- Other events that can earn: joined, profile_completed, survey_answered, custom.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,             -- who sent it (principal), with event_id the idempotency key
    event_id TEXT NOT NULL,
    type TEXT NOT NULL,
    name TEXT,
    member_id INTEGER NOT NULL REFERENCES members(id),
    occurred_at INTEGER NOT NULL,
    points INTEGER NOT NULL,
    explanation TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    response TEXT NOT NULL,
    UNIQUE (source, event_id)
);

CREATE TABLE rules (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    event TEXT NOT NULL DEFAULT 'purchase', -- purchase | joined | profile_completed | survey_answered | custom
    priority INTEGER NOT NULL,              -- lower runs first
    combine TEXT NOT NULL DEFAULT 'stack',  -- stack | best
    definition TEXT NOT NULL,               -- JSON, see core/rules.h
    active INTEGER NOT NULL DEFAULT 1,
    starts_at INTEGER,
    ends_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- What each rule gave each member, for per-member caps per day, week or month.
CREATE TABLE rule_grants (
    member_id INTEGER NOT NULL,
    rule_id INTEGER NOT NULL,
    at INTEGER NOT NULL,
    points INTEGER NOT NULL
);
CREATE INDEX rule_grants_member ON rule_grants(member_id, rule_id, at);

CREATE TABLE tiers (
    id INTEGER PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_fa TEXT NOT NULL,
    rank INTEGER NOT NULL UNIQUE,           -- 0 is the entry tier; higher is better
    basis TEXT NOT NULL DEFAULT 'points',   -- points (earned) | spend (money)
    threshold INTEGER NOT NULL DEFAULT 0,   -- reached within the window
    window_days INTEGER NOT NULL DEFAULT 365,
    grace_days INTEGER NOT NULL DEFAULT 30, -- before a downgrade at the review date
    multiplier_permille INTEGER NOT NULL DEFAULT 1000, -- earning multiplier benefit (1000 = x1)
    benefits_en TEXT,
    benefits_fa TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE tier_changes (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id),
    from_tier INTEGER,
    to_tier INTEGER,
    at INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX tier_changes_member ON tier_changes(member_id, id);

CREATE TABLE rewards (
    id INTEGER PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_fa TEXT NOT NULL,
    description_en TEXT,
    description_fa TEXT,
    kind TEXT NOT NULL,               -- gift | experience | free_product | discount_code | donation
    cost_points INTEGER NOT NULL CHECK (cost_points > 0),
    cost_minor INTEGER NOT NULL DEFAULT 0, -- what one costs the club, for the budget
    stock INTEGER,                    -- NULL: unlimited
    per_member_limit INTEGER,         -- NULL: no limit
    valid_from INTEGER,
    valid_until INTEGER,
    tiers TEXT,                       -- JSON array of tier ids allowed; NULL: all
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE redemptions (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id),
    reward_id INTEGER NOT NULL REFERENCES rewards(id),
    points INTEGER NOT NULL,
    status TEXT NOT NULL,             -- issued | ordered | shipped | delivered | cancelled
    code TEXT NOT NULL,               -- the voucher code
    idempotency_key TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (member_id, idempotency_key)
);
CREATE INDEX redemptions_member ON redemptions(member_id, id);
CREATE INDEX redemptions_reward ON redemptions(reward_id, member_id);

-- Events for later messaging (points about to expire, tier changes): an outbox the messaging issue delivers.
CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,               -- points_expiring | tier_changed
    member_id INTEGER NOT NULL REFERENCES members(id),
    data TEXT NOT NULL,               -- JSON
    created_at INTEGER NOT NULL,
    dedupe_key TEXT UNIQUE
);
