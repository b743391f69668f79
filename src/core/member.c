/* Member validation and JSON. Invariant: a member that passed member_apply_json without errors has every
 * text field normalised (Persian letters and ASCII digits, E.164 phone, lowercase email) and within limits. */
#include "core/member.h"

#include <stdio.h>
#include <string.h>

#include "core/email.h"
#include "core/phone.h"
#include "core/text.h"
#include "core/timefmt.h"

void member_init(member *m, const member_rules *r)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->time_zone, sizeof(m->time_zone), "%s", r->default_time_zone ? r->default_time_zone : "UTC");
    snprintf(m->locale, sizeof(m->locale), "%s", r->default_locale ? r->default_locale : "fa");
    m->kind = MEMBER_KIND_MEMBER;
    m->attributes = json_object();
    m->created_at = m->updated_at = r->now_ms;
}

void member_release(member *m)
{
    json_decref(m->attributes);
    m->attributes = NULL;
}

void member_copy(member *dst, const member *src)
{
    *dst = *src;
    dst->attributes = src->attributes ? json_deep_copy(src->attributes) : json_object();
}

const char *member_kind_name(member_kind k) { return k == MEMBER_KIND_PROSPECT ? "prospect" : "member"; }

int member_kind_from_name(const char *s, member_kind *out)
{
    if (strcmp(s, "member") == 0)
        *out = MEMBER_KIND_MEMBER;
    else if (strcmp(s, "prospect") == 0)
        *out = MEMBER_KIND_PROSPECT;
    else
        return -1;
    return 0;
}

/* A string field's value: NULL for JSON null (clear), or the string; errors for other types. */
static int want_string(json_t *v, const char *field, errlist *e, const char **out, size_t *len)
{
    if (json_is_null(v)) {
        *out = NULL;
        return 0;
    }
    if (!json_is_string(v)) {
        errlist_add(e, field, "must be a string or null");
        return -1;
    }
    *out = json_string_value(v);
    *len = json_string_length(v);
    if (!text_valid_utf8(*out, *len)) {
        errlist_add(e, field, "must be valid UTF-8 text without control characters");
        return -1;
    }
    return 0;
}

/* A name or reference: normalised Persian text within cap bytes. */
static void set_text(char *dst, size_t cap, json_t *v, const char *field, errlist *e)
{
    const char *s;
    size_t len;
    if (want_string(v, field, e, &s, &len) != 0)
        return;
    if (!s) {
        dst[0] = '\0';
        return;
    }
    char buf[4 * MEMBER_NAME_MAX + 8];
    int n = len < sizeof(buf) / 2 ? text_normalize_persian(s, len, buf, sizeof(buf)) : -1;
    if (n < 0 || (size_t)n >= cap) {
        errlist_add(e, field, "must be at most %zu bytes", cap - 1);
        return;
    }
    memcpy(dst, buf, (size_t)n + 1);
}

static void set_phone(member *m, json_t *v, const member_rules *r, errlist *e)
{
    const char *s, *why = NULL;
    size_t len;
    if (want_string(v, "phone", e, &s, &len) != 0)
        return;
    if (!s) {
        m->phone[0] = '\0';
        return;
    }
    if (len > 64 || phone_normalize(s, r->phone_region, m->phone, sizeof(m->phone), &why) != 0)
        errlist_add(e, "phone", "%s", why ? why : "is not a phone number");
}

static void set_email(member *m, json_t *v, errlist *e)
{
    const char *s, *why = NULL;
    size_t len;
    if (want_string(v, "email", e, &s, &len) != 0)
        return;
    if (!s) {
        m->email[0] = '\0';
        return;
    }
    if (email_normalize(s, len, m->email, sizeof(m->email), &why) != 0)
        errlist_add(e, "email", "%s", why ? why : "is not an email address");
}

static void set_birthday(member *m, json_t *v, const member_rules *r, errlist *e)
{
    if (json_is_null(v)) {
        m->has_birthday = false;
        return;
    }
    if (!json_is_object(v)) {
        errlist_add(e, "birthday", "must be an object {\"date\": \"YYYY-MM-DD\", \"calendar\": \"gregorian\"|\"persian\"} or null");
        return;
    }
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val) {
        if (strcmp(key, "date") != 0 && strcmp(key, "calendar") != 0) {
            char field[64];
            snprintf(field, sizeof(field), "birthday.%.40s", key);
            errlist_add(e, field, "is not a known field");
            return;
        }
    }
    calendar_kind cal = CALENDAR_GREGORIAN;
    json_t *jc = json_object_get(v, "calendar"), *jd = json_object_get(v, "date");
    if (jc && (!json_is_string(jc) || calendar_from_name(json_string_value(jc), &cal) != 0)) {
        errlist_add(e, "birthday.calendar", "must be \"gregorian\" or \"persian\"");
        return;
    }
    if (!json_is_string(jd)) {
        errlist_add(e, "birthday.date", "must be a date as YYYY-MM-DD");
        return;
    }
    int y, mo, d, gy, gm, gd;
    const char *why = NULL;
    if (calendar_date_parse(json_string_value(jd), json_string_length(jd), cal, &y, &mo, &d, &why) != 0) {
        errlist_add(e, "birthday.date", "%s", why ? why : "is not a date");
        return;
    }
    char today[TIMEFMT_LEN], gdate[48];
    timefmt_rfc3339(r->now_ms, today);
    if (calendar_to_gregorian(cal, y, mo, d, &gy, &gm, &gd) != 0 || gy < 1900) {
        errlist_add(e, "birthday.date", "must be after 1900");
        return;
    }
    snprintf(gdate, sizeof(gdate), "%04d-%02d-%02d", gy, gm, gd);
    if (strncmp(gdate, today, 10) > 0) {
        errlist_add(e, "birthday.date", "must not be in the future");
        return;
    }
    m->has_birthday = true;
    m->birthday_calendar = cal;
    m->birthday_y = y;
    m->birthday_m = mo;
    m->birthday_d = d;
}

static void set_consent(member *m, json_t *v, const member_rules *r, errlist *e)
{
    if (!json_is_object(v)) {
        errlist_add(e, "consent", "must be an object {\"email\": bool, \"sms\": bool}");
        return;
    }
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val) {
        bool *flag;
        int64_t *at;
        if (strcmp(key, "email") == 0) {
            flag = &m->consent_email;
            at = &m->consent_email_at;
        } else if (strcmp(key, "sms") == 0) {
            flag = &m->consent_sms;
            at = &m->consent_sms_at;
        } else {
            char field[64];
            snprintf(field, sizeof(field), "consent.%.40s", key);
            errlist_add(e, field, "is not a known channel (email, sms)");
            continue;
        }
        if (!json_is_boolean(val)) {
            errlist_add(e, strcmp(key, "email") == 0 ? "consent.email" : "consent.sms", "must be true or false");
            continue;
        }
        bool want = json_is_true(val);
        if (want != *flag) {
            *flag = want;
            *at = r->now_ms;
        }
    }
}

/* RFC 7396 merge of patch into target (both objects). */
static void merge_patch(json_t *target, json_t *patch)
{
    const char *key;
    json_t *val;
    json_object_foreach(patch, key, val) {
        json_t *cur = json_object_get(target, key);
        if (json_is_null(val))
            json_object_del(target, key);
        else if (json_is_object(val) && json_is_object(cur))
            merge_patch(cur, val);
        else if (json_is_object(val)) {
            json_t *fresh = json_object();
            merge_patch(fresh, val);
            json_object_set_new(target, key, fresh);
        } else
            json_object_set(target, key, val);
    }
}

static void set_attributes(member *m, json_t *v, bool creating, errlist *e)
{
    if (!json_is_object(v) && !json_is_null(v)) {
        errlist_add(e, "attributes", "must be a JSON object");
        return;
    }
    /* A create takes the object as it is; an update merges it in (RFC 7396: null removes a key). */
    json_t *next;
    if (json_is_null(v))
        next = json_object();
    else if (creating)
        next = json_deep_copy(v);
    else {
        next = json_deep_copy(m->attributes);
        merge_patch(next, v);
    }
    char *dump = json_dumps(next, JSON_COMPACT);
    size_t size = dump ? strlen(dump) : 0;
    free(dump);
    if (size > MEMBER_ATTRIBUTES_MAX) {
        errlist_add(e, "attributes", "must be at most %d bytes as compact JSON (is %zu)", MEMBER_ATTRIBUTES_MAX, size);
        json_decref(next);
        return;
    }
    json_decref(m->attributes);
    m->attributes = next;
}

static void set_enum_text(char *dst, size_t cap, json_t *v, const char *field, const char *const *allowed, errlist *e)
{
    if (json_is_string(v))
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(json_string_value(v), *a) == 0) {
                snprintf(dst, cap, "%s", *a);
                return;
            }
    char list[128] = "";
    for (const char *const *a = allowed; *a; a++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof(list) - used, "%s\"%s\"", a == allowed ? "" : ", ", *a);
    }
    errlist_add(e, field, "must be one of %s", list);
}

static void set_time_zone(member *m, json_t *v, errlist *e)
{
    if (!json_is_string(v) || json_string_length(v) > MEMBER_TZ_MAX || !calendar_tz_valid(json_string_value(v))) {
        errlist_add(e, "time_zone", "must be an IANA time zone such as \"Asia/Tehran\"");
        return;
    }
    snprintf(m->time_zone, sizeof(m->time_zone), "%s", json_string_value(v));
}

int member_apply_json(member *m, json_t *body, const member_rules *r, bool creating, errlist *errs)
{
    static const char *const read_only[] = {"id",     "created_at", "updated_at", "consent_at", "erased_at",
                                            "points", "aggregates", "tier",       NULL};
    static const char *const locales[] = {"fa", "en", NULL};
    static const char *const kinds[] = {"member", "prospect", NULL};
    int before = errs->count;
    if (!json_is_object(body)) {
        errlist_add(errs, "", "the body must be a JSON object");
        return 1;
    }
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if (strcmp(key, "external_ref") == 0)
            set_text(m->external_ref, sizeof(m->external_ref), v, key, errs);
        else if (strcmp(key, "given_name") == 0)
            set_text(m->given_name, sizeof(m->given_name), v, key, errs);
        else if (strcmp(key, "family_name") == 0)
            set_text(m->family_name, sizeof(m->family_name), v, key, errs);
        else if (strcmp(key, "phone") == 0)
            set_phone(m, v, r, errs);
        else if (strcmp(key, "email") == 0)
            set_email(m, v, errs);
        else if (strcmp(key, "birthday") == 0)
            set_birthday(m, v, r, errs);
        else if (strcmp(key, "time_zone") == 0)
            set_time_zone(m, v, errs);
        else if (strcmp(key, "locale") == 0)
            set_enum_text(m->locale, sizeof(m->locale), v, key, locales, errs);
        else if (strcmp(key, "kind") == 0) {
            char kind[16] = "";
            set_enum_text(kind, sizeof(kind), v, key, kinds, errs);
            if (kind[0])
                member_kind_from_name(kind, &m->kind);
        } else if (strcmp(key, "consent") == 0)
            set_consent(m, v, r, errs);
        else if (strcmp(key, "attributes") == 0)
            set_attributes(m, v, creating, errs);
        else {
            bool ro = false;
            for (const char *const *p = read_only; *p; p++)
                ro = ro || strcmp(key, *p) == 0;
            char field[64];
            snprintf(field, sizeof(field), "%.63s", key);
            errlist_add(errs, field, ro ? "is read-only" : "is not a known field");
        }
    }
    if (!creating)
        m->updated_at = r->now_ms;
    return errs->count - before;
}

void member_check_complete(const member *m, errlist *errs)
{
    if (!m->given_name[0] && !m->family_name[0] && !m->phone[0] && !m->email[0] && !m->external_ref[0])
        errlist_add(errs, "", "a member needs at least one of given_name, family_name, phone, email or external_ref");
}

void member_erase(member *m, int64_t now_ms)
{
    m->external_ref[0] = m->given_name[0] = m->family_name[0] = m->phone[0] = m->email[0] = '\0';
    m->has_birthday = false;
    if (m->consent_email)
        m->consent_email_at = now_ms;
    if (m->consent_sms)
        m->consent_sms_at = now_ms;
    m->consent_email = m->consent_sms = false;
    json_decref(m->attributes);
    m->attributes = json_object();
    m->erased_at = m->updated_at = now_ms;
}

static json_t *text_or_null(const char *s) { return s[0] ? json_string(s) : json_null(); }


json_t *member_to_json(const member *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(m->id));
    json_object_set_new(o, "external_ref", text_or_null(m->external_ref));
    json_object_set_new(o, "given_name", text_or_null(m->given_name));
    json_object_set_new(o, "family_name", text_or_null(m->family_name));
    json_object_set_new(o, "phone", text_or_null(m->phone));
    json_object_set_new(o, "email", text_or_null(m->email));
    if (m->has_birthday) {
        char date[48];
        snprintf(date, sizeof(date), "%04d-%02d-%02d", m->birthday_y, m->birthday_m, m->birthday_d);
        json_object_set_new(o, "birthday",
                            json_pack("{s:s, s:s}", "date", date, "calendar", calendar_name(m->birthday_calendar)));
    } else {
        json_object_set_new(o, "birthday", json_null());
    }
    json_object_set_new(o, "time_zone", json_string(m->time_zone));
    json_object_set_new(o, "locale", json_string(m->locale));
    json_object_set_new(o, "kind", json_string(member_kind_name(m->kind)));
    json_object_set_new(o, "consent", json_pack("{s:b, s:b}", "email", m->consent_email, "sms", m->consent_sms));
    json_object_set_new(o, "consent_at", json_pack("{s:o, s:o}", "email", timefmt_json(m->consent_email_at), "sms",
                                                   timefmt_json(m->consent_sms_at)));
    if (m->erased_at || !m->attributes)
        json_object_set_new(o, "attributes", json_null());
    else
        json_object_set(o, "attributes", m->attributes);
    json_object_set_new(o, "created_at", timefmt_json(m->created_at));
    json_object_set_new(o, "updated_at", timefmt_json(m->updated_at));
    json_object_set_new(o, "erased_at", timefmt_json(m->erased_at));
    const struct member_stats *st = &m->stats;
    json_object_set_new(o, "points", json_pack("{s:I, s:I, s:I}", "available", (json_int_t)st->points_available,
                                               "pending", (json_int_t)st->points_pending, "lifetime",
                                               (json_int_t)st->points_lifetime));
    json_object_set_new(o, "aggregates", json_pack("{s:I, s:I, s:o}", "purchase_count", (json_int_t)st->purchase_count,
                                                   "total_spent", (json_int_t)st->total_spent_minor,
                                                   "last_purchase_at", timefmt_json(st->last_purchase_at)));
    if (st->tier_id)
        json_object_set_new(o, "tier", json_pack("{s:I, s:s, s:s, s:o, s:o}", "id", (json_int_t)st->tier_id, "name_en",
                                                 st->tier_name_en, "name_fa", st->tier_name_fa, "since",
                                                 timefmt_json(st->tier_since), "review_at",
                                                 timefmt_json(st->tier_review_at)));
    else
        json_object_set_new(o, "tier", json_null());
    return o;
}

/* ---- member_json_text: member_to_json's text without the tree ----
 * The GET path answers a member per request; building the jansson tree and dumping it was most of that
 * request's CPU. These functions write the same bytes json_dumps(member_to_json(m), JSON_COMPACT) gives, in
 * the same key order with the same escapes (jansson 2.14's dump_string: \" \\ \b \f \n \r \t, other controls as
 * \u00XX, everything else as it is). Where the tree would drop a field (jansson refuses text that is not UTF-8,
 * so member_to_json leaves that key out) the writer gives up and the caller uses the tree: the two never
 * disagree, and tests/unit/test_member.c holds them to that. */

typedef struct jtext {
    char *buf;
    size_t cap, len; /* len counts what does not fit too, as snprintf does */
    bool bad;        /* text jansson would refuse */
} jtext;

static void jt_put(jtext *w, const char *s, size_t n)
{
    if (w->len < w->cap)
        memcpy(w->buf + w->len, s, w->len + n <= w->cap ? n : w->cap - w->len);
    w->len += n;
}

#define JT_LIT(w, lit) jt_put((w), (lit), sizeof(lit) - 1)

static void jt_int(jtext *w, int64_t v)
{
    char tmp[24], *p = tmp + sizeof(tmp);
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    jt_put(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* The length of the UTF-8 sequence at s (at most n bytes, never past a NUL) if jansson's utf8_check_full accepts
 * it, else 0. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t size = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (size == 0 || size > n)
        return 0;
    uint32_t v = c & (size == 2 ? 0x1F : size == 3 ? 0x0F : 0x07);
    for (size_t i = 1; i < size; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (size == 3 && v < 0x800) || (size == 4 && v < 0x10000))
        return 0;
    return size;
}

static void jt_string(jtext *w, const char *str)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)str, *run = s;
    JT_LIT(w, "\"");
    while (*s) {
        if (*s >= 0x80) {
            size_t n = utf8_sequence(s, 4); /* stops at the NUL: it is no continuation byte */
            if (n == 0) {
                w->bad = true;
                return;
            }
            s += n;
            continue;
        }
        if (*s != '"' && *s != '\\' && *s >= 0x20) {
            s++;
            continue;
        }
        jt_put(w, (const char *)run, (size_t)(s - run));
        char esc[6] = {'\\', 0, '0', '0', hex[*s >> 4], hex[*s & 15]};
        size_t len = 2;
        switch (*s) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default: esc[1] = 'u'; len = 6; break;
        }
        jt_put(w, esc, len);
        run = ++s;
    }
    jt_put(w, (const char *)run, (size_t)(s - run));
    JT_LIT(w, "\"");
}

/* "key": as jansson writes an object key (ours are plain ASCII): after a comma, or after the brace that opens
 * the object when first. */
#define jt_key(w, lit, first)                                                                                  \
    do {                                                                                                       \
        if (first)                                                                                             \
            JT_LIT((w), "{\"" lit "\":");                                                                    \
        else                                                                                                   \
            JT_LIT((w), ",\"" lit "\":");                                                                    \
    } while (0)

static void jt_text_or_null(jtext *w, const char *s)
{
    if (s[0])
        jt_string(w, s);
    else
        JT_LIT(w, "null");
}

static void jt_time(jtext *w, int64_t ms)
{
    if (ms == 0) {
        JT_LIT(w, "null");
        return;
    }
    char at[TIMEFMT_LEN];
    timefmt_rfc3339(ms, at);
    jt_string(w, at);
}

static void jt_bool(jtext *w, bool v)
{
    if (v)
        JT_LIT(w, "true");
    else
        JT_LIT(w, "false");
}

static void jt_attributes(jtext *w, const member *m, const char *text)
{
    if (m->erased_at || (!m->attributes && !text)) {
        JT_LIT(w, "null");
        return;
    }
    if (text) {
        jt_put(w, text, strlen(text));
        return;
    }
    size_t room = w->len < w->cap ? w->cap - w->len : 0;
    size_t n = json_dumpb(m->attributes, room ? w->buf + w->len : NULL, room, JSON_COMPACT);
    if (n == 0)
        w->bad = true; /* json_dumps fails on the whole member then */
    w->len += n;
}

/* "YYYY-MM-DD" as member_to_json's snprintf("%04d-%02d-%02d") writes it. */
static void jt_birthday(jtext *w, const member *m)
{
    int y = m->birthday_y, mo = m->birthday_m, d = m->birthday_d;
    char date[48];
    if (y < 0 || y > 9999 || mo < 0 || mo > 99 || d < 0 || d > 99) {
        snprintf(date, sizeof(date), "%04d-%02d-%02d", y, mo, d);
        jt_string(w, date);
        return;
    }
    char *p = date;
    *p++ = '"';
    *p++ = (char)('0' + y / 1000), *p++ = (char)('0' + y / 100 % 10);
    *p++ = (char)('0' + y / 10 % 10), *p++ = (char)('0' + y % 10);
    *p++ = '-', *p++ = (char)('0' + mo / 10), *p++ = (char)('0' + mo % 10);
    *p++ = '-', *p++ = (char)('0' + d / 10), *p++ = (char)('0' + d % 10);
    *p++ = '"';
    jt_put(w, date, (size_t)(p - date));
}

/* From "id" to "kind". */
static void jt_person(jtext *w, const member *m)
{
    jt_key(w, "id", true);
    jt_int(w, m->id);
    jt_key(w, "external_ref", false);
    jt_text_or_null(w, m->external_ref);
    jt_key(w, "given_name", false);
    jt_text_or_null(w, m->given_name);
    jt_key(w, "family_name", false);
    jt_text_or_null(w, m->family_name);
    jt_key(w, "phone", false);
    jt_text_or_null(w, m->phone);
    jt_key(w, "email", false);
    jt_text_or_null(w, m->email);
    jt_key(w, "birthday", false);
    if (m->has_birthday) {
        jt_key(w, "date", true);
        jt_birthday(w, m);
        jt_key(w, "calendar", false);
        jt_string(w, calendar_name(m->birthday_calendar));
        JT_LIT(w, "}");
    } else {
        JT_LIT(w, "null");
    }
    jt_key(w, "time_zone", false);
    jt_string(w, m->time_zone);
    jt_key(w, "locale", false);
    jt_string(w, m->locale);
    jt_key(w, "kind", false);
    jt_string(w, member_kind_name(m->kind));
}

/* From "consent" to "erased_at". */
static void jt_consent_and_times(jtext *w, const member *m, const char *attributes_text)
{
    jt_key(w, "consent", false);
    jt_key(w, "email", true);
    jt_bool(w, m->consent_email);
    jt_key(w, "sms", false);
    jt_bool(w, m->consent_sms);
    JT_LIT(w, "}");
    jt_key(w, "consent_at", false);
    jt_key(w, "email", true);
    jt_time(w, m->consent_email_at);
    jt_key(w, "sms", false);
    jt_time(w, m->consent_sms_at);
    JT_LIT(w, "}");
    jt_key(w, "attributes", false);
    jt_attributes(w, m, attributes_text);
    jt_key(w, "created_at", false);
    jt_time(w, m->created_at);
    jt_key(w, "updated_at", false);
    jt_time(w, m->updated_at);
    jt_key(w, "erased_at", false);
    jt_time(w, m->erased_at);
}

/* "points", "aggregates" and "tier". */
static void jt_stats(jtext *w, const struct member_stats *st)
{
    jt_key(w, "points", false);
    jt_key(w, "available", true);
    jt_int(w, st->points_available);
    jt_key(w, "pending", false);
    jt_int(w, st->points_pending);
    jt_key(w, "lifetime", false);
    jt_int(w, st->points_lifetime);
    JT_LIT(w, "}");
    jt_key(w, "aggregates", false);
    jt_key(w, "purchase_count", true);
    jt_int(w, st->purchase_count);
    jt_key(w, "total_spent", false);
    jt_int(w, st->total_spent_minor);
    jt_key(w, "last_purchase_at", false);
    jt_time(w, st->last_purchase_at);
    JT_LIT(w, "}");
    jt_key(w, "tier", false);
    if (!st->tier_id) {
        JT_LIT(w, "null");
        return;
    }
    jt_key(w, "id", true);
    jt_int(w, st->tier_id);
    jt_key(w, "name_en", false);
    jt_string(w, st->tier_name_en);
    jt_key(w, "name_fa", false);
    jt_string(w, st->tier_name_fa);
    jt_key(w, "since", false);
    jt_time(w, st->tier_since);
    jt_key(w, "review_at", false);
    jt_time(w, st->tier_review_at);
    JT_LIT(w, "}");
}

long member_json_text(const member *m, const char *attributes_text, char *buf, size_t cap)
{
    jtext w = {buf, cap, 0, false};
    jt_person(&w, m);
    jt_consent_and_times(&w, m, attributes_text);
    jt_stats(&w, &m->stats);
    JT_LIT(&w, "}");
    if (w.bad)
        return -1;
    if (cap > 0)
        buf[w.len < cap ? w.len : cap - 1] = '\0';
    return (long)w.len;
}

/* ---- member_attributes_text_ok: stored attributes that may be copied as they are ----
 * Attributes are stored as json_dumps(object, JSON_COMPACT) writes them. Parsing that text and dumping it again
 * gives it back byte for byte when it is in that form: no whitespace, strings escaped exactly as jansson escapes
 * them (and valid UTF-8 with no NUL, which json_loads refuses), integers within json_int_t, no key twice in an
 * object (json_loads keeps one). Reals are not accepted (whether "%.17g" gives them back is not checked here),
 * nor nesting deeper than ATTR_DEPTH_MAX or objects with more than ATTR_KEYS_MAX keys: those take the parse. */

#define ATTR_DEPTH_MAX 16
#define ATTR_KEYS_MAX 64

typedef struct attr_scan {
    const unsigned char *p;
    int depth;
} attr_scan;

static bool attr_value(attr_scan *c);

/* An escape as jansson's dump_string writes it: \" \\ \b \f \n \r \t, other controls but NUL as \u00XX. */
static size_t attr_escape(const unsigned char *p)
{
    static const char short_escapes[] = "\"\\bfnrt";
    if (p[1] != 'u')
        return p[1] && strchr(short_escapes, p[1]) ? 2 : 0;
    if (p[2] != '0' || p[3] != '0' || (p[4] != '0' && p[4] != '1')) /* each test stops at the NUL */
        return 0;
    int lo = p[5] >= '0' && p[5] <= '9' ? p[5] - '0' : p[5] >= 'A' && p[5] <= 'F' ? p[5] - 'A' + 10 : -1;
    if (lo < 0)
        return 0;
    int v = (p[4] - '0') * 16 + lo;
    return v == 0 || v == '\b' || v == '\t' || v == '\n' || v == '\f' || v == '\r' ? 0 : 6;
}

/* A string; its raw bytes between the quotes in *start, *len. */
static bool attr_string(attr_scan *c, const unsigned char **start, size_t *len)
{
    if (*c->p != '"')
        return false;
    *start = ++c->p;
    while (*c->p != '"') {
        size_t n = *c->p < 0x20 ? 0 : *c->p == '\\' ? attr_escape(c->p) : *c->p >= 0x80 ? utf8_sequence(c->p, 4) : 1;
        if (n == 0)
            return false;
        c->p += n;
    }
    *len = (size_t)(c->p++ - *start);
    return true;
}

/* An integer as "%lld" writes it. */
static bool attr_integer(attr_scan *c)
{
    bool negative = *c->p == '-';
    const unsigned char *digits = c->p + negative;
    c->p = digits;
    while (*c->p >= '0' && *c->p <= '9')
        c->p++;
    size_t n = (size_t)(c->p - digits);
    if (n == 0 || (digits[0] == '0' && (n > 1 || negative)) || *c->p == '.' || *c->p == 'e' || *c->p == 'E')
        return false;
    const char *limit = negative ? "9223372036854775808" : "9223372036854775807";
    return n < 19 || (n == 19 && memcmp(digits, limit, 19) <= 0);
}

static bool attr_object(attr_scan *c)
{
    const unsigned char *key[ATTR_KEYS_MAX];
    size_t key_len[ATTR_KEYS_MAX];
    int keys = 0;
    c->p++;
    if (*c->p == '}') {
        c->p++;
        return true;
    }
    for (;;) {
        if (keys == ATTR_KEYS_MAX || !attr_string(c, &key[keys], &key_len[keys]))
            return false;
        for (int i = 0; i < keys; i++)
            if (key_len[i] == key_len[keys] && memcmp(key[i], key[keys], key_len[i]) == 0)
                return false;
        keys++;
        if (*c->p++ != ':' || !attr_value(c))
            return false;
        if (*c->p == '}') {
            c->p++;
            return true;
        }
        if (*c->p++ != ',')
            return false;
    }
}

static bool attr_array(attr_scan *c)
{
    c->p++;
    if (*c->p == ']') {
        c->p++;
        return true;
    }
    for (;;) {
        if (!attr_value(c))
            return false;
        if (*c->p == ']') {
            c->p++;
            return true;
        }
        if (*c->p++ != ',')
            return false;
    }
}

static bool attr_word(attr_scan *c, const char *word)
{
    size_t n = strlen(word);
    if (strncmp((const char *)c->p, word, n) != 0)
        return false;
    c->p += n;
    return true;
}

static bool attr_value(attr_scan *c)
{
    const unsigned char *s;
    size_t n;
    if (*c->p != '{' && *c->p != '[')
        return *c->p == '"' ? attr_string(c, &s, &n)
               : *c->p == 't' ? attr_word(c, "true")
               : *c->p == 'f' ? attr_word(c, "false")
               : *c->p == 'n' ? attr_word(c, "null")
                              : attr_integer(c);
    if (++c->depth > ATTR_DEPTH_MAX)
        return false;
    bool ok = *c->p == '{' ? attr_object(c) : attr_array(c);
    c->depth--;
    return ok;
}

bool member_attributes_text_ok(const char *text)
{
    attr_scan c = {(const unsigned char *)text, 0};
    return text && text[0] == '{' && attr_value(&c) && *c.p == '\0';
}
