-- members rebuilt with its unique keys (external_ref, phone, email) as separate CREATE UNIQUE INDEX statements
-- instead of UNIQUE clauses of the table. Why: a UNIQUE clause makes an index (sqlite_autoindex_members_N) that
-- cannot be dropped, and a bulk import into an empty members table spent about 30,000 of a row's 50,000 writer
-- instructions keeping those three up to date (phone and email at random places). As plain indexes,
-- store_import_begin can set them aside like the others (pending_indexes, 0013) while no row of the file can
-- collide with another (app/import.c says how it knows), and build each once at the end. The constraint is the
-- same: SQLite reports "UNIQUE constraint failed: members.phone" for either form.
-- Every column keeps its place, type, default and generated expression; every id stays, so each table that
-- references members(id) still names the same rows (migrate in sqlite.c runs with foreign keys off, so DROP TABLE
-- does not delete the rows first; `PRAGMA foreign_key_check` after it finds nothing).
-- The other indexes of members are recorded in pending_indexes before the DROP takes them away, and store_open
-- builds them right after the migrations (in this same start), whatever set of them this database has.

INSERT OR REPLACE INTO pending_indexes (name, sql)
SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'members' AND sql IS NOT NULL;

CREATE TABLE members_new (
    id INTEGER PRIMARY KEY,
    external_ref TEXT,
    given_name TEXT,
    family_name TEXT,
    phone TEXT,
    email TEXT,
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
    erased_at INTEGER,
    points_available INTEGER NOT NULL DEFAULT 0,
    points_pending INTEGER NOT NULL DEFAULT 0,
    points_lifetime INTEGER NOT NULL DEFAULT 0,
    purchase_count INTEGER NOT NULL DEFAULT 0,
    total_spent_minor INTEGER NOT NULL DEFAULT 0,
    last_purchase_at INTEGER,
    tier_id INTEGER,
    tier_since INTEGER,
    tier_review_at INTEGER,
    class TEXT NOT NULL DEFAULT 'prospect',
    class_since INTEGER,
    first_purchase_at INTEGER,
    rfm_r INTEGER,
    rfm_f INTEGER,
    rfm_m INTEGER,
    rfm_at INTEGER,
    value_minor INTEGER,
    birthday_md INTEGER
        GENERATED ALWAYS AS (CAST(substr(birthday, 6, 2) AS INTEGER) * 100 + CAST(substr(birthday, 9, 2) AS INTEGER))
        VIRTUAL,
    joined_md INTEGER
        GENERATED ALWAYS AS (CAST(strftime('%m', created_at / 1000, 'unixepoch') AS INTEGER) * 100 +
                             CAST(strftime('%d', created_at / 1000, 'unixepoch') AS INTEGER)) VIRTUAL
);
INSERT INTO members_new (id, external_ref, given_name, family_name, phone, email, birthday, birthday_calendar,
                         time_zone, locale, kind, consent_email, consent_email_at, consent_sms, consent_sms_at,
                         attributes, created_at, updated_at, erased_at, points_available, points_pending,
                         points_lifetime, purchase_count, total_spent_minor, last_purchase_at, tier_id, tier_since,
                         tier_review_at, class, class_since, first_purchase_at, rfm_r, rfm_f, rfm_m, rfm_at,
                         value_minor)
SELECT id, external_ref, given_name, family_name, phone, email, birthday, birthday_calendar, time_zone, locale, kind,
       consent_email, consent_email_at, consent_sms, consent_sms_at, attributes, created_at, updated_at, erased_at,
       points_available, points_pending, points_lifetime, purchase_count, total_spent_minor, last_purchase_at,
       tier_id, tier_since, tier_review_at, class, class_since, first_purchase_at, rfm_r, rfm_f, rfm_m, rfm_at,
       value_minor
FROM members ORDER BY id;
DROP TABLE members;
ALTER TABLE members_new RENAME TO members;

CREATE UNIQUE INDEX members_external_ref ON members(external_ref);
CREATE UNIQUE INDEX members_phone ON members(phone);
CREATE UNIQUE INDEX members_email ON members(email);
