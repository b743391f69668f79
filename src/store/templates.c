/* Saved message templates in SQLite (migration 0012): a unique name and the texts as JSON. Statements are prepared
 * per call, as contacts.c does: templates are few and rarely written. Callers: http/templates.c, http/broadcasts.c. */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

void store_template_release(store_template *t)
{
    if (!t)
        return;
    free(t->content);
    t->content = NULL;
}

static void from_row(sqlite3_stmt *st, void *out)
{
    store_template *t = out;
    memset(t, 0, sizeof(*t));
    t->id = sqlite3_column_int64(st, 0);
    store_column_text(st, 1, t->name, sizeof(t->name));
    const char *c = (const char *)sqlite3_column_text(st, 2);
    if (!(t->content = strdup(c ? c : "{}")))
        abort(); /* out of memory */
    store_column_text(st, 3, t->created_by, sizeof(t->created_by));
    t->created_at = sqlite3_column_int64(st, 4);
    t->updated_at = sqlite3_column_int64(st, 5);
}

#define COLUMNS "id, name, content, created_by, created_at, updated_at"

static int one(store_conn *c, int64_t id, store_template *out)
{
    return store_get_by_id(c, "SELECT " COLUMNS " FROM message_templates WHERE id = ?", id, from_row, out,
                           "template get");
}

int store_tx_template_get(store_tx *tx, int64_t id, store_template *out) { return one(&tx->conn, id, out); }
int store_template_get(store_reader *r, int64_t id, store_template *out) { return one(&r->conn, id, out); }

static int written(store_tx *tx, int rc, const char *what)
{
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return STORE_CONFLICT; /* the unique name */
    return store_status_of(&tx->conn, rc, what);
}

int store_tx_template_insert(store_tx *tx, store_template *t)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO message_templates (name, content, created_by, created_at, "
                                          "updated_at) VALUES (?,?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, t->content, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, t->created_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, t->created_at);
    sqlite3_bind_int64(st, 5, t->updated_at);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        t->id = sqlite3_last_insert_rowid(tx->conn.db);
    return written(tx, rc, "template insert");
}

int store_tx_template_update(store_tx *tx, const store_template *t)
{
    sqlite3_stmt *st =
        store_prepare(&tx->conn, "UPDATE message_templates SET name = ?, content = ?, updated_at = ? WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, t->content, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, t->updated_at);
    sqlite3_bind_int64(st, 4, t->id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE && sqlite3_changes(tx->conn.db) == 0)
        return STORE_NOTFOUND;
    return written(tx, rc, "template update");
}

int store_tx_template_delete(store_tx *tx, int64_t id)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "DELETE FROM message_templates WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE && sqlite3_changes(tx->conn.db) == 0)
        return STORE_NOTFOUND;
    return store_status_of(&tx->conn, rc, "template delete");
}

int store_template_list(store_reader *r, int64_t after_id, int limit,
                        void (*cb)(const store_template *t, void *arg), void *arg)
{
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT " COLUMNS " FROM message_templates WHERE id > ? ORDER BY id LIMIT ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int(st, 2, limit);
    STORE_EACH_ROW(&r->conn, st, store_template, from_row, cb, arg, store_template_release, NULL, "template list");
}
