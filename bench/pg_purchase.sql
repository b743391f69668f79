-- bench/pg_purchase.sql: pgbench script, one durable purchase as one transaction, the SQL work bashgah does for
-- POST /api/v1/transactions (bench/run.sh): for a random member, insert the transaction (unique txn_id, with its
-- explanation and stored answer), its lot and its posting (the rule's grant is in the explanation), update the
-- member's aggregates (member_stats) with their class, first purchase, scores and value (and record the class move,
-- as a first purchase makes one) and the club's issued account. The posting's entry_id is its own id, as for the
-- first posting of an entry in bashgah. The class rules are bashgah's C code; here a buyer's class becomes "new" and
-- the value is the money spent, which costs PostgreSQL the same row and index writes.
-- Variables: -D members=N.
\set mid random(1, :members)
\set amount random(1, 500) * 10000
\set pts :amount / 10000
BEGIN;
INSERT INTO transactions (store, txn_id, type, member_id, amount_minor, occurred_at, recorded_at, points, explanation,
                          request_hash, status, response)
VALUES ('pgbench', 'T' || nextval('txn_seq'), 'purchase', :mid, :amount,
        (extract(epoch FROM clock_timestamp()) * 1000)::bigint, (extract(epoch FROM clock_timestamp()) * 1000)::bigint,
        :pts, '[{"rule_id":1,"rule":"bench: 1 point per 10,000","points":' || :pts || '}]',
        '\x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'::bytea, 201,
        '{"id":0,"type":"purchase","member_id":' || :mid || ',"store":"pgbench","amount":' || :amount ||
        ',"points_earned":' || :pts || ',"explanation":[{"rule_id":1,"rule":"bench: 1 point per 10,000","points":' ||
        :pts || '}],"balance":{"available":0,"pending":0,"lifetime":0},"tier":null}')
RETURNING id AS txn \gset
INSERT INTO lots (member_id, points, remaining, earned_at, available_at, matured, expires_at, transaction_id)
VALUES (:mid, :pts, :pts, (extract(epoch FROM clock_timestamp()) * 1000)::bigint,
        (extract(epoch FROM clock_timestamp()) * 1000)::bigint, 1, NULL, :txn)
RETURNING id AS lot \gset
WITH p AS (SELECT nextval('postings_id_seq') AS id)
INSERT INTO postings (id, entry_id, at, from_account, to_account, points, kind, member_id, lot_id, transaction_id,
                      actor, explanation)
SELECT p.id, p.id, (extract(epoch FROM clock_timestamp()) * 1000)::bigint, 'club:issued', 'member:' || :mid, :pts,
       'earn', :mid, :lot, :txn, 'apikey:1', '[{"rule_id":1,"rule":"bench: 1 point per 10,000","points":' || :pts || '}]'
FROM p;
INSERT INTO class_changes (member_id, from_class, to_class, at, reason)
SELECT member_id, class, 'new', (extract(epoch FROM clock_timestamp()) * 1000)::bigint, 'purchase'
FROM member_stats WHERE member_id = :mid AND class <> 'new';
UPDATE member_stats SET points_available = points_available + :pts, points_lifetime = points_lifetime + :pts,
                   purchase_count = purchase_count + 1, total_spent_minor = total_spent_minor + :amount,
                   last_purchase_at = (extract(epoch FROM clock_timestamp()) * 1000)::bigint,
                   first_purchase_at = coalesce(first_purchase_at, (extract(epoch FROM clock_timestamp()) * 1000)::bigint),
                   value_minor = total_spent_minor + :amount,
                   class_since = CASE WHEN class = 'new' THEN class_since
                                      ELSE (extract(epoch FROM clock_timestamp()) * 1000)::bigint END,
                   class = 'new'
WHERE member_id = :mid;
UPDATE club_accounts SET balance = balance - :pts WHERE account = 'club:issued';
END;
