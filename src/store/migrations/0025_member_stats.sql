-- What a purchase changes about its member moves out of the member row into member_stats, a narrow table of its
-- own (one row per member, same id): the points, the purchase aggregates, the class and the RFM scores and value.
-- A purchase used to rewrite the whole member row (names, contact, attributes: about 350 bytes) and move the
-- member's entry in members_class_recency, two random pages of large b-trees; it now rewrites one row of about 40
-- bytes, in a table about a tenth of the size, whose pages a checkpoint finds changed by several purchases at once.
-- Measured on a million members under the purchase load (bench/post_purchase.lua, 64 connections), this database
-- before and after the migration, alternating 8 s runs: 10,060, 8,075 and 7,873 purchases/s against 7,373, 6,615
-- and 6,456; p99 23.5 to 30 ms against 33 to 36; WAL frames a purchase 3.98 against 5.49 (bench/wal_pages.py).
-- members_class_recency goes: a segment count over class, recency and spend reads member_stats whole (about 30 MB
-- for a million members, 120 ms), instead of a range of that index. erased_at is copied here so that such a count
-- never reads a member row. The profile, consent, tier and erasure stay in members (docs/performance.md).
CREATE TABLE member_stats (
    member_id INTEGER PRIMARY KEY,           -- members.id; no REFERENCES (as 0015): `bashgah verify` checks it
    erased_at INTEGER,                        -- a copy of members.erased_at, kept by members.c
    points_available INTEGER NOT NULL DEFAULT 0,
    points_pending INTEGER NOT NULL DEFAULT 0,
    points_lifetime INTEGER NOT NULL DEFAULT 0,
    purchase_count INTEGER NOT NULL DEFAULT 0,
    total_spent_minor INTEGER NOT NULL DEFAULT 0,
    last_purchase_at INTEGER,
    first_purchase_at INTEGER,
    class TEXT NOT NULL DEFAULT 'prospect',
    class_since INTEGER,
    rfm_r INTEGER,
    rfm_f INTEGER,
    rfm_m INTEGER,
    rfm_at INTEGER,
    value_minor INTEGER);

INSERT INTO member_stats (member_id, erased_at, points_available, points_pending, points_lifetime, purchase_count,
                          total_spent_minor, last_purchase_at, first_purchase_at, class, class_since, rfm_r, rfm_f,
                          rfm_m, rfm_at, value_minor)
SELECT id, erased_at, points_available, points_pending, points_lifetime, purchase_count, total_spent_minor,
       last_purchase_at, first_purchase_at, class, class_since, rfm_r, rfm_f, rfm_m, rfm_at, value_minor
FROM members ORDER BY id;

DROP INDEX IF EXISTS members_class_recency;
-- an import that stopped half-way may have set it aside to build at the end (0013): it is not to come back
DELETE FROM pending_indexes WHERE name = 'members_class_recency';

ALTER TABLE members DROP COLUMN points_available;
ALTER TABLE members DROP COLUMN points_pending;
ALTER TABLE members DROP COLUMN points_lifetime;
ALTER TABLE members DROP COLUMN purchase_count;
ALTER TABLE members DROP COLUMN total_spent_minor;
ALTER TABLE members DROP COLUMN last_purchase_at;
ALTER TABLE members DROP COLUMN first_purchase_at;
ALTER TABLE members DROP COLUMN class;
ALTER TABLE members DROP COLUMN class_since;
ALTER TABLE members DROP COLUMN rfm_r;
ALTER TABLE members DROP COLUMN rfm_f;
ALTER TABLE members DROP COLUMN rfm_m;
ALTER TABLE members DROP COLUMN rfm_at;
ALTER TABLE members DROP COLUMN value_minor;

-- Every member gets its row when it is added, and its erasure is copied here, by the store (members.c), not by a
-- trigger: with one, each INSERT or UPDATE of a member became a statement that writes two tables and may fail
-- half-way, so SQLite opened a statement journal for it, and the name index (FTS5) flushed at each one (measured:
-- loading a million members took 25 s instead of 6). `bashgah verify` checks that the two agree.
