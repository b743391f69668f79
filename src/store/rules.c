/* Earning rules in SQLite: the rules table (create, update, read, list, deactivate), the rules that may apply to
 * an event, and rule_grants, what each rule gave each member (for caps per day, week or month).
 * A rule is never deleted: past explanations and grants name it, so "delete" deactivates it. The definition is
 * stored as compact JSON text in the normal form rule_apply_json leaves it in. */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"

#define RULE_COLUMNS \
    "id, name, event, priority, combine, definition, active, starts_at, ends_at, created_at, updated_at"

static void rule_from_row(sqlite3_stmt *st, rule *r)
{
    rule_init(r);
    r->id = sqlite3_column_int64(st, 0);
    store_column_text(st, 1, r->name, sizeof(r->name));
    store_column_text(st, 2, r->event, sizeof(r->event));
    r->priority = sqlite3_column_int(st, 3);
    const char *combine = (const char *)sqlite3_column_text(st, 4);
    r->best_of = combine && strcmp(combine, "best") == 0;
    const char *def = (const char *)sqlite3_column_text(st, 5);
    r->definition = def ? json_loads(def, 0, NULL) : NULL; /* NULL: evaluation skips the rule */
    r->active = sqlite3_column_int(st, 6) != 0;
    r->starts_at = sqlite3_column_int64(st, 7);
    r->ends_at = sqlite3_column_int64(st, 8);
    r->created_at = sqlite3_column_int64(st, 9);
    r->updated_at = sqlite3_column_int64(st, 10);
}

static int rule_get(store_conn *c, int64_t id, rule *out)
{
    sqlite3_stmt *st = store_stmt(c, STMT_RULE_GET, "SELECT " RULE_COLUMNS " FROM rules WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        rule_from_row(st, out);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return STORE_OK;
    return rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(c, rc, "rule get");
}

int store_rule_get(store_reader *r, int64_t id, rule *out) { return rule_get(&r->conn, id, out); }
int store_tx_rule_get(store_tx *tx, int64_t id, rule *out) { return rule_get(&tx->conn, id, out); }

/* Binds every column but id, from parameter 1, in RULE_COLUMNS order; *def is the definition text to free. */
static void bind_rule(sqlite3_stmt *st, const rule *r, char **def)
{
    *def = r->definition ? json_dumps(r->definition, JSON_COMPACT) : NULL;
    sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->event, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, r->priority);
    sqlite3_bind_text(st, 4, r->best_of ? "best" : "stack", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, *def ? *def : "{}", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, r->active);
    if (r->starts_at)
        sqlite3_bind_int64(st, 7, r->starts_at);
    if (r->ends_at)
        sqlite3_bind_int64(st, 8, r->ends_at);
    sqlite3_bind_int64(st, 9, r->created_at);
    sqlite3_bind_int64(st, 10, r->updated_at);
}

static int rule_write(store_tx *tx, sqlite3_stmt *st, const rule *r, const char *what)
{
    char *def = NULL;
    store_cache_forget(tx); /* the writer's cached rules may no longer be the table's */
    if (!st)
        return STORE_ERROR;
    bind_rule(st, r, &def);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    free(def);
    return store_status_of(&tx->conn, rc, what);
}

int store_tx_rule_insert(store_tx *tx, rule *r)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_RULE_INSERT,
                                  "INSERT INTO rules (name, event, priority, combine, definition, active, starts_at, "
                                  "ends_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)");
    int status = rule_write(tx, st, r, "rule insert");
    if (status == STORE_OK)
        r->id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

int store_tx_rule_update(store_tx *tx, const rule *r)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_RULE_UPDATE,
                                  "UPDATE rules SET name=?1, event=?2, priority=?3, combine=?4, definition=?5, "
                                  "active=?6, starts_at=?7, ends_at=?8, created_at=?9, updated_at=?10 WHERE id=?11");
    if (st)
        sqlite3_bind_int64(st, 11, r->id);
    int status = rule_write(tx, st, r, "rule update");
    if (status == STORE_OK && sqlite3_changes(tx->conn.db) == 0)
        return STORE_NOTFOUND;
    return status;
}

int store_rule_list(store_reader *r, const store_rule_filter *f, void (*cb)(const rule *x, void *arg), void *arg,
                    int *count)
{
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_RULE_LIST,
                                  "SELECT " RULE_COLUMNS " FROM rules WHERE id > ?1 AND (?2 IS NULL OR event = ?2) "
                                  "AND (?3 IS NULL OR active = ?3) ORDER BY id LIMIT ?4");
    *count = 0;
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, f->after_id);
    store_bind_text_or_null(st, 2, f->event);
    if (f->active >= 0)
        sqlite3_bind_int(st, 3, f->active);
    sqlite3_bind_int(st, 4, f->limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rule x;
        rule_from_row(st, &x);
        cb(&x, arg);
        rule_release(&x);
        (*count)++;
    }
    sqlite3_reset(st);
    return store_status_of(&r->conn, rc, "rule list");
}

int store_tx_rules_active_count(store_tx *tx, const char *event, int *count)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_RULES_ACTIVE_COUNT,
                                  "SELECT count(*) FROM rules WHERE active = 1 AND event = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, event, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *count = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : store_status_of(&tx->conn, rc, "rules count");
}

int store_tx_rules_for_event(store_tx *tx, const char *event, int64_t at_ms, rule *out, int cap, int *n)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_RULES_FOR_EVENT,
                                  "SELECT " RULE_COLUMNS " FROM rules WHERE active = 1 AND event = ?1 AND "
                                  "(starts_at IS NULL OR starts_at <= ?2) AND (ends_at IS NULL OR ends_at > ?2) "
                                  "ORDER BY priority, id LIMIT ?3");
    *n = 0;
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, event, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, at_ms);
    sqlite3_bind_int(st, 3, cap + 1);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            /* Creation keeps at most RULES_MAX active rules per event, so this means a hand-edited database. */
            log_msg(LOG_WARN, "rules_over_limit", "event=%s cap=%d", event, cap);
            rc = SQLITE_DONE;
            break;
        }
        rule_from_row(st, &out[(*n)++]);
    }
    sqlite3_reset(st);
    int status = store_status_of(&tx->conn, rc, "rules for event");
    if (status != STORE_OK) {
        for (int i = 0; i < *n; i++)
            rule_release(&out[i]);
        *n = 0;
    }
    return status;
}

int store_tx_rules_active(store_tx *tx, const char *event, const rule **out, int *n)
{
    store_cache *c = store_cache_of(tx);
    store_cache_rules *e = NULL, *free_slot = NULL;
    for (int i = 0; i < STORE_CACHE_EVENTS && !e; i++) {
        store_cache_rules *x = &c->events[i];
        if (x->gen && strcmp(x->event, event) == 0)
            e = x;
        else if (!free_slot && x->gen != tx->gen)
            free_slot = x; /* empty or stale */
    }
    if (e && e->gen == tx->gen) {
        *out = e->rules;
        *n = e->n;
        return STORE_OK;
    }
    if (!e)
        e = free_slot ? free_slot : &c->events[0];
    store_cache_rules_clear(e);
    *out = e->rules;
    *n = 0;
    if (strlen(event) >= sizeof(e->event))
        return STORE_OK; /* no rule has such an event */
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_RULES_ACTIVE,
                                  "SELECT " RULE_COLUMNS " FROM rules WHERE active = 1 AND event = ? "
                                  "ORDER BY priority, id LIMIT ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, event, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, RULES_MAX + 1);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (e->n == RULES_MAX) {
            /* Creation keeps at most RULES_MAX active rules per event, so this means a hand-edited database. */
            log_msg(LOG_WARN, "rules_over_limit", "event=%s cap=%d", event, RULES_MAX);
            rc = SQLITE_DONE;
            break;
        }
        rule_from_row(st, &e->rules[e->n]);
        rule_prepare(&e->rules[e->n++]); /* parsed once while cached, not at every evaluation */
    }
    sqlite3_reset(st);
    int status = store_status_of(&tx->conn, rc, "active rules");
    if (status != STORE_OK) {
        store_cache_rules_clear(e);
        return status;
    }
    memcpy(e->event, event, strlen(event) + 1);
    e->gen = tx->gen;
    *n = e->n;
    return STORE_OK;
}

int store_tx_rule_granted(store_tx *tx, int64_t member_id, int64_t rule_id, int64_t from_ms, int64_t to_ms,
                          int64_t *points)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_RULE_GRANTED,
                                  "SELECT coalesce(sum(points), 0) FROM rule_grants WHERE member_id = ? AND "
                                  "rule_id = ? AND at >= ? AND at < ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, rule_id);
    sqlite3_bind_int64(st, 3, from_ms);
    sqlite3_bind_int64(st, 4, to_ms);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *points = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : store_status_of(&tx->conn, rc, "rule granted");
}

int store_tx_rule_grant_add(store_tx *tx, int64_t member_id, int64_t rule_id, int64_t at, int64_t points)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_RULE_GRANT_ADD,
                                  "INSERT INTO rule_grants (member_id, rule_id, at, points) VALUES (?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, rule_id);
    sqlite3_bind_int64(st, 3, at);
    sqlite3_bind_int64(st, 4, points);
    return store_step_reset(&tx->conn, st, "rule grant add");
}
