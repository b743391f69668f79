-- The name index (members_fts) is kept by src/store/members.c in the statements that insert and update members,
-- not by triggers. Why: a trigger makes every INSERT or UPDATE of a member a multi-write statement, which opens a
-- statement savepoint, and FTS5 flushes its pending terms into a new segment at every savepoint, so each row
-- wrote (and later merged) its own tiny segment: about half of a bulk import's time. As plain statements, a
-- transaction's new names gather in FTS5's memory and are written as one segment at its end.
-- The index's content is unchanged: rowid = members.id, name = coalesce(given_name, '') || ' ' ||
-- coalesce(family_name, ''). Every statement that writes those columns is in members.c.
DROP TRIGGER members_fts_insert;
DROP TRIGGER members_fts_update;
