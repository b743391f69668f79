-- Knowing the customers: each person's class, RFM scores and value estimate, kept on the member row so that
-- segments and reports read one row per member; and the history of class moves.
-- Classes: prospect (no purchase yet), new, main, occasional, at_risk, lapsed (docs/classes.md).
ALTER TABLE members ADD COLUMN class TEXT NOT NULL DEFAULT 'prospect';
ALTER TABLE members ADD COLUMN class_since INTEGER;            -- ms since the epoch
ALTER TABLE members ADD COLUMN first_purchase_at INTEGER;      -- with last_purchase_at: the usual interval
ALTER TABLE members ADD COLUMN rfm_r INTEGER;                  -- 1..5, NULL without purchases
ALTER TABLE members ADD COLUMN rfm_f INTEGER;
ALTER TABLE members ADD COLUMN rfm_m INTEGER;
ALTER TABLE members ADD COLUMN rfm_at INTEGER;                 -- when the scores were computed
ALTER TABLE members ADD COLUMN value_minor INTEGER;            -- lifetime value estimate, money minor units
CREATE INDEX members_class ON members(class);

UPDATE members SET first_purchase_at = (
    SELECT min(occurred_at) FROM transactions t WHERE t.member_id = members.id AND t.type = 'purchase')
WHERE purchase_count > 0;

-- Every move from one class to another: who moved where, when, and why (purchase | time | recompute).
CREATE TABLE class_changes (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id),
    from_class TEXT,
    to_class TEXT NOT NULL,
    at INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX class_changes_at ON class_changes(at);
CREATE INDEX class_changes_member ON class_changes(member_id, id);
