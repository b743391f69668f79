-- bench/classes_pg_query.sql: the timed PostgreSQL queries of the classes and RFM benchmark (bench/run.sh).
-- RFM quintiles with ntile(5) over the per-member aggregates, first computed from the 10M-row purchase table
-- (PostgreSQL keeps no aggregates), then, like for like with bashgah, read from a table that holds them.
-- The scores are summed so that all of them are computed without sending a million rows to the client.
-- Each query runs twice; the faster run counts (both sides are measured warm).
\set ON_ERROR_STOP 1
SET work_mem = '1GB';
SET max_parallel_workers_per_gather = 2;
\timing on
\echo query purchases
SELECT sum(r) AS sum_r, sum(f) AS sum_f, sum(m) AS sum_m FROM (
    SELECT ntile(5) OVER (ORDER BY last_purchase_at) AS r, ntile(5) OVER (ORDER BY purchase_count) AS f,
           ntile(5) OVER (ORDER BY total_spent_minor) AS m
    FROM (SELECT member_id, max(occurred_at) AS last_purchase_at, count(*) AS purchase_count,
                 sum(amount_minor) AS total_spent_minor
          FROM class_purchases GROUP BY member_id) a) s;
\echo query purchases
SELECT sum(r) AS sum_r, sum(f) AS sum_f, sum(m) AS sum_m FROM (
    SELECT ntile(5) OVER (ORDER BY last_purchase_at) AS r, ntile(5) OVER (ORDER BY purchase_count) AS f,
           ntile(5) OVER (ORDER BY total_spent_minor) AS m
    FROM (SELECT member_id, max(occurred_at) AS last_purchase_at, count(*) AS purchase_count,
                 sum(amount_minor) AS total_spent_minor
          FROM class_purchases GROUP BY member_id) a) s;
\echo query aggregates
SELECT sum(r) AS sum_r, sum(f) AS sum_f, sum(m) AS sum_m FROM (
    SELECT ntile(5) OVER (ORDER BY last_purchase_at) AS r, ntile(5) OVER (ORDER BY purchase_count) AS f,
           ntile(5) OVER (ORDER BY total_spent_minor) AS m
    FROM class_members) s;
\echo query aggregates
SELECT sum(r) AS sum_r, sum(f) AS sum_f, sum(m) AS sum_m FROM (
    SELECT ntile(5) OVER (ORDER BY last_purchase_at) AS r, ntile(5) OVER (ORDER BY purchase_count) AS f,
           ntile(5) OVER (ORDER BY total_spent_minor) AS m
    FROM class_members) s;
