/* Member validation and JSON. Invariant: a member that passed member_apply_json without errors has every
 * text field normalised (Persian letters and ASCII digits, E.164 phone, lowercase email) and within limits. */
#include "core/member.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/email.h"
#include "core/jsonbuf.h"
#include "core/phone.h"
#include "core/text.h"
#include "core/timefmt.h"

void member_init(member *m, const member_rules *r)
{
    memset(m, 0, sizeof(*m));
    text_copy(m->time_zone, sizeof(m->time_zone), r->default_time_zone ? r->default_time_zone : "UTC");
    text_copy(m->locale, sizeof(m->locale), r->default_locale ? r->default_locale : "fa");
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

/* ---- the field validators, shared with the CSV import (member_csv_apply) ---- */

void member_put_text(char *dst, size_t cap, const char *s, size_t len, const char *field, errlist *e)
{
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

void member_put_phone(member *m, const char *s, size_t len, const member_rules *r, errlist *e)
{
    const char *why = NULL;
    if (!s) {
        m->phone[0] = '\0';
        return;
    }
    if (len > 64 || phone_normalize(s, r->phone_region, m->phone, sizeof(m->phone), &why) != 0)
        errlist_add(e, "phone", "%s", why ? why : "is not a phone number");
}

void member_put_email(member *m, const char *s, size_t len, errlist *e)
{
    const char *why = NULL;
    if (!s) {
        m->email[0] = '\0';
        return;
    }
    if (email_normalize(s, len, m->email, sizeof(m->email), &why) != 0)
        errlist_add(e, "email", "%s", why ? why : "is not an email address");
}

/* Writes "YYYY-MM-DD" (zero-padded, as "%04d-%02d-%02d" for years 0..9999) into out[11]. */
static void date_text(int y, int mo, int d, char out[11])
{
    out[0] = (char)('0' + y / 1000 % 10);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + mo / 10 % 10);
    out[6] = (char)('0' + mo % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10 % 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
}

void member_put_birthday(member *m, const char *date, size_t len, calendar_kind cal, const member_rules *r,
                         errlist *e)
{
    int y, mo, d, gy, gm, gd;
    const char *why = NULL;
    if (calendar_date_parse(date, len, cal, &y, &mo, &d, &why) != 0) {
        errlist_add(e, "birthday.date", "%s", why ? why : "is not a date");
        return;
    }
    /* A Gregorian date that calendar_date_parse found real is its own Gregorian date: no ICU round trip. */
    if (cal == CALENDAR_GREGORIAN) {
        gy = y;
        gm = mo;
        gd = d;
    } else if (calendar_to_gregorian(cal, y, mo, d, &gy, &gm, &gd) != 0) {
        gy = 0;
    }
    if (gy < 1900) {
        errlist_add(e, "birthday.date", "must be after 1900");
        return;
    }
    char today[TIMEFMT_LEN], gdate[48];
    timefmt_rfc3339(r->now_ms, today);
    if (gy <= 9999 && gm >= 0 && gm <= 99 && gd >= 0 && gd <= 99)
        date_text(gy, gm, gd, gdate);
    else
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

void member_put_time_zone(member *m, const char *s, size_t len, errlist *e)
{
    if (!s || len > MEMBER_TZ_MAX || strlen(s) != len || !calendar_tz_valid(s)) {
        errlist_add(e, "time_zone", "must be an IANA time zone such as \"Asia/Tehran\"");
        return;
    }
    memcpy(m->time_zone, s, len + 1);
}

static void put_enum_text(char *dst, size_t cap, const char *s, const char *field, const char *const *allowed,
                          errlist *e)
{
    if (s)
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(s, *a) == 0) {
                text_copy(dst, cap, *a);
                return;
            }
    char list[128] = "";
    for (const char *const *a = allowed; *a; a++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof(list) - used, "%s\"%s\"", a == allowed ? "" : ", ", *a);
    }
    errlist_add(e, field, "must be one of %s", list);
}

void member_put_locale(member *m, const char *s, errlist *e)
{
    static const char *const locales[] = {"fa", "en", NULL};
    put_enum_text(m->locale, sizeof(m->locale), s, "locale", locales, e);
}

void member_put_kind(member *m, const char *s, errlist *e)
{
    static const char *const kinds[] = {"member", "prospect", NULL};
    char kind[16] = "";
    put_enum_text(kind, sizeof(kind), s, "kind", kinds, e);
    if (kind[0])
        member_kind_from_name(kind, &m->kind);
}

void member_put_consent(member *m, bool sms, bool want, const member_rules *r)
{
    bool *flag = sms ? &m->consent_sms : &m->consent_email;
    int64_t *at = sms ? &m->consent_sms_at : &m->consent_email_at;
    if (want != *flag) {
        *flag = want;
        *at = r->now_ms;
    }
}

/* Makes next (owned) m's attributes after the size check; hands its compact text to *text when text is not NULL.
 * src (src_len bytes; NULL for none) is the text next was parsed from, used instead of a dump when compact. */
static int attributes_commit(member *m, json_t *next, const char *src, size_t src_len, char **text, errlist *e)
{
    bool as_read = src && jsonbuf_is_compact(src, src_len);
    char *dump = as_read ? strndup(src, src_len) : json_dumps(next, JSON_COMPACT);
    size_t size = !dump ? 0 : as_read ? src_len : strlen(dump);
    if (size > MEMBER_ATTRIBUTES_MAX) {
        errlist_add(e, "attributes", "must be at most %d bytes as compact JSON (is %zu)", MEMBER_ATTRIBUTES_MAX, size);
        free(dump);
        json_decref(next);
        return -1;
    }
    if (text)
        *text = dump;
    else
        free(dump);
    json_decref(m->attributes);
    m->attributes = next;
    return 0;
}

int member_put_new_attributes(member *m, json_t *obj, const char *src, size_t src_len, char **text, errlist *e)
{
    if (text)
        *text = NULL;
    return attributes_commit(m, obj ? obj : json_object(), obj ? src : NULL, src_len, text, e);
}

/* ---- the JSON form ---- */

/* A name or reference: normalised Persian text within cap bytes. */
static void set_text(char *dst, size_t cap, json_t *v, const char *field, errlist *e)
{
    const char *s;
    size_t len = 0;
    if (want_string(v, field, e, &s, &len) != 0)
        return;
    member_put_text(dst, cap, s, len, field, e);
}

static void set_phone(member *m, json_t *v, const member_rules *r, errlist *e)
{
    const char *s;
    size_t len = 0;
    if (want_string(v, "phone", e, &s, &len) != 0)
        return;
    member_put_phone(m, s, len, r, e);
}

static void set_email(member *m, json_t *v, errlist *e)
{
    const char *s;
    size_t len = 0;
    if (want_string(v, "email", e, &s, &len) != 0)
        return;
    member_put_email(m, s, len, e);
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
    member_put_birthday(m, json_string_value(jd), json_string_length(jd), cal, r, e);
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
        bool sms;
        if (strcmp(key, "email") == 0) {
            sms = false;
        } else if (strcmp(key, "sms") == 0) {
            sms = true;
        } else {
            char field[64];
            snprintf(field, sizeof(field), "consent.%.40s", key);
            errlist_add(e, field, "is not a known channel (email, sms)");
            continue;
        }
        if (!json_is_boolean(val)) {
            errlist_add(e, sms ? "consent.sms" : "consent.email", "must be true or false");
            continue;
        }
        member_put_consent(m, sms, json_is_true(val), r);
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
    attributes_commit(m, next, NULL, 0, NULL, e);
}

static void set_time_zone(member *m, json_t *v, errlist *e)
{
    if (!json_is_string(v)) {
        errlist_add(e, "time_zone", "must be an IANA time zone such as \"Asia/Tehran\"");
        return;
    }
    member_put_time_zone(m, json_string_value(v), json_string_length(v), e);
}

int member_apply_json(member *m, json_t *body, const member_rules *r, bool creating, errlist *errs)
{
    static const char *const read_only[] = {"id",     "created_at", "updated_at", "consent_at", "erased_at",
                                            "points", "aggregates", "tier",       NULL};
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
            member_put_locale(m, json_is_string(v) ? json_string_value(v) : NULL, errs);
        else if (strcmp(key, "kind") == 0)
            member_put_kind(m, json_is_string(v) ? json_string_value(v) : NULL, errs);
        else if (strcmp(key, "consent") == 0)
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
    /* classes, RFM and value (src/app/classes.c, docs/classes.md) */
    json_object_set_new(o, "class", json_string(st->class_name[0] ? st->class_name : "prospect"));
    json_object_set_new(o, "class_since", timefmt_json(st->class_since));
    if (st->rfm_r && st->rfm_f && st->rfm_m)
        json_object_set_new(o, "rfm", json_pack("{s:i, s:i, s:i}", "r", st->rfm_r, "f", st->rfm_f, "m", st->rfm_m));
    else
        json_object_set_new(o, "rfm", json_null());
    json_object_set_new(o, "value", st->has_value ? json_integer(st->value_minor) : json_null());
    return o;
}
