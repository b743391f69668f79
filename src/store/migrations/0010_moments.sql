-- Moments: a yearly gift and message on a member's birthday, the anniversary of joining, or a date held in a custom
-- attribute, at a local hour in the member's own time zone (docs/moments.md). Exactly once per (moment, member,
-- year): the moment_grants row is written in the commit that gives the gift.

CREATE TABLE moments (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('birthday', 'anniversary', 'custom')),
    attribute TEXT,                   -- custom: the attribute key holding the date (YYYY-MM-DD in calendar)
    calendar TEXT NOT NULL DEFAULT 'gregorian' CHECK (calendar IN ('gregorian', 'persian')),
                                      -- custom: the calendar of the attribute's date (a birthday keeps its own;
                                      -- an anniversary counts in the Gregorian calendar)
    gift_points INTEGER NOT NULL DEFAULT 0 CHECK (gift_points >= 0),
    gift_reward_id INTEGER REFERENCES rewards(id), -- or NULL
    message TEXT,                     -- JSON {"channel", "subject": {en, fa}, "body": {en, fa}}, or NULL
    send_hour INTEGER NOT NULL CHECK (send_hour BETWEEN 0 AND 23), -- local hour in the member's time zone
    holdout_permille INTEGER NOT NULL DEFAULT 0 CHECK (holdout_permille BETWEEN 0 AND 1000),
    leap_policy TEXT NOT NULL DEFAULT 'before' CHECK (leap_policy IN ('before', 'after')),
    active INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX moments_active ON moments(active, id);

-- The exactly-once record: one row per moment, member and year (the year of the date's own calendar in which this
-- occurrence falls), written in the same commit as the gift's posting, its costs and its message.
-- outcome: granted (gift given) | holdout (kept out on purpose, nothing given) | skipped (reason: erased,
-- no_consent for a message-only moment, stock for a reward none of which is left).
CREATE TABLE moment_grants (
    moment_id INTEGER NOT NULL REFERENCES moments(id),
    member_id INTEGER NOT NULL REFERENCES members(id),
    year INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('granted', 'holdout', 'skipped')),
    reason TEXT,
    points INTEGER NOT NULL DEFAULT 0,
    redemption_id INTEGER REFERENCES redemptions(id),
    message_id INTEGER,               -- the message_outbox row, or NULL (none, or no consent: message = reason)
    message TEXT,                     -- queued | no_consent | none
    cost_minor INTEGER NOT NULL DEFAULT 0,
    at INTEGER NOT NULL,
    PRIMARY KEY (moment_id, member_id, year)
) WITHOUT ROWID;
CREATE INDEX moment_grants_recent ON moment_grants(moment_id, at);

-- Today's members through an index: the birthday's month-day with the time zone, so the job decides from the index
-- alone whose local day and hour it is (it replaces 0005's members_birthday, of which it is an extension).
DROP INDEX members_birthday;
CREATE INDEX members_birthday ON members(birthday_calendar, birthday_md, time_zone);

-- The day of joining as a Gregorian month-day of UTC (month * 100 + day); the job widens its search by a day on each
-- side and checks the local day of created_at in the member's zone.
ALTER TABLE members ADD COLUMN joined_md INTEGER
    GENERATED ALWAYS AS (CAST(strftime('%m', created_at / 1000, 'unixepoch') AS INTEGER) * 100 +
                         CAST(strftime('%d', created_at / 1000, 'unixepoch') AS INTEGER)) VIRTUAL;
CREATE INDEX members_joined ON members(joined_md, time_zone, created_at);
-- A custom moment adds an expression index on its attribute's month-day when it is created
-- (members_attr_md_KEY, src/store/moments.c).
