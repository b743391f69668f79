-- Two member indexes dropped: members_last_purchase (last_purchase_at) and members_spend (total_spent_minor).
-- Every purchase moves its member's entry in each of them, at a random place of the index: two of the about eleven
-- pages a purchase writes to the WAL. Measured on 200,000 members (bench/post_purchase.lua, 64 connections, 15 s
-- runs on one machine): 5,845 and 6,115 purchases/s with them, 7,454 and 7,880 without.
-- What they served: a segment's condition on recency or spend alone (a condition with a class is searched through
-- members_class_recency). Such a count now reads members_class_recency whole, which covers both columns and
-- erased_at: SQLite chooses it by itself (EXPLAIN QUERY PLAN: SCAN members USING COVERING INDEX
-- members_class_recency), about 40 ms for a million members, never the member rows. No query orders by either
-- column.
DROP INDEX IF EXISTS members_last_purchase;
DROP INDEX IF EXISTS members_spend;
-- an import that stopped half-way may have set them aside to build at the end (0013): they are not to come back
DELETE FROM pending_indexes WHERE name IN ('members_last_purchase', 'members_spend');
