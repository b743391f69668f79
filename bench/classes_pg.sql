-- bench/classes_pg.sql: the PostgreSQL side of the classes and RFM benchmark (bench/run.sh, section "classes").
-- Generates the purchases bench/classes_bench.c sums into bashgah's member aggregates, row by row from the same
-- integer formula (see that file), into an unlogged table (loading speed only; reads are the same), and the
-- same per-member aggregates as a table of their own for the second, like-for-like comparison.
-- psql -v members=N -v span=S -v t_end=MS
\set ON_ERROR_STOP 1
DROP TABLE IF EXISTS class_purchases, class_members;
CREATE UNLOGGED TABLE class_purchases (
    member_id BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    occurred_at BIGINT NOT NULL
);
INSERT INTO class_purchases (member_id, amount_minor, occurred_at)
SELECT m,
       1000 * (1 + ((32 * m + j) * 2654435761 % 4294967296) / 256 % 1000),
       :t_end - (((32 * m + j) * 2246822519 % 4294967296) / 256 % 63072000) * 1000
FROM generate_series(1::bigint, :members) AS m,
     LATERAL generate_series(0::bigint, (m * 2654435761 % 4294967296) / 256 % :span) AS j;
CREATE UNLOGGED TABLE class_members AS
SELECT member_id AS id, max(occurred_at) AS last_purchase_at, count(*) AS purchase_count,
       sum(amount_minor) AS total_spent_minor
FROM class_purchases GROUP BY member_id;
VACUUM ANALYZE class_purchases;
VACUUM ANALYZE class_members;
-- The check against bashgah's side: the same purchases, the same money.
SELECT 'check purchases=' || count(*) || ' spent=' || sum(amount_minor) FROM class_purchases;
