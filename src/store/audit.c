/* The audit log: who changed what, when, with the record before and after. Written in the same transaction
 * as the change it describes, so the log and the data never disagree. */
#include "store/internal.h"

#include <stdlib.h>

#include "core/timefmt.h"

int store_tx_audit(store_tx *tx, const store_actor *actor, int64_t at, const char *action, const char *target_type,
                   int64_t target_id, json_t *before, json_t *after)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_AUDIT_INSERT,
                                  "INSERT INTO audit_log (at, actor_kind, actor_id, actor_name, action, target_type, "
                                  "target_id, before, after) VALUES (?,?,?,?,?,?,?,?,?)");
    if (!st) {
        json_decref(before);
        json_decref(after);
        return STORE_ERROR;
    }
    char *b = before ? json_dumps(before, JSON_COMPACT) : NULL;
    char *a = after ? json_dumps(after, JSON_COMPACT) : NULL;
    sqlite3_bind_int64(st, 1, at);
    sqlite3_bind_text(st, 2, actor->kind, -1, SQLITE_STATIC);
    if (actor->id)
        sqlite3_bind_int64(st, 3, actor->id);
    sqlite3_bind_text(st, 4, actor->name ? actor->name : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, target_type, -1, SQLITE_STATIC);
    if (target_id)
        sqlite3_bind_int64(st, 7, target_id);
    if (b)
        sqlite3_bind_text(st, 8, b, -1, SQLITE_STATIC);
    if (a)
        sqlite3_bind_text(st, 9, a, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    free(b);
    free(a);
    json_decref(before);
    json_decref(after);
    return store_status_of(&tx->conn, rc, "audit insert");
}

static json_t *json_column(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    json_t *v = t ? json_loads(t, 0, NULL) : NULL;
    return v ? v : json_null();
}

int store_audit_list(store_reader *r, const char *target_type, int64_t target_id, int64_t after_id, int limit,
                     json_t *items)
{
#define AUDIT_COLUMNS "id, at, actor_kind, actor_id, actor_name, action, target_type, target_id, before, after"
    sqlite3_stmt *st;
    if (target_type) {
        st = store_stmt(&r->conn, STMT_AUDIT_LIST_TARGET,
                        "SELECT " AUDIT_COLUMNS " FROM audit_log WHERE target_type = ?3 AND target_id = ?4 AND id > ?1 "
                        "ORDER BY id LIMIT ?2");
        if (st) {
            sqlite3_bind_text(st, 3, target_type, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 4, target_id);
        }
    } else {
        st = store_stmt(&r->conn, STMT_AUDIT_LIST, "SELECT " AUDIT_COLUMNS " FROM audit_log WHERE id > ?1 ORDER BY id LIMIT ?2");
    }
#undef AUDIT_COLUMNS
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int(st, 2, limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char at[TIMEFMT_LEN];
        timefmt_rfc3339(sqlite3_column_int64(st, 1), at);
        json_t *actor = json_pack("{s:s, s:o, s:s}", "kind", sqlite3_column_text(st, 2), "id",
                                  sqlite3_column_type(st, 3) == SQLITE_NULL ? json_null()
                                                                            : json_integer(sqlite3_column_int64(st, 3)),
                                  "name", sqlite3_column_text(st, 4));
        json_t *target = json_pack("{s:s, s:o}", "type", sqlite3_column_text(st, 6), "id",
                                   sqlite3_column_type(st, 7) == SQLITE_NULL ? json_null()
                                                                             : json_integer(sqlite3_column_int64(st, 7)));
        json_array_append_new(items, json_pack("{s:I, s:s, s:o, s:s, s:o, s:o, s:o}", "id",
                                               (json_int_t)sqlite3_column_int64(st, 0), "at", at, "actor", actor,
                                               "action", sqlite3_column_text(st, 5), "target", target, "before",
                                               json_column(st, 8), "after", json_column(st, 9)));
    }
    sqlite3_reset(st);
    return store_status_of(&r->conn, rc, "audit list");
}
