-- A campaign's guard-rail estimate (docs/campaigns.md), kept with it when it is saved. The estimate reads the
-- audience's purchases of the last 90 days, which for a large audience or a busy club takes long enough that a
-- page showing the campaign should not redo it on every view. NULL: not estimated yet (campaigns saved before this
-- migration, or whose audience could not be read); the next save fills it.
ALTER TABLE campaigns ADD COLUMN guard_discount_permille INTEGER;
ALTER TABLE campaigns ADD COLUMN guard_giveback_permille INTEGER;
ALTER TABLE campaigns ADD COLUMN guard_give_max_minor INTEGER;
ALTER TABLE campaigns ADD COLUMN guard_revenue_minor INTEGER;
ALTER TABLE campaigns ADD COLUMN guard_at INTEGER;
