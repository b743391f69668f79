/* Members in SQLite: reads for the API, writes for jobs, the import's matching, and consent history.
 * Unique columns (external_ref, phone, email) hold NULL rather than "" so that many members may lack them. */
#include "store/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/phone_prefix.h"
#include "core/timefmt.h"

#define MEMBER_COLUMNS                                                                                                 \
    "id, external_ref, given_name, family_name, phone, email, birthday, birthday_calendar, time_zone, locale, "        \
    "kind, consent_email, consent_email_at, consent_sms, consent_sms_at, attributes, created_at, updated_at, "         \
    "members.erased_at, points_available, points_pending, points_lifetime, purchase_count, total_spent_minor, "        \
    "last_purchase_at, tier_id, tier_since, tier_review_at, (SELECT name_en FROM tiers t WHERE t.id = tier_id), "      \
    "(SELECT name_fa FROM tiers t WHERE t.id = tier_id), class, class_since, rfm_r, rfm_f, rfm_m, value_minor"

/* Reads "YYYY-MM-DD" as bind_member writes it, without sscanf's machinery; anything else as sscanf reads it. */
static bool birthday_parse(const char *s, int *y, int *m, int *d)
{
    bool plain = strlen(s) == 10;
    for (int i = 0; plain && i < 10; i++)
        plain = i == 4 || i == 7 ? s[i] == '-' : s[i] >= '0' && s[i] <= '9';
    if (!plain)
        return sscanf(s, "%d-%d-%d", y, m, d) == 3;
    *y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    *m = (s[5] - '0') * 10 + (s[6] - '0');
    *d = (s[8] - '0') * 10 + (s[9] - '0');
    return true;
}

/* Every column of MEMBER_COLUMNS but the attributes (m->attributes stays NULL). */
static void member_fields_from_row(sqlite3_stmt *st, member *m)
{
    memset(m, 0, sizeof(*m));
    m->id = sqlite3_column_int64(st, 0);
    store_column_text(st, 1, m->external_ref, sizeof(m->external_ref));
    store_column_text(st, 2, m->given_name, sizeof(m->given_name));
    store_column_text(st, 3, m->family_name, sizeof(m->family_name));
    store_column_text(st, 4, m->phone, sizeof(m->phone));
    store_column_text(st, 5, m->email, sizeof(m->email));
    const char *bday = (const char *)sqlite3_column_text(st, 6);
    const char *cal = (const char *)sqlite3_column_text(st, 7);
    if (bday && birthday_parse(bday, &m->birthday_y, &m->birthday_m, &m->birthday_d)) {
        m->has_birthday = true;
        if (!cal || calendar_from_name(cal, &m->birthday_calendar) != 0)
            m->birthday_calendar = CALENDAR_GREGORIAN;
    }
    store_column_text(st, 8, m->time_zone, sizeof(m->time_zone));
    store_column_text(st, 9, m->locale, sizeof(m->locale));
    const char *kind = (const char *)sqlite3_column_text(st, 10);
    m->kind = kind && strcmp(kind, "prospect") == 0 ? MEMBER_KIND_PROSPECT : MEMBER_KIND_MEMBER;
    m->consent_email = sqlite3_column_int(st, 11) != 0;
    m->consent_email_at = sqlite3_column_int64(st, 12);
    m->consent_sms = sqlite3_column_int(st, 13) != 0;
    m->consent_sms_at = sqlite3_column_int64(st, 14);
    m->created_at = sqlite3_column_int64(st, 16);
    m->updated_at = sqlite3_column_int64(st, 17);
    m->erased_at = sqlite3_column_int64(st, 18);
    struct member_stats *s = &m->stats;
    s->points_available = sqlite3_column_int64(st, 19);
    s->points_pending = sqlite3_column_int64(st, 20);
    s->points_lifetime = sqlite3_column_int64(st, 21);
    s->purchase_count = sqlite3_column_int64(st, 22);
    s->total_spent_minor = sqlite3_column_int64(st, 23);
    s->last_purchase_at = sqlite3_column_int64(st, 24);
    s->tier_id = sqlite3_column_int64(st, 25);
    s->tier_since = sqlite3_column_int64(st, 26);
    s->tier_review_at = sqlite3_column_int64(st, 27);
    store_column_text(st, 28, s->tier_name_en, sizeof(s->tier_name_en));
    store_column_text(st, 29, s->tier_name_fa, sizeof(s->tier_name_fa));
    store_column_text(st, 30, s->class_name, sizeof(s->class_name));
    s->class_since = sqlite3_column_int64(st, 31);
    s->rfm_r = sqlite3_column_int(st, 32);
    s->rfm_f = sqlite3_column_int(st, 33);
    s->rfm_m = sqlite3_column_int(st, 34);
    s->has_value = sqlite3_column_type(st, 35) != SQLITE_NULL;
    s->value_minor = sqlite3_column_int64(st, 35);
}

#define ATTRIBUTES_COLUMN 15

static void member_from_row(sqlite3_stmt *st, member *m)
{
    member_fields_from_row(st, m);
    const char *attrs = (const char *)sqlite3_column_text(st, ATTRIBUTES_COLUMN);
    m->attributes = attrs ? json_loads(attrs, 0, NULL) : NULL;
    if (!json_is_object(m->attributes)) {
        json_decref(m->attributes);
        m->attributes = json_object();
    }
}

/* Runs a statement that yields at most one member. */
static int one_member(store_conn *c, sqlite3_stmt *st, member *out)
{
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        member_from_row(st, out);
        sqlite3_reset(st);
        return STORE_OK;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(c, rc, "member");
}

/* The statement reading member id (NULL on error). */
static sqlite3_stmt *member_get_stmt(store_conn *c, int64_t id)
{
    sqlite3_stmt *st =
        store_stmt(c, STMT_MEMBER_GET, "SELECT " MEMBER_COLUMNS " FROM " STORE_MEMBER_FROM " WHERE id = ?");
    if (st)
        sqlite3_bind_int64(st, 1, id);
    return st;
}

static int member_get(store_conn *c, int64_t id, member *out) { return one_member(c, member_get_stmt(c, id), out); }

int store_member_get(store_reader *r, int64_t id, member *out) { return member_get(&r->conn, id, out); }
int store_tx_member_get(store_tx *tx, int64_t id, member *out) { return member_get(&tx->conn, id, out); }

int store_member_get_text(store_reader *r, int64_t id, member *out, char *attributes, size_t cap)
{
    store_conn *c = &r->conn;
    sqlite3_stmt *st = member_get_stmt(c, id);
    if (!st)
        return STORE_ERROR;
    attributes[0] = '\0';
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, ATTRIBUTES_COLUMN);
        size_t n = text ? strlen(text) : 0;
        if (n < cap && member_attributes_text_ok(text)) {
            member_fields_from_row(st, out);
            memcpy(attributes, text, n + 1);
        } else {
            member_from_row(st, out);
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(c, rc, "member");
}

static int member_by(store_conn *c, int idx, const char *sql, const char *value, member *out)
{
    sqlite3_stmt *st = store_stmt(c, idx, sql);
    if (st)
        sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
    return one_member(c, st, out);
}

int store_tx_member_match(store_tx *tx, const member *m, member *out)
{
    if (m->external_ref[0])
        return member_by(&tx->conn, STMT_MEMBER_BY_REF,
                         "SELECT " MEMBER_COLUMNS " FROM " STORE_MEMBER_FROM " WHERE external_ref = ?", m->external_ref,
                         out);
    if (m->phone[0])
        return member_by(&tx->conn, STMT_MEMBER_BY_PHONE,
                         "SELECT " MEMBER_COLUMNS " FROM " STORE_MEMBER_FROM " WHERE phone = ?", m->phone, out);
    if (m->email[0])
        return member_by(&tx->conn, STMT_MEMBER_BY_EMAIL,
                         "SELECT " MEMBER_COLUMNS " FROM " STORE_MEMBER_FROM " WHERE email = ?", m->email, out);
    return STORE_NOTFOUND;
}

/* Writes "YYYY-MM-DD" as "%04d-%02d-%02d" does for a validated date (year 0..9999, month and day 1..99) without
 * snprintf's machinery (an import binds one per row); cap must be at least 11. */
static void birthday_text(const member *m, char *out, size_t cap)
{
    int y = m->birthday_y, mo = m->birthday_m, d = m->birthday_d;
    if (cap < 11 || y < 0 || y > 9999 || mo < 0 || mo > 99 || d < 0 || d > 99) {
        snprintf(out, cap, "%04d-%02d-%02d", y, mo, d);
        return;
    }
    const char digits[10] = {(char)('0' + y / 1000), (char)('0' + y / 100 % 10), (char)('0' + y / 10 % 10),
                             (char)('0' + y % 10),   (char)('0' + mo / 10),     (char)('0' + mo % 10),
                             (char)('0' + d / 10),   (char)('0' + d % 10)};
    memcpy(out, digits, 4);
    out[4] = '-';
    memcpy(out + 5, digits + 4, 2);
    out[7] = '-';
    memcpy(out + 8, digits + 6, 2);
    out[10] = '\0';
}

/* Binds every column but id in MEMBER_COLUMNS order, from parameter 1. The attributes are attrs_text when it is
 * not NULL, else m->attributes serialised into *attrs (freed by the caller). */
static void bind_member(sqlite3_stmt *st, const member *m, const char *attrs_text, char *bday, size_t bdaylen,
                        char **attrs)
{
    store_bind_text_or_null(st, 1, m->external_ref);
    store_bind_text_or_null(st, 2, m->given_name);
    store_bind_text_or_null(st, 3, m->family_name);
    store_bind_text_or_null(st, 4, m->phone);
    store_bind_text_or_null(st, 5, m->email);
    if (m->has_birthday) {
        birthday_text(m, bday, bdaylen);
        sqlite3_bind_text(st, 6, bday, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, calendar_name(m->birthday_calendar), -1, SQLITE_STATIC);
    }
    sqlite3_bind_text(st, 8, m->time_zone, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, m->locale, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, member_kind_name(m->kind), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 11, m->consent_email);
    if (m->consent_email_at)
        sqlite3_bind_int64(st, 12, m->consent_email_at);
    sqlite3_bind_int(st, 13, m->consent_sms);
    if (m->consent_sms_at)
        sqlite3_bind_int64(st, 14, m->consent_sms_at);
    if (!attrs_text) {
        *attrs = json_dumps(m->attributes ? m->attributes : json_object(), JSON_COMPACT);
        attrs_text = *attrs ? *attrs : "{}";
    }
    sqlite3_bind_text(st, 15, attrs_text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 16, m->created_at);
    sqlite3_bind_int64(st, 17, m->updated_at);
    if (m->erased_at)
        sqlite3_bind_int64(st, 18, m->erased_at);
}

/* ---- the name index ----
 * members_fts holds, for each member id, coalesce(given_name, '') || ' ' || coalesce(family_name, ''): these
 * statements are its only writers (migration 0003 says why they are not triggers). It is contentless, so taking
 * a name out needs the exact text that went in: name_text makes it the way the SQL above reads it back. */

#define NAME_TEXT_MAX (2 * MEMBER_NAME_MAX + 2)

static void name_text(const member *m, char *out, size_t cap)
{
    size_t g = strlen(m->given_name), f = strlen(m->family_name);
    if (g + 1 + f >= cap) { /* not for a valid member: the names are bounded */
        snprintf(out, cap, "%s %s", m->given_name, m->family_name);
        return;
    }
    memcpy(out, m->given_name, g);
    out[g] = ' ';
    memcpy(out + g + 1, m->family_name, f + 1);
}

static int name_index_write(store_conn *c, int idx, const char *sql, int64_t id, const char *text)
{
    sqlite3_stmt *st = store_stmt(c, idx, sql);
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    /* Any failure here is the database's: a constraint of members was checked before. */
    int status = store_status_of(c, rc, "name index");
    return status == STORE_OK ? STORE_OK : STORE_ERROR;
}

static int name_index_add(store_conn *c, int64_t id, const char *text)
{
    return name_index_write(c, STMT_MEMBER_NAME_INDEX, "INSERT INTO members_fts(rowid, name) VALUES (?1, ?2)", id,
                            text);
}

static int name_index_remove(store_conn *c, int64_t id, const char *text)
{
    return name_index_write(c, STMT_MEMBER_NAME_UNINDEX,
                            "INSERT INTO members_fts(members_fts, rowid, name) VALUES ('delete', ?1, ?2)", id, text);
}

/* The indexed name of member id as stored, and its erasure (0: none); STORE_NOTFOUND when there is no such
 * member. */
static int name_stored(store_conn *c, int64_t id, char *out, size_t cap, int64_t *erased_at)
{
    sqlite3_stmt *st = store_stmt(c, STMT_MEMBER_NAME_GET,
                                  "SELECT coalesce(given_name, '') || ' ' || coalesce(family_name, ''), erased_at "
                                  "FROM members WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        store_column_text(st, 0, out, cap);
        *erased_at = sqlite3_column_int64(st, 1); /* NULL reads as 0 */
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(c, rc, "member name");
}

/* A bulk import in another process (`bashgah member import` into an empty members table) may have set members'
 * unique indexes aside (store_import_begin): it knows no row of its file repeats a key, but not what this
 * connection writes. So a member insert or update elsewhere first builds them (store_tx_import_keys_build, in this
 * job's transaction), and the import, whose rows are matched by inserting first, goes on with them in place. The
 * check runs once per generation of the connection (tx->gen moves on at each transaction after another
 * connection committed, and at each rollback), not per write. */
static int keys_guard(store_tx *tx)
{
    if (tx->import_keys_aside || (tx->keys_checked && tx->keys_gen == tx->gen))
        return STORE_OK;
    int status = store_tx_import_keys_build(tx);
    if (status == STORE_OK) {
        tx->keys_gen = tx->gen;
        tx->keys_checked = true;
    }
    return status;
}

/* Names the unique column a constraint error is about, from SQLite's message. */
static const char *conflict_field(store_conn *c)
{
    const char *msg = sqlite3_errmsg(c->db);
    if (strstr(msg, "members.phone"))
        return "phone";
    if (strstr(msg, "members.email"))
        return "email";
    if (strstr(msg, "members.external_ref"))
        return "external_ref";
    return "";
}

static int member_write(store_tx *tx, sqlite3_stmt *st, const member *m, const char *attrs_text, const char **field)
{
    char bday[16], *attrs = NULL;
    if (!st)
        return STORE_ERROR;
    bind_member(st, m, attrs_text, bday, sizeof(bday), &attrs);
    int rc = sqlite3_step(st);
    int status = store_status_of(&tx->conn, rc, "member write");
    if (status == STORE_CONFLICT && field)
        *field = conflict_field(&tx->conn);
    sqlite3_reset(st);
    free(attrs);
    return status;
}

/* A member's row of aggregates (member_stats, migration 0025): added with the member, all zero, with its erasure
 * copied (statement sql binds ?1 the member, ?2 the erasure or NULL). */
static int stats_erased_set(store_tx *tx, int id, const char *sql, const member *m)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, id, sql);
    if (st) {
        sqlite3_bind_int64(st, 1, m->id);
        if (m->erased_at)
            sqlite3_bind_int64(st, 2, m->erased_at);
        else
            sqlite3_bind_null(st, 2);
    }
    return store_step_reset(&tx->conn, st, "member stats");
}

int store_tx_import_stats_add(store_tx *tx, int64_t first_id)
{
    if (!tx->import_stats_later || first_id <= 0)
        return STORE_OK;
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_MEMBER_STATS_IMPORT,
                                  "INSERT OR IGNORE INTO member_stats (member_id, erased_at) SELECT id, erased_at "
                                  "FROM members WHERE id >= ?1");
    if (st)
        sqlite3_bind_int64(st, 1, first_id);
    return store_step_reset(&tx->conn, st, "import member stats");
}

int store_tx_member_insert(store_tx *tx, member *m, const char **field)
{
    return store_tx_member_insert_text(tx, m, NULL, field);
}

int store_tx_member_insert_text(store_tx *tx, member *m, const char *attributes_text, const char **field)
{
    if (keys_guard(tx) != STORE_OK)
        return STORE_ERROR;
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_MEMBER_INSERT,
                                  "INSERT INTO members (external_ref, given_name, family_name, phone, email, birthday, "
                                  "birthday_calendar, time_zone, locale, kind, consent_email, consent_email_at, "
                                  "consent_sms, consent_sms_at, attributes, created_at, updated_at, erased_at) "
                                  "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    int status = member_write(tx, st, m, attributes_text, field);
    if (status != STORE_OK)
        return status;
    m->id = sqlite3_last_insert_rowid(tx->conn.db);
    if (!tx->import_stats_later &&
        (status = stats_erased_set(tx, STMT_MEMBER_STATS_INSERT,
                                   "INSERT INTO member_stats (member_id, erased_at) VALUES (?1, ?2)", m)) != STORE_OK)
        return status;
    char name[NAME_TEXT_MAX];
    name_text(m, name, sizeof(name));
    return name_index_add(&tx->conn, m->id, name);
}

int store_tx_member_update(store_tx *tx, const member *m, const char **field)
{
    if (keys_guard(tx) != STORE_OK)
        return STORE_ERROR;
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_MEMBER_UPDATE,
                                  "UPDATE members SET external_ref=?1, given_name=?2, family_name=?3, phone=?4, "
                                  "email=?5, birthday=?6, birthday_calendar=?7, time_zone=?8, locale=?9, kind=?10, "
                                  "consent_email=?11, consent_email_at=?12, consent_sms=?13, consent_sms_at=?14, "
                                  "attributes=?15, created_at=?16, updated_at=?17, erased_at=?18 WHERE id=?19");
    if (!st)
        return STORE_ERROR;
    char before[NAME_TEXT_MAX], after[NAME_TEXT_MAX];
    int64_t erased_before = 0;
    int status = name_stored(&tx->conn, m->id, before, sizeof(before), &erased_before);
    if (status != STORE_OK)
        return status;
    sqlite3_bind_int64(st, 19, m->id);
    status = member_write(tx, st, m, NULL, field);
    if (status == STORE_OK && erased_before != m->erased_at) /* member_stats keeps a copy of the erasure */
        status = stats_erased_set(tx, STMT_MEMBER_STATS_ERASED,
                                  "UPDATE member_stats SET erased_at = ?2 WHERE member_id = ?1", m);
    if (status != STORE_OK)
        return status;
    name_text(m, after, sizeof(after));
    if (strcmp(before, after) == 0)
        return STORE_OK;
    status = name_index_remove(&tx->conn, m->id, before);
    return status == STORE_OK ? name_index_add(&tx->conn, m->id, after) : status;
}

/* Turns search text into bounds for a prefix range scan: [lo, hi). */
static void prefix_range(const char *prefix, char *lo, char *hi, size_t cap)
{
    snprintf(lo, cap, "%s", prefix);
    snprintf(hi, cap, "%s\xf4\x8f\xbf\xbf", prefix); /* above any UTF-8 continuation of the prefix */
}

/* Builds an FTS5 query where each word of q is a quoted prefix: "ali"* "rez"*. Search is literal: a word
 * with a character no name token can hold (%, _, = ...) matches nothing, rather than being dropped. */
static int fts_query(const char *q, char *out, size_t cap)
{
    if (strpbrk(q, "%_*\"()[]{}<>=+;:,!?@#$^&|\\/~`"))
        return 0;
    size_t n = 0;
    const char *p = q;
    int words = 0;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        if (n + 4 >= cap)
            return -1;
        out[n++] = '"';
        for (; *p && *p != ' '; p++) {
            if (n + 5 >= cap)
                return -1;
            if (*p == '"')
                out[n++] = '"';
            out[n++] = *p;
        }
        out[n++] = '"';
        out[n++] = '*';
        out[n++] = ' ';
        words++;
    }
    out[n] = '\0';
    return words;
}

static bool looks_like_phone(const char *q)
{
    int digits = 0;
    for (const char *p = q; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (*p != '+' && *p != ' ' && *p != '-' && *p != '(' && *p != ')')
            return false;
    }
    return digits >= 2;
}

int store_member_list(store_reader *r, const store_member_filter *f, const char *phone_region, store_member_cb cb,
                      void *arg, int *count)
{
    store_conn *c = &r->conn;
    sqlite3_stmt *st;
    char lo[512], hi[512], fts[1024];
    const char *filters = " AND members.erased_at IS NULL AND (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR locale = ?3)"
                          " ORDER BY id LIMIT ?4";
    *count = 0;
    if (f->q && *f->q && strchr(f->q, '@')) {
        prefix_range(f->q, lo, hi, sizeof(lo));
        char sql[1024];
        snprintf(sql, sizeof(sql),
                 "SELECT " MEMBER_COLUMNS " FROM " STORE_MEMBER_FROM " WHERE email >= ?5 AND email < ?6 AND id > ?1%s",
                 filters);
        st = store_stmt(c, STMT_MEMBER_LIST_EMAIL, sql);
    } else if (f->q && *f->q && looks_like_phone(f->q)) {
        char prefix[64];
        if (phone_prefix_normalize(f->q, phone_region, prefix, sizeof(prefix)) != 0)
            return STORE_OK;
        prefix_range(prefix, lo, hi, sizeof(lo));
        char sql[1024];
        snprintf(sql, sizeof(sql),
                 "SELECT " MEMBER_COLUMNS " FROM " STORE_MEMBER_FROM " WHERE phone >= ?5 AND phone < ?6 AND id > ?1%s",
                 filters);
        st = store_stmt(c, STMT_MEMBER_LIST_PHONE, sql);
    } else if (f->q && *f->q) {
        if (fts_query(f->q, fts, sizeof(fts)) <= 0)
            return STORE_OK;
        char sql[1024];
        snprintf(sql, sizeof(sql),
                 "SELECT " MEMBER_COLUMNS " FROM " STORE_MEMBER_FROM
                 " WHERE id IN (SELECT rowid FROM members_fts WHERE "
                 "members_fts MATCH ?5) AND id > ?1%s",
                 filters);
        st = store_stmt(c, STMT_MEMBER_LIST_NAME, sql);
        if (st)
            sqlite3_bind_text(st, 5, fts, -1, SQLITE_STATIC);
    } else {
        char sql[1024];
        snprintf(sql, sizeof(sql), "SELECT " MEMBER_COLUMNS " FROM " STORE_MEMBER_FROM " WHERE id > ?1%s", filters);
        st = store_stmt(c, STMT_MEMBER_LIST, sql);
    }
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, f->after_id);
    store_bind_text_or_null(st, 2, f->kind);
    store_bind_text_or_null(st, 3, f->locale);
    sqlite3_bind_int(st, 4, f->limit);
    if (sqlite3_bind_parameter_count(st) >= 6) {
        sqlite3_bind_text(st, 5, lo, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, hi, -1, SQLITE_STATIC);
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        member m;
        member_from_row(st, &m);
        cb(&m, arg);
        member_release(&m);
        (*count)++;
    }
    sqlite3_reset(st);
    return store_status_of(c, rc, "member list");
}

int store_member_count(store_reader *r, int64_t *count)
{
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_MEMBER_COUNT, "SELECT count(*) FROM members WHERE erased_at IS NULL");
    if (!st || sqlite3_step(st) != SQLITE_ROW)
        return STORE_ERROR;
    *count = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return STORE_OK;
}

/* Rows of one multi-row consent INSERT: measured on a bulk import, a consent row cost 7,200 writer instructions
 * as a statement of its own (binding, the statement's start and end, the journal) and about half in 32s. */
#define CONSENT_ROWS 32
#define CONSENT_VALUES "(?,?,?,?,?)"
#define CONSENT_VALUES_4 CONSENT_VALUES "," CONSENT_VALUES "," CONSENT_VALUES "," CONSENT_VALUES
#define CONSENT_VALUES_16 CONSENT_VALUES_4 "," CONSENT_VALUES_4 "," CONSENT_VALUES_4 "," CONSENT_VALUES_4
#define CONSENT_INSERT "INSERT INTO consent_events (member_id, channel, granted, at, actor) VALUES "

int store_consent_events(const member *before, const member *after, store_consent_event *ev)
{
    int n = 0;
    if (after->consent_email_at && (!before || before->consent_email_at != after->consent_email_at))
        ev[n++] = (store_consent_event){after->id, after->consent_email_at, "email", after->consent_email};
    if (after->consent_sms_at && (!before || before->consent_sms_at != after->consent_sms_at))
        ev[n++] = (store_consent_event){after->id, after->consent_sms_at, "sms", after->consent_sms};
    return n;
}

/* Runs st, an INSERT of rows consent rows, with ev's first rows. */
static int consent_insert(store_tx *tx, sqlite3_stmt *st, const store_consent_event *ev, int rows, const char *actor)
{
    if (!st)
        return STORE_ERROR;
    for (int i = 0; i < rows; i++) {
        sqlite3_bind_int64(st, 5 * i + 1, ev[i].member_id);
        sqlite3_bind_text(st, 5 * i + 2, ev[i].channel, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 5 * i + 3, ev[i].granted);
        sqlite3_bind_int64(st, 5 * i + 4, ev[i].at);
        sqlite3_bind_text(st, 5 * i + 5, actor, -1, SQLITE_STATIC);
    }
    return store_step_reset(&tx->conn, st, "consent insert");
}

int store_tx_consent_log_many(store_tx *tx, const store_consent_event *ev, size_t n, const char *actor)
{
    size_t done = 0;
    int status = STORE_OK;
    for (; status == STORE_OK && done + CONSENT_ROWS <= n; done += CONSENT_ROWS)
        status = consent_insert(tx,
                                store_stmt(&tx->conn, STMT_CONSENT_INSERT_MANY,
                                           CONSENT_INSERT CONSENT_VALUES_16 "," CONSENT_VALUES_16),
                                ev + done, CONSENT_ROWS, actor);
    for (; status == STORE_OK && done < n; done++)
        status = consent_insert(tx, store_stmt(&tx->conn, STMT_CONSENT_INSERT, CONSENT_INSERT CONSENT_VALUES),
                                ev + done, 1, actor);
    return status;
}

int store_tx_consent_log(store_tx *tx, const member *before, const member *after, const char *actor)
{
    store_consent_event ev[2];
    return store_tx_consent_log_many(tx, ev, (size_t)store_consent_events(before, after, ev), actor);
}

json_t *store_consent_history(store_reader *r, int64_t member_id)
{
    json_t *items = json_array();
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_CONSENT_LIST,
                                  "SELECT channel, granted, at, actor FROM consent_events WHERE member_id = ? ORDER BY id");
    if (!st)
        return items;
    sqlite3_bind_int64(st, 1, member_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        char at[TIMEFMT_LEN];
        timefmt_rfc3339(sqlite3_column_int64(st, 2), at);
        json_array_append_new(items, json_pack("{s:s, s:b, s:s, s:s}", "channel", sqlite3_column_text(st, 0),
                                               "granted", sqlite3_column_int(st, 1), "at", at, "actor",
                                               sqlite3_column_text(st, 3)));
    }
    sqlite3_reset(st);
    return items;
}
