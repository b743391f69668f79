/* Members as CSV: column mapping, rows to JSON, members to lines, and the streaming reader over libcsv.
 * The reader copies each cell out of libcsv's buffer into one fixed arena, so a record costs no allocation. */
#include "core/member_csv.h"

#include <csv.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/calendar.h"
#include "core/text.h"
#include "core/timefmt.h"

static const char *const column_names[MEMBER_CSV_COLUMN_COUNT] = {
    "id", "created_at", "updated_at", "external_ref", "given_name", "family_name", "phone", "email", "birthday",
    "birthday_calendar", "time_zone", "locale", "kind", "consent_email", "consent_sms", "attributes",
};

const char *member_csv_column_name(member_csv_column c)
{
    return c < MEMBER_CSV_COLUMN_COUNT ? column_names[c] : "";
}

/* A cell as an error's field name: valid UTF-8, cut at a character boundary to fit. */
static void field_label(char *out, size_t cap, const char *s, size_t len)
{
    if (!text_valid_utf8(s, len)) {
        snprintf(out, cap, "?");
        return;
    }
    if (len >= cap) {
        len = cap - 1;
        while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
            len--;
    }
    memcpy(out, s, len);
    out[len] = '\0';
}

static int column_of(const char *s, size_t len)
{
    for (int c = 0; c < MEMBER_CSV_COLUMN_COUNT; c++)
        if (strlen(column_names[c]) == len && memcmp(column_names[c], s, len) == 0)
            return c;
    return -1;
}

int member_csv_header_parse(member_csv_header *h, char *const *fields, const size_t *lens, int count, errlist *errs)
{
    int before = errs->count;
    memset(h, 0, sizeof(*h));
    for (int c = 0; c < MEMBER_CSV_COLUMN_COUNT; c++)
        h->pos[c] = -1;
    if (count > MEMBER_CSV_COLUMNS_MAX) {
        errlist_add(errs, "row", "has %d columns; at most %d are allowed", count, MEMBER_CSV_COLUMNS_MAX);
        return errs->count - before;
    }
    h->ncols = count;
    for (int i = 0; i < count; i++) {
        char label[48];
        int c = column_of(fields[i], lens[i]);
        if (lens[i] == 0) {
            snprintf(label, sizeof(label), "column %d", i + 1);
            errlist_add(errs, label, "has no name");
        } else if (c < 0) {
            field_label(label, sizeof(label), fields[i], lens[i]);
            errlist_add(errs, label, "is not a known column");
        } else if (h->pos[c] >= 0) {
            errlist_add(errs, column_names[c], "appears more than once");
        } else {
            h->pos[c] = i;
            h->col[i] = (unsigned char)c;
        }
    }
    return errs->count - before;
}

/* true/false/1/0/yes/no in any case, spaces around allowed. */
static int parse_bool(const char *s, size_t len, bool *out)
{
    static const struct {
        const char *text;
        bool value;
    } words[] = {{"true", true}, {"false", false}, {"1", true}, {"0", false}, {"yes", true}, {"no", false}};
    while (len > 0 && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strlen(words[i].text) == len && strncasecmp(words[i].text, s, len) == 0) {
            *out = words[i].value;
            return 0;
        }
    return -1;
}

/* Adds consent.<channel> to body (the consent object is made on first use). */
static void put_consent(json_t *body, const char *channel, const char *column, const char *s, size_t len,
                        errlist *errs)
{
    bool v;
    if (parse_bool(s, len, &v) != 0) {
        errlist_add(errs, column, "must be true, false, 1, 0, yes or no");
        return;
    }
    json_t *consent = json_object_get(body, "consent");
    if (!consent) {
        consent = json_object();
        json_object_set_new(body, "consent", consent);
    }
    json_object_set_new(consent, channel, json_boolean(v));
}

static void put_attributes(json_t *body, const char *s, size_t len, errlist *errs)
{
    if (len == 0) {
        json_object_set_new(body, "attributes", json_null());
        return;
    }
    json_error_t jerr;
    json_t *v = json_loadb(s, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(v)) {
        if (v)
            errlist_add(errs, "attributes", "must be a JSON object such as {\"city\":\"Tehran\"}");
        else
            errlist_add(errs, "attributes", "is not valid JSON: %s (column %d)", jerr.text, jerr.column);
        json_decref(v);
        return;
    }
    json_object_set_new(body, "attributes", v);
}

static void put_birthday(json_t *body, const member_csv_header *h, char *const *fields, const size_t *lens)
{
    int p = h->pos[MEMBER_CSV_BIRTHDAY], pc = h->pos[MEMBER_CSV_BIRTHDAY_CALENDAR];
    if (p < 0) /* a calendar without a date has nothing to say */
        return;
    if (lens[p] == 0) {
        json_object_set_new(body, "birthday", json_null());
        return;
    }
    json_t *b = json_object();
    json_object_set_new(b, "date", json_stringn_nocheck(fields[p], lens[p]));
    if (pc >= 0 && lens[pc] > 0)
        json_object_set_new(b, "calendar", json_stringn_nocheck(fields[pc], lens[pc]));
    json_object_set_new(body, "birthday", b);
}

/* One cell into body. Text was checked to be valid UTF-8 before. */
static void put_cell(json_t *body, member_csv_column c, const char *s, size_t len, errlist *errs)
{
    switch (c) {
    case MEMBER_CSV_EXTERNAL_REF:
    case MEMBER_CSV_GIVEN_NAME:
    case MEMBER_CSV_FAMILY_NAME:
    case MEMBER_CSV_PHONE:
    case MEMBER_CSV_EMAIL:
        json_object_set_new(body, column_names[c], len ? json_stringn_nocheck(s, len) : json_null());
        break;
    case MEMBER_CSV_TIME_ZONE:
    case MEMBER_CSV_LOCALE:
    case MEMBER_CSV_KIND:
        if (len)
            json_object_set_new(body, column_names[c], json_stringn_nocheck(s, len));
        break;
    case MEMBER_CSV_CONSENT_EMAIL:
        if (len)
            put_consent(body, "email", column_names[c], s, len, errs);
        break;
    case MEMBER_CSV_CONSENT_SMS:
        if (len)
            put_consent(body, "sms", column_names[c], s, len, errs);
        break;
    case MEMBER_CSV_ATTRIBUTES:
        put_attributes(body, s, len, errs);
        break;
    default: /* id, created_at, updated_at are the server's; birthday is done as a pair */
        break;
    }
}

json_t *member_csv_row_json(const member_csv_header *h, char *const *fields, const size_t *lens, int count,
                            errlist *errs)
{
    if (count != h->ncols) {
        errlist_add(errs, "row", "has %d cells; the header has %d", count, h->ncols);
        return NULL;
    }
    int before = errs->count;
    json_t *body = json_object();
    for (int i = 0; i < count; i++) {
        member_csv_column c = (member_csv_column)h->col[i];
        if (!text_valid_utf8(fields[i], lens[i])) {
            errlist_add(errs, column_names[c], "must be valid UTF-8 text without control characters");
            continue;
        }
        put_cell(body, c, fields[i], lens[i], errs);
    }
    if (errs->count == before)
        put_birthday(body, h, fields, lens);
    if (errs->count != before) {
        json_decref(body);
        return NULL;
    }
    return body;
}

/* The cell checks of member_csv_row_json (UTF-8, consent words, attributes JSON), in column order: errors are added
 * to errs; attrs gets the parsed attributes object (NULL when there is none or it is empty). */
static void check_cells(const member_csv_header *h, char *const *fields, const size_t *lens, int count,
                        bool consent[2], json_t **attrs, errlist *errs)
{
    for (int i = 0; i < count; i++) {
        member_csv_column c = (member_csv_column)h->col[i];
        if (!text_valid_utf8(fields[i], lens[i])) {
            errlist_add(errs, column_names[c], "must be valid UTF-8 text without control characters");
            continue;
        }
        if ((c == MEMBER_CSV_CONSENT_EMAIL || c == MEMBER_CSV_CONSENT_SMS) && lens[i] &&
            parse_bool(fields[i], lens[i], &consent[c == MEMBER_CSV_CONSENT_SMS]) != 0)
            errlist_add(errs, column_names[c], "must be true, false, 1, 0, yes or no");
        if (c == MEMBER_CSV_ATTRIBUTES && lens[i]) {
            json_error_t jerr;
            json_t *v = json_loadb(fields[i], lens[i], JSON_REJECT_DUPLICATES, &jerr);
            if (json_is_object(v)) {
                *attrs = v;
                continue;
            }
            if (v)
                errlist_add(errs, "attributes", "must be a JSON object such as {\"city\":\"Tehran\"}");
            else
                errlist_add(errs, "attributes", "is not valid JSON: %s (column %d)", jerr.text, jerr.column);
            json_decref(v);
        }
    }
}

/* The birthday pair onto m, as member_apply_json takes {"date", "calendar"}. */
static void apply_birthday(member *m, const member_csv_header *h, char *const *fields, const size_t *lens,
                           const member_rules *r, errlist *errs)
{
    int p = h->pos[MEMBER_CSV_BIRTHDAY], pc = h->pos[MEMBER_CSV_BIRTHDAY_CALENDAR];
    if (lens[p] == 0) {
        m->has_birthday = false;
        return;
    }
    calendar_kind cal = CALENDAR_GREGORIAN;
    if (pc >= 0 && lens[pc] > 0 && calendar_from_name(fields[pc], &cal) != 0) {
        errlist_add(errs, "birthday.calendar", "must be \"gregorian\" or \"persian\"");
        return;
    }
    member_put_birthday(m, fields[p], lens[p], cal, r, errs);
}

int member_csv_apply(member *m, const member_csv_header *h, char *const *fields, const size_t *lens, int count,
                     const member_rules *r, unsigned *given, char **attributes_text, errlist *errs)
{
    int before = errs->count;
    *given = 0;
    *attributes_text = NULL;
    if (count != h->ncols) {
        errlist_add(errs, "row", "has %d cells; the header has %d", count, h->ncols);
        return errs->count - before;
    }
    bool consent[2] = {false, false};
    json_t *attrs = NULL;
    check_cells(h, fields, lens, count, consent, &attrs, errs);
    if (errs->count != before) {
        json_decref(attrs);
        return errs->count - before;
    }
    for (int i = 0; i < count; i++) {
        member_csv_column c = (member_csv_column)h->col[i];
        const char *s = lens[i] ? fields[i] : NULL;
        size_t len = lens[i];
        unsigned bit = 1u << c;
        switch (c) {
        case MEMBER_CSV_EXTERNAL_REF:
            member_put_text(m->external_ref, sizeof(m->external_ref), s, len, "external_ref", errs);
            break;
        case MEMBER_CSV_GIVEN_NAME:
            member_put_text(m->given_name, sizeof(m->given_name), s, len, "given_name", errs);
            break;
        case MEMBER_CSV_FAMILY_NAME:
            member_put_text(m->family_name, sizeof(m->family_name), s, len, "family_name", errs);
            break;
        case MEMBER_CSV_PHONE:
            member_put_phone(m, s, len, r, errs);
            break;
        case MEMBER_CSV_EMAIL:
            member_put_email(m, s, len, errs);
            break;
        case MEMBER_CSV_TIME_ZONE:
            if (s)
                member_put_time_zone(m, s, len, errs);
            break;
        case MEMBER_CSV_LOCALE:
            if (s)
                member_put_locale(m, s, errs);
            break;
        case MEMBER_CSV_KIND:
            if (s)
                member_put_kind(m, s, errs);
            break;
        case MEMBER_CSV_CONSENT_EMAIL:
        case MEMBER_CSV_CONSENT_SMS:
            if (s)
                member_put_consent(m, c == MEMBER_CSV_CONSENT_SMS, consent[c == MEMBER_CSV_CONSENT_SMS], r);
            break;
        case MEMBER_CSV_ATTRIBUTES:
            if (!attrs)
                bit |= MEMBER_CSV_ATTRIBUTES_NULL;
            member_put_new_attributes(m, attrs, s, len, attributes_text, errs);
            attrs = NULL;
            break;
        default: /* id, created_at, updated_at are the server's; birthday is done as a pair */
            bit = 0;
            break;
        }
        bool optional = c == MEMBER_CSV_TIME_ZONE || c == MEMBER_CSV_LOCALE || c == MEMBER_CSV_KIND ||
                        c == MEMBER_CSV_CONSENT_EMAIL || c == MEMBER_CSV_CONSENT_SMS;
        if (!optional || s)
            *given |= bit;
    }
    if (h->pos[MEMBER_CSV_BIRTHDAY] >= 0) {
        *given |= 1u << MEMBER_CSV_BIRTHDAY;
        apply_birthday(m, h, fields, lens, r, errs);
    }
    if (errs->count != before) {
        free(*attributes_text);
        *attributes_text = NULL;
    }
    return errs->count - before;
}

const char *member_csv_field_name(const char *json_field)
{
    static const struct {
        const char *json, *csv;
    } map[] = {
        {"birthday.date", "birthday"},          {"birthday.calendar", "birthday_calendar"},
        {"consent.email", "consent_email"},     {"consent.sms", "consent_sms"},
        {"consent", "consent_email"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(json_field, map[i].json) == 0)
            return map[i].csv;
    if (strncmp(json_field, "birthday.", 9) == 0)
        return "birthday";
    return json_field;
}

const char *member_csv_export_header(void)
{
    return "id,created_at,updated_at,external_ref,given_name,family_name,phone,email,birthday,birthday_calendar,"
           "time_zone,locale,kind,consent_email,consent_sms,attributes\n";
}

/* ---- writing ---- */

typedef struct line_buf {
    char *out;
    size_t cap, len;
    bool full;
} line_buf;

/* Cells are quoted only when they must be: a comma, quote or line end inside, or spaces at an end (which a
 * reader such as libcsv would trim). */
static bool needs_quotes(const char *s, size_t len)
{
    if (len > 0 && (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t'))
        return true;
    for (size_t i = 0; i < len; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
            return true;
    return false;
}

static void put(line_buf *b, const char *s, size_t len, bool first)
{
    if (b->full)
        return;
    size_t room = b->cap - b->len;
    if (!first) {
        if (room < 1) {
            b->full = true;
            return;
        }
        b->out[b->len++] = ',';
        room--;
    }
    if (!needs_quotes(s, len)) {
        if (len > room) {
            b->full = true;
            return;
        }
        memcpy(b->out + b->len, s, len);
        b->len += len;
        return;
    }
    size_t need = csv_write(b->out + b->len, room, s, len); /* the size it needs, whatever it wrote */
    if (need > room)
        b->full = true;
    else
        b->len += need;
}

static void put_str(line_buf *b, const char *s) { put(b, s, strlen(s), false); }

long member_csv_format(const member *m, char *out, size_t cap)
{
    line_buf b = {out, cap, 0, false};
    char num[24], created[TIMEFMT_LEN], updated[TIMEFMT_LEN], date[16] = "";
    int n = snprintf(num, sizeof(num), "%lld", (long long)m->id);
    put(&b, num, (size_t)n, true);
    timefmt_rfc3339(m->created_at, created);
    timefmt_rfc3339(m->updated_at, updated);
    put_str(&b, created);
    put_str(&b, updated);
    put_str(&b, m->external_ref);
    put_str(&b, m->given_name);
    put_str(&b, m->family_name);
    put_str(&b, m->phone);
    put_str(&b, m->email);
    if (m->has_birthday)
        snprintf(date, sizeof(date), "%04d-%02d-%02d", m->birthday_y, m->birthday_m, m->birthday_d);
    put_str(&b, date);
    put_str(&b, m->has_birthday ? calendar_name(m->birthday_calendar) : "");
    put_str(&b, m->time_zone);
    put_str(&b, m->locale);
    put_str(&b, member_kind_name(m->kind));
    put_str(&b, m->consent_email ? "true" : "false");
    put_str(&b, m->consent_sms ? "true" : "false");
    char attrs[2 * MEMBER_ATTRIBUTES_MAX];
    size_t alen = m->attributes ? json_dumpb(m->attributes, attrs, sizeof(attrs), JSON_COMPACT) : 0;
    if (alen > sizeof(attrs))
        return -1;
    if (alen == 0)
        put_str(&b, "{}");
    else
        put(&b, attrs, alen, false);
    if (b.full || b.len + 1 > b.cap)
        return -1;
    b.out[b.len++] = '\n';
    return (long)b.len;
}

/* ---- reading ---- */

enum reader_state { READER_OK, READER_STOPPED, READER_FAILED };

struct member_csv_reader {
    struct csv_parser parser;
    member_csv_row_fn fn;
    void *arg;
    char *arena; /* the current record's cells, each NUL-terminated */
    size_t used;
    size_t off[MEMBER_CSV_COLUMNS_MAX], lens[MEMBER_CSV_COLUMNS_MAX];
    char *fields[MEMBER_CSV_COLUMNS_MAX];
    int count;
    int64_t records;
    int bom; /* bytes of the byte order mark seen at the start; 3 once past it */
    enum reader_state state;
    char error[128];
};

#define ARENA_SIZE (MEMBER_CSV_COLUMNS_MAX * (MEMBER_CSV_FIELD_MAX + 1))

/* libcsv grows its field buffer through this; refusing past the limit bounds the memory one huge field takes
 * (libcsv then stops with CSV_ENOMEM, which we report as a field too long). */
static void *bounded_realloc(void *p, size_t size)
{
    return size > MEMBER_CSV_FIELD_MAX + 1024 ? NULL : realloc(p, size);
}

static void fail(member_csv_reader *r, const char *msg)
{
    if (r->state != READER_OK)
        return;
    r->state = READER_FAILED;
    snprintf(r->error, sizeof(r->error), "%s", msg);
}

static void on_field(void *s, size_t len, void *data)
{
    member_csv_reader *r = data;
    if (r->state != READER_OK)
        return;
    if (r->count == MEMBER_CSV_COLUMNS_MAX) {
        char msg[64];
        snprintf(msg, sizeof(msg), "a record has more than %d cells", MEMBER_CSV_COLUMNS_MAX);
        fail(r, msg);
        return;
    }
    if (len > MEMBER_CSV_FIELD_MAX) {
        char msg[64];
        snprintf(msg, sizeof(msg), "a cell is longer than %d bytes", MEMBER_CSV_FIELD_MAX);
        fail(r, msg);
        return;
    }
    memcpy(r->arena + r->used, s, len);
    r->arena[r->used + len] = '\0';
    r->off[r->count] = r->used;
    r->lens[r->count] = len;
    r->used += len + 1;
    r->count++;
}

static void on_record(int c, void *data)
{
    member_csv_reader *r = data;
    if (r->state != READER_OK)
        return;
    r->records++;
    for (int i = 0; i < r->count; i++)
        r->fields[i] = r->arena + r->off[i];
    if (r->fn(r->fields, r->lens, r->count, r->records, r->arg) != 0)
        r->state = READER_STOPPED;
    r->count = 0;
    r->used = 0;
}

member_csv_reader *member_csv_reader_new(member_csv_row_fn fn, void *arg)
{
    member_csv_reader *r = calloc(1, sizeof(*r));
    if (!r)
        abort();
    r->arena = malloc(ARENA_SIZE);
    if (!r->arena || csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        abort();
    csv_set_realloc_func(&r->parser, bounded_realloc);
    r->fn = fn;
    r->arg = arg;
    return r;
}

void member_csv_reader_free(member_csv_reader *r)
{
    if (!r)
        return;
    csv_free(&r->parser);
    free(r->arena);
    free(r);
}

/* After libcsv reports an error: why, in words. */
static void parser_failed(member_csv_reader *r)
{
    switch (csv_error(&r->parser)) {
    case CSV_EPARSE:
        fail(r, "malformed CSV: a quote inside an unquoted cell, text after a closing quote, or a quote left open");
        break;
    case CSV_ENOMEM:
    case CSV_ETOOBIG: {
        char msg[64];
        snprintf(msg, sizeof(msg), "a cell is longer than %d bytes", MEMBER_CSV_FIELD_MAX);
        fail(r, msg);
        break;
    }
    default:
        fail(r, "malformed CSV");
    }
}

/* Skips a UTF-8 byte order mark at the very start, even when split across chunks. */
static int skip_bom(member_csv_reader *r, const unsigned char **p, size_t *len)
{
    static const unsigned char bom[3] = {0xef, 0xbb, 0xbf};
    while (r->bom < 3 && *len > 0) {
        if (**p != bom[r->bom]) {
            int seen = r->bom;
            r->bom = 3;
            /* a false start: what looked like a BOM is data */
            if (seen > 0 && csv_parse(&r->parser, bom, (size_t)seen, on_field, on_record, r) < (size_t)seen) {
                parser_failed(r);
                return -1;
            }
            return 0;
        }
        r->bom++;
        (*p)++;
        (*len)--;
    }
    return 0;
}

int member_csv_reader_feed(member_csv_reader *r, const void *data, size_t len)
{
    const unsigned char *p = data;
    if (r->state != READER_OK)
        return -1;
    if (skip_bom(r, &p, &len) != 0)
        return -1;
    if (len > 0 && csv_parse(&r->parser, p, len, on_field, on_record, r) < len)
        parser_failed(r);
    return r->state == READER_OK ? 0 : -1;
}

int member_csv_reader_finish(member_csv_reader *r)
{
    if (r->state != READER_OK)
        return -1;
    if (r->bom > 0 && r->bom < 3) { /* the file was a prefix of a BOM: data after all */
        int seen = r->bom;
        r->bom = 3;
        if (csv_parse(&r->parser, "\xef\xbb", (size_t)seen, on_field, on_record, r) < (size_t)seen)
            parser_failed(r);
    }
    if (r->state == READER_OK && csv_fini(&r->parser, on_field, on_record, r) != 0)
        parser_failed(r);
    return r->state == READER_OK ? 0 : -1;
}

const char *member_csv_reader_error(const member_csv_reader *r) { return r->error; }

int64_t member_csv_reader_records(const member_csv_reader *r) { return r->records; }
