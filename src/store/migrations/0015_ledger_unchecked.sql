-- The ledger's hot tables (transactions, lots, postings, class_changes) without REFERENCES clauses, postings
-- without two indexes no query uses, and purchases' rule grants kept in their explanations only.
--
-- Foreign keys: every purchase inserts a transaction, a lot, a posting and (on a class move) a class change, and
-- with foreign keys on SQLite looked up each row's member, lot and transaction again before it wrote it: measured
-- with callgrind over purchases through the API, 23,000 of a purchase's 452,000 writer instructions (5%). The
-- references hold by construction: the writer inserts these rows only with ids it has read or inserted earlier in
-- the same job (savepoint): a purchase's member row (find_member), its transaction (insert_txn) and its lot
-- (credit_lot); a return's purchase, read by its key; a redemption's own row; a lot taken from, read by
-- store_tx_lots_open. None of the parents is ever deleted: members are anonymised, not deleted (erasure keeps the
-- row), and transactions, lots and redemptions are only ever inserted and updated.
-- `bashgah verify` checks every one of these references (store/verify.c, "... names a ... that exists"), so a
-- broken one is still found and named.
--
-- Indexes: postings_from (from_account, id) and postings_to (to_account, id) duplicate postings_from_at and
-- postings_to_at (account, at) for every query over postings by account: the member's ledger page, the reports'
-- net flows per club account and period, a tier's points activity, a pilot's points earned, the verify sums. With
-- or without them SQLite plans each of those on the (account, at) pair (EXPLAIN QUERY PLAN, before and after, with
-- and without ANALYZE), so they cost every posting two index writes (one at a random place: the member's) for no
-- reader. The (account, at) pair stays: reports and tiers ask for a time range of one account.
--
-- Rule grants: a purchase stored a rule_grants row for each rule that gave it points (24,000 instructions and a
-- page written at a random place of rule_grants_member, per purchase), though its explanation, stored with it,
-- already says the same: each {rule_id, points} it gave, capped as given. A cap now counts a purchase's grants
-- from the explanations of the member's purchases in the period (transactions_member finds them), and the events'
-- from rule_grants as before (store_tx_purchase_rule_granted, app/purchases.c: granted). Every purchase keeps
-- its explanation whether or not its rules had caps, so a cap added to a rule later still counts every grant of
-- its period. The rows purchases wrote before are removed below, or they would count twice: a row is a
-- purchase's when one of the member's purchases at the same time lists that rule with those points.
--
-- transactions is parent of itself (original_id): its DROP deletes its rows first and looks, for each, for a return
-- naming it; the temporary index makes that a lookup instead of a scan of the table.

CREATE TABLE postings_new (
    id INTEGER PRIMARY KEY,
    entry_id INTEGER NOT NULL,        -- the postings of one event share it (the first posting's id)
    at INTEGER NOT NULL,
    from_account TEXT NOT NULL,
    to_account TEXT NOT NULL,
    points INTEGER NOT NULL CHECK (points > 0),
    kind TEXT NOT NULL,               -- earn | return | redeem | redeem_cancel | expire | adjust | transfer
    member_id INTEGER NOT NULL,       -- members(id)
    lot_id INTEGER,                   -- lots(id)
    transaction_id INTEGER,           -- transactions(id)
    redemption_id INTEGER,            -- redemptions(id)
    actor TEXT,
    explanation TEXT                  -- JSON: why
);
INSERT INTO postings_new (id, entry_id, at, from_account, to_account, points, kind, member_id, lot_id, transaction_id,
                          redemption_id, actor, explanation)
SELECT id, entry_id, at, from_account, to_account, points, kind, member_id, lot_id, transaction_id, redemption_id,
       actor, explanation FROM postings;
DROP TABLE postings;
ALTER TABLE postings_new RENAME TO postings;
CREATE INDEX postings_transaction ON postings(transaction_id);
CREATE INDEX postings_from_at ON postings(from_account, at);
CREATE INDEX postings_to_at ON postings(to_account, at);

CREATE TABLE lots_new (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL,       -- members(id)
    points INTEGER NOT NULL CHECK (points > 0),
    remaining INTEGER NOT NULL CHECK (remaining >= 0),
    earned_at INTEGER NOT NULL,
    available_at INTEGER NOT NULL,    -- pending until then
    matured INTEGER NOT NULL DEFAULT 0, -- 1 once counted in points_available
    expires_at INTEGER,               -- NULL: never
    transaction_id INTEGER,           -- transactions(id)
    warned_at INTEGER                 -- when the expiry warning was raised
);
INSERT INTO lots_new (id, member_id, points, remaining, earned_at, available_at, matured, expires_at, transaction_id,
                      warned_at)
SELECT id, member_id, points, remaining, earned_at, available_at, matured, expires_at, transaction_id, warned_at
FROM lots;
DROP TABLE lots;
ALTER TABLE lots_new RENAME TO lots;
CREATE INDEX lots_member_open ON lots(member_id, expires_at) WHERE remaining > 0;
CREATE INDEX lots_expiring ON lots(expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL;
CREATE INDEX lots_maturing ON lots(available_at) WHERE matured = 0;

CREATE TABLE transactions_new (
    id INTEGER PRIMARY KEY,
    store TEXT NOT NULL,
    txn_id TEXT NOT NULL,
    type TEXT NOT NULL,               -- purchase | return
    member_id INTEGER NOT NULL,       -- members(id)
    amount_minor INTEGER NOT NULL,
    items TEXT,                       -- JSON array
    occurred_at INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    original_id INTEGER,              -- transactions(id): the purchase a return returns
    points INTEGER NOT NULL,          -- earned by a purchase; reversed by a return (as a positive number)
    points_reversed INTEGER NOT NULL DEFAULT 0,      -- purchases: reversed by returns so far
    amount_returned_minor INTEGER NOT NULL DEFAULT 0, -- purchases: returned so far
    explanation TEXT NOT NULL,        -- JSON array of {rule_id, rule, points}
    request_hash BLOB NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,           -- the first answer, for replays
    UNIQUE (store, txn_id)
);
INSERT INTO transactions_new (id, store, txn_id, type, member_id, amount_minor, items, occurred_at, recorded_at,
                              original_id, points, points_reversed, amount_returned_minor, explanation, request_hash,
                              status, response)
SELECT id, store, txn_id, type, member_id, amount_minor, items, occurred_at, recorded_at, original_id, points,
       points_reversed, amount_returned_minor, explanation, request_hash, status, response FROM transactions;
CREATE INDEX transactions_original_drop ON transactions(original_id);
DROP TABLE transactions;
ALTER TABLE transactions_new RENAME TO transactions;
CREATE INDEX transactions_member ON transactions(member_id, occurred_at);
CREATE INDEX transactions_occurred ON transactions(occurred_at);

CREATE TABLE class_changes_new (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL,       -- members(id)
    from_class TEXT,
    to_class TEXT NOT NULL,
    at INTEGER NOT NULL,
    reason TEXT NOT NULL
);
INSERT INTO class_changes_new (id, member_id, from_class, to_class, at, reason)
SELECT id, member_id, from_class, to_class, at, reason FROM class_changes;
DROP TABLE class_changes;
ALTER TABLE class_changes_new RENAME TO class_changes;
CREATE INDEX class_changes_at ON class_changes(at);
CREATE INDEX class_changes_member ON class_changes(member_id, id);

DELETE FROM rule_grants WHERE EXISTS (
    SELECT 1 FROM transactions t, json_each(t.explanation) g
    WHERE t.member_id = rule_grants.member_id AND t.occurred_at = rule_grants.at AND t.type = 'purchase'
      AND json_extract(g.value, '$.rule_id') = rule_grants.rule_id
      AND json_extract(g.value, '$.points') = rule_grants.points);
