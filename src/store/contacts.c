/* Contacts in SQLite: people beyond the members (staff, partners, sponsors, press). Statements are prepared
 * per call, as segments.c does: contacts are few and rarely written, so they stay out of the shared cache. */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

#define CONTACT_COLUMNS                                                                                          \
    "id, kind, organisation, department, external_ref, given_name, family_name, phone, email, locale, time_zone, " \
    "consent_email, consent_sms, created_at, updated_at"

void store_contact_release(store_contact *c) { member_release(&c->person); }

static void contact_from_row(sqlite3_stmt *st, store_contact *c)
{
    memset(c, 0, sizeof(*c));
    c->id = sqlite3_column_int64(st, 0);
    store_column_text(st, 1, c->kind, sizeof(c->kind));
    store_column_text(st, 2, c->organisation, sizeof(c->organisation));
    store_column_text(st, 3, c->department, sizeof(c->department));
    member *p = &c->person;
    p->id = c->id;
    store_column_text(st, 4, p->external_ref, sizeof(p->external_ref));
    store_column_text(st, 5, p->given_name, sizeof(p->given_name));
    store_column_text(st, 6, p->family_name, sizeof(p->family_name));
    store_column_text(st, 7, p->phone, sizeof(p->phone));
    store_column_text(st, 8, p->email, sizeof(p->email));
    store_column_text(st, 9, p->locale, sizeof(p->locale));
    store_column_text(st, 10, p->time_zone, sizeof(p->time_zone));
    p->consent_email = sqlite3_column_int(st, 11) != 0;
    p->consent_sms = sqlite3_column_int(st, 12) != 0;
    p->created_at = sqlite3_column_int64(st, 13);
    p->updated_at = sqlite3_column_int64(st, 14);
    p->attributes = json_object();
}

static int contact_one(store_conn *c, const char *sql, int64_t id, const char *text, store_contact *out)
{
    sqlite3_stmt *st = store_prepare(c, sql);
    if (!st)
        return STORE_ERROR;
    if (text)
        sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        contact_from_row(st, out);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(c, rc, "contact get");
}

static const char contact_by_id[] = "SELECT " CONTACT_COLUMNS " FROM contacts WHERE id = ?";

int store_contact_get(store_reader *r, int64_t id, store_contact *out)
{
    return contact_one(&r->conn, contact_by_id, id, NULL, out);
}

int store_tx_contact_get(store_tx *tx, int64_t id, store_contact *out)
{
    return contact_one(&tx->conn, contact_by_id, id, NULL, out);
}

int store_tx_contact_by_ref(store_tx *tx, const char *external_ref, store_contact *out)
{
    return contact_one(&tx->conn, "SELECT " CONTACT_COLUMNS " FROM contacts WHERE external_ref = ?", 0, external_ref,
                       out);
}

int store_contact_list(store_reader *r, const store_contact_filter *f, void (*cb)(const store_contact *c, void *arg),
                       void *arg, int *count)
{
    *count = 0;
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT " CONTACT_COLUMNS " FROM contacts WHERE id > ? AND "
                                         "(?2 IS NULL OR kind = ?2) ORDER BY id LIMIT ?3");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, f->after_id);
    if (f->kind)
        sqlite3_bind_text(st, 2, f->kind, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, f->limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_contact c;
        contact_from_row(st, &c);
        cb(&c, arg);
        store_contact_release(&c);
        (*count)++;
    }
    sqlite3_finalize(st);
    return store_status_of(&r->conn, rc, "contact list");
}

/* Binds kind .. updated_at from parameter 1. */
static void bind_contact(sqlite3_stmt *st, const store_contact *c)
{
    const member *p = &c->person;
    sqlite3_bind_text(st, 1, c->kind, -1, SQLITE_STATIC);
    store_bind_text_or_null(st, 2, c->organisation);
    store_bind_text_or_null(st, 3, c->department);
    store_bind_text_or_null(st, 4, p->external_ref);
    store_bind_text_or_null(st, 5, p->given_name);
    store_bind_text_or_null(st, 6, p->family_name);
    store_bind_text_or_null(st, 7, p->phone);
    store_bind_text_or_null(st, 8, p->email);
    sqlite3_bind_text(st, 9, p->locale, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, p->time_zone, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 11, p->consent_email);
    sqlite3_bind_int(st, 12, p->consent_sms);
    sqlite3_bind_int64(st, 13, p->created_at);
    sqlite3_bind_int64(st, 14, p->updated_at);
}

int store_tx_contact_insert(store_tx *tx, store_contact *c)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO contacts (kind, organisation, department, external_ref, "
                                          "given_name, family_name, phone, email, locale, time_zone, consent_email, "
                                          "consent_sms, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (st)
        bind_contact(st, c);
    int status = store_step_once(&tx->conn, st, "contact insert");
    if (status == STORE_OK)
        c->id = c->person.id = sqlite3_last_insert_rowid(tx->conn.db);
    return status;
}

int store_tx_contact_update(store_tx *tx, const store_contact *c)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "UPDATE contacts SET kind = ?, organisation = ?, department = ?, "
                                          "external_ref = ?, given_name = ?, family_name = ?, phone = ?, email = ?, "
                                          "locale = ?, time_zone = ?, consent_email = ?, consent_sms = ?, "
                                          "created_at = ?, updated_at = ? WHERE id = ?");
    if (st) {
        bind_contact(st, c);
        sqlite3_bind_int64(st, 15, c->id);
    }
    int status = store_step_once(&tx->conn, st, "contact update");
    if (status == STORE_OK && sqlite3_changes(tx->conn.db) == 0)
        return STORE_NOTFOUND;
    return status;
}

int store_tx_contact_delete(store_tx *tx, int64_t id)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "DELETE FROM contacts WHERE id = ?");
    if (st)
        sqlite3_bind_int64(st, 1, id);
    int status = store_step_once(&tx->conn, st, "contact delete");
    if (status == STORE_OK && sqlite3_changes(tx->conn.db) == 0)
        return STORE_NOTFOUND;
    return status;
}
