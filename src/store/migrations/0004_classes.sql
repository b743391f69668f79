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

-- The class thresholds, programme settings "classes" (defaults and meaning: src/core/classes.h, docs/classes.md).
ALTER TABLE programme ADD COLUMN class_new_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE programme ADD COLUMN class_lapsed_days INTEGER NOT NULL DEFAULT 365;
ALTER TABLE programme ADD COLUMN class_at_risk_margin_pct INTEGER NOT NULL DEFAULT 150;
ALTER TABLE programme ADD COLUMN class_at_risk_min_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE programme ADD COLUMN class_at_risk_single_days INTEGER NOT NULL DEFAULT 90;
ALTER TABLE programme ADD COLUMN class_main_rfm_min INTEGER NOT NULL DEFAULT 12;
ALTER TABLE programme ADD COLUMN class_main_m_min INTEGER NOT NULL DEFAULT 4;
ALTER TABLE programme ADD COLUMN value_horizon_days INTEGER NOT NULL DEFAULT 1095;
ALTER TABLE programme ADD COLUMN value_min_tenure_days INTEGER NOT NULL DEFAULT 365;

-- The cut values of the last RFM recompute (src/core/rfm.h): the smallest last-purchase time, purchase count and
-- spend that reach scores 2..5, so a purchase between recomputes scores its buyer against the same population.
CREATE TABLE rfm_cuts (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    r2 INTEGER NOT NULL, r3 INTEGER NOT NULL, r4 INTEGER NOT NULL, r5 INTEGER NOT NULL,
    f2 INTEGER NOT NULL, f3 INTEGER NOT NULL, f4 INTEGER NOT NULL, f5 INTEGER NOT NULL,
    m2 INTEGER NOT NULL, m3 INTEGER NOT NULL, m4 INTEGER NOT NULL, m5 INTEGER NOT NULL,
    customers INTEGER NOT NULL,
    computed_at INTEGER NOT NULL
);
