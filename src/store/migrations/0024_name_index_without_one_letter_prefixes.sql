-- The name index (members_fts) made again without its index of one-letter prefixes (prefix='2 3' instead of
-- '1 2 3'). Each prefix index stores every name's words once more: the one-letter one was the costliest, as a
-- letter's list holds a good share of all members, and rewriting those lists is most of what FTS5 does when it
-- flushes and merges. Measured on 1M members: filling the index takes 1.4 s instead of 2.1 s. A search for one
-- letter still works the same, by reading the words that begin with it (6 ms instead of 4 ms for "a", first
-- page of 50, on the bench's 1M members); two and three letters still have their own index.
-- What the index holds does not change (see 0022): rowid = members.id, name = coalesce(given_name, '') || ' ' ||
-- coalesce(family_name, ''), for every member, erased ones included (their names are empty).
DROP TABLE members_fts;
CREATE VIRTUAL TABLE members_fts USING fts5(name, content='', columnsize=0, prefix='2 3',
                                            tokenize='unicode61 remove_diacritics 2');
INSERT INTO members_fts(rowid, name)
SELECT id, coalesce(given_name, '') || ' ' || coalesce(family_name, '') FROM members ORDER BY id;
