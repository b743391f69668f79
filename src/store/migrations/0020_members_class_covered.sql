-- The index members_class (class) dropped: members_class_recency (class, last_purchase_at, total_spent_minor,
-- erased_at) begins with the same column, so every search by class is served by it as well. A class change (each
-- member's first purchase among others) moved the member's entry in both, at two random places: measured on a
-- million freshly imported members under the purchase load (bench/post_purchase.lua), 1.19 of the 5.75 WAL
-- frames a purchase writes were members_class pages.
-- What it served alone: members of one class in id order (a broadcast's or a campaign's audience, page by page),
-- which now walk the members by id and keep those of the class (every member read once over all the pages, as
-- the class index would need a sort per page), and a survey's group, sorted once.
DROP INDEX IF EXISTS members_class;
-- an import that stopped half-way may have set it aside to build at the end (0013): it is not to come back
DELETE FROM pending_indexes WHERE name = 'members_class';
