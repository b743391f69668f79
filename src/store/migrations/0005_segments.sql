-- Segments: saved groups of members, dynamic (a filter over the member row, docs/segments.md) or static (a
-- list uploaded once), and the indexes a segment count needs.

CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    kind TEXT NOT NULL,              -- dynamic | static
    filter TEXT,                     -- JSON, dynamic segments only
    member_count INTEGER NOT NULL DEFAULT 0, -- static segments: members in the list
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- The members of a static segment.
CREATE TABLE segment_members (
    segment_id INTEGER NOT NULL REFERENCES segments(id),
    member_id INTEGER NOT NULL REFERENCES members(id),
    PRIMARY KEY (segment_id, member_id)
) WITHOUT ROWID;

-- "Birthday within N days": the birthday's month and day (in its own calendar) as month * 100 + day. A virtual
-- generated column, so SQLite keeps it on every write of birthday and no write path has to; with the index
-- below, a window of days in each calendar is two range scans.
ALTER TABLE members ADD COLUMN birthday_md INTEGER
    GENERATED ALWAYS AS (CAST(substr(birthday, 6, 2) AS INTEGER) * 100 + CAST(substr(birthday, 9, 2) AS INTEGER))
    VIRTUAL;
CREATE INDEX members_birthday ON members(birthday_calendar, birthday_md);

-- The usual conditions of a segment: recency and spend, alone or after a class. The class index ends with
-- erased_at, which every segment query tests, so a count of class, recency and spend reads the index alone, never
-- the member rows. (Partial indexes "WHERE erased_at IS NULL" were tried: without statistics SQLite then scanned
-- the table through one of them for any filter it could not search, a random read per member, 30x slower.)
CREATE INDEX members_last_purchase ON members(last_purchase_at);
CREATE INDEX members_class_recency ON members(class, last_purchase_at, total_spent_minor, erased_at);
CREATE INDEX members_spend ON members(total_spent_minor);

-- Reports: transactions by time (per period and store), postings by club account and time.
CREATE INDEX transactions_occurred ON transactions(occurred_at);
CREATE INDEX postings_from_at ON postings(from_account, at);
CREATE INDEX postings_to_at ON postings(to_account, at);
