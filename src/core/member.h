/* A member of the club (or a prospect): the record, its validation and its JSON form.
 * member_apply_json() is the single place where outside input becomes a member: the create body, a merge
 * patch, and each CSV row (through member_csv) all pass through it. Pure: "now" and the phone region come in. */
#ifndef BASHGAH_MEMBER_H
#define BASHGAH_MEMBER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/calendar.h"
#include "core/errlist.h"

#define MEMBER_REF_MAX 64
#define MEMBER_NAME_MAX 256
#define MEMBER_PHONE_MAX 24
#define MEMBER_EMAIL_MAX 254
#define MEMBER_TZ_MAX 64
#define MEMBER_ATTRIBUTES_MAX 4096 /* bytes of the attributes object serialised compactly */

/* SQL over a row of members: the birthday as month * 100 + day in its own calendar, and the Gregorian UTC month
 * and day the member joined (created_at). Each is the expression of an index (members_birthday, members_joined;
 * migration 0023), and a query uses the index only when it writes the expression exactly so. */
#define MEMBER_BIRTHDAY_MD_SQL                                                                                     \
    "(CAST(substr(birthday, 6, 2) AS INTEGER) * 100 + CAST(substr(birthday, 9, 2) AS INTEGER))"
#define MEMBER_JOINED_MD_SQL                                                                                       \
    "(CAST(strftime('%m', created_at / 1000, 'unixepoch') AS INTEGER) * 100 + "                                  \
    "CAST(strftime('%d', created_at / 1000, 'unixepoch') AS INTEGER))"

typedef enum member_kind { MEMBER_KIND_MEMBER, MEMBER_KIND_PROSPECT } member_kind;

typedef struct member {
    int64_t id; /* 0 until stored */
    char external_ref[MEMBER_REF_MAX + 1]; /* "" means none, as for every text field */
    char given_name[MEMBER_NAME_MAX + 1];
    char family_name[MEMBER_NAME_MAX + 1];
    char phone[MEMBER_PHONE_MAX + 1]; /* E.164 */
    char email[MEMBER_EMAIL_MAX + 1]; /* lowercased */
    bool has_birthday;
    calendar_kind birthday_calendar;
    int birthday_y, birthday_m, birthday_d; /* in birthday_calendar */
    char time_zone[MEMBER_TZ_MAX + 1];
    char locale[3];
    member_kind kind;
    bool consent_email, consent_sms;
    int64_t consent_email_at, consent_sms_at; /* ms when last given or withdrawn; 0 = never */
    json_t *attributes; /* owned; always an object */
    int64_t created_at, updated_at, erased_at; /* ms; erased_at 0 = not erased */
    /* Read-only: kept by the points ledger in the same row, in the same commits as the postings. */
    struct member_stats {
        int64_t points_available, points_pending, points_lifetime;
        int64_t purchase_count, total_spent_minor, last_purchase_at;
        int64_t tier_id, tier_since, tier_review_at;
        char tier_name_en[129], tier_name_fa[129];
        /* kept by src/app/classes.c: the class, RFM scores (0: none) and value (has_value false: none) */
        char class_name[16];
        int64_t class_since;
        int rfm_r, rfm_f, rfm_m;
        bool has_value;
        int64_t value_minor;
    } stats;
} member;

typedef struct member_rules {
    const char *phone_region; /* ISO 3166 region for national numbers, e.g. "IR" */
    const char *default_time_zone;
    const char *default_locale;
    int64_t now_ms;
} member_rules;

/* Sets the defaults of a new member. */
void member_init(member *m, const member_rules *r);
void member_release(member *m);
/* Deep copy: dst must be released by the caller. */
void member_copy(member *dst, const member *src);

/* Applies a JSON object onto m: on create every field of body is set; on update body is a JSON merge patch
 * (null clears, attributes merged key by key). Errors name the field; returns the number of errors.
 * m may be partly changed when errors are returned: callers drop it then. */
int member_apply_json(member *m, json_t *body, const member_rules *r, bool creating, errlist *errs);
/* The validators of single fields, one per field: member_apply_json calls them once a value has the right JSON
 * type, and the CSV import (member_csv_apply) straight from a cell, so both take the same input the same way.
 * Texts are valid UTF-8 (callers check), NUL-terminated at len; NULL clears the field where null may. Errors name
 * the field as member_apply_json does ("phone", "birthday.date"). */
void member_put_text(char *dst, size_t cap, const char *s, size_t len, const char *field, errlist *e);
void member_put_phone(member *m, const char *s, size_t len, const member_rules *r, errlist *e);
void member_put_email(member *m, const char *s, size_t len, errlist *e);
void member_put_birthday(member *m, const char *date, size_t len, calendar_kind cal, const member_rules *r,
                         errlist *e);
void member_put_time_zone(member *m, const char *s, size_t len, errlist *e);
void member_put_locale(member *m, const char *s, errlist *e);
void member_put_kind(member *m, const char *s, errlist *e);
/* The channel's consent (sms, else email); its time is r->now_ms when it changes. */
void member_put_consent(member *m, bool sms, bool want, const member_rules *r);
/* On create: obj (an object; NULL for none) becomes m's attributes, taking obj's reference, unless it is over
 * MEMBER_ATTRIBUTES_MAX as compact JSON. When text is not NULL, *text gets that compact JSON (free it) or NULL.
 * src (src_len bytes, or NULL) is the JSON text obj was parsed from: taken as it is when it is compact already.
 * Returns 0 or -1. */
int member_put_new_attributes(member *m, json_t *obj, const char *src, size_t src_len, char **text, errlist *e);

/* On create: the checks that need the whole record (at least one way to know the person). */
void member_check_complete(const member *m, errlist *errs);
/* Removes personal data, keeping id, kind and times; sets erased_at. */
void member_erase(member *m, int64_t now_ms);

/* The API's JSON form (new reference). */
json_t *member_to_json(const member *m);
/* The same as compact text, byte for byte what json_dumps(member_to_json(m), JSON_COMPACT) writes, without
 * building the tree. attributes_text, when not NULL, is the attributes object as stored and accepted by
 * member_attributes_text_ok: it is copied and stands for m->attributes (which may be NULL then). Like snprintf:
 * writes at most cap bytes (NUL included) and returns the length of the whole text; -1 when m holds text
 * jansson refuses (not UTF-8), where member_to_json leaves fields out: use it then. */
long member_json_text(const member *m, const char *attributes_text, char *buf, size_t cap);
/* True when text is a JSON object exactly as json_dumps(json_loads(text, 0), JSON_COMPACT) writes it back, so it
 * can be copied instead of parsed (member_json.c says what is accepted; anything else is false, not an error). */
bool member_attributes_text_ok(const char *text);
const char *member_kind_name(member_kind k);
int member_kind_from_name(const char *s, member_kind *out);

#endif
