/* Programme settings: their JSON form and validation. */
#include <stdio.h>
#include <string.h>

#include "app/points.h"
#include "core/calendar.h"
#include "core/timefmt.h"

json_t *points_programme_json(const points_programme *p)
{
    char at[TIMEFMT_LEN];
    timefmt_rfc3339(p->updated_at, at);
    return json_pack("{s:s, s:i, s:{s:s, s:s}, s:I, s:i, s:s, s:i, s:i, s:s, s:b, s:s, s:s, s:i, s:i, s:I, s:I, "
                     "s:s?}",
                     "currency",
                     p->currency, "currency_minor_units", p->currency_minor_units, "points_name", "en",
                     p->points_name_en, "fa", p->points_name_fa, "point_value_minor", (json_int_t)p->point_value_minor,
                     "pending_days", p->pending_days, "expiry_policy", p->expiry_policy, "expiry_days", p->expiry_days,
                     "expiry_warning_days", p->expiry_warning_days, "return_policy", p->return_policy,
                     "transfers_allowed", p->transfers_allowed, "time_zone", p->time_zone, "calendar", p->calendar,
                     "guard_discount_max_permille", p->guard_discount_max_permille, "guard_giveback_max_permille",
                     p->guard_giveback_max_permille, "message_cost_sms_minor", (json_int_t)p->message_cost_sms_minor,
                     "message_cost_email_minor", (json_int_t)p->message_cost_email_minor, "updated_at",
                     p->updated_at ? at : NULL);
}

static void set_int(json_t *v, const char *field, long min, long max, int *dst, errlist *e)
{
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        errlist_add(e, field, "must be a whole number from %ld to %ld", min, max);
    else
        *dst = (int)json_integer_value(v);
}

static void set_choice(json_t *v, const char *field, const char *const *choices, char *dst, size_t cap, errlist *e)
{
    for (const char *const *c = choices; json_is_string(v) && *c; c++)
        if (strcmp(json_string_value(v), *c) == 0) {
            snprintf(dst, cap, "%s", *c);
            return;
        }
    char list[160] = "";
    for (const char *const *c = choices; *c; c++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof(list) - used, "%s%s", c == choices ? "" : ", ", *c);
    }
    errlist_add(e, field, "must be one of %s", list);
}

static void set_name(json_t *v, const char *field, char *dst, size_t cap, errlist *e)
{
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= cap)
        errlist_add(e, field, "must be text of 1 to %zu bytes", cap - 1);
    else
        snprintf(dst, cap, "%s", json_string_value(v));
}

static void set_currency(points_programme *p, json_t *v, errlist *e)
{
    const char *s = json_is_string(v) ? json_string_value(v) : "";
    bool ok = strlen(s) == 3;
    for (int i = 0; ok && i < 3; i++)
        ok = s[i] >= 'A' && s[i] <= 'Z';
    if (!ok)
        errlist_add(e, "currency", "must be an ISO 4217 code such as IRR or USD");
    else
        snprintf(p->currency, sizeof(p->currency), "%s", s);
}

static void set_points_name(points_programme *p, json_t *v, errlist *e)
{
    if (!json_is_object(v)) {
        errlist_add(e, "points_name", "must be an object {\"en\": ..., \"fa\": ...}");
        return;
    }
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val) {
        if (strcmp(key, "en") == 0)
            set_name(val, "points_name.en", p->points_name_en, sizeof(p->points_name_en), e);
        else if (strcmp(key, "fa") == 0)
            set_name(val, "points_name.fa", p->points_name_fa, sizeof(p->points_name_fa), e);
        else
            errlist_add(e, "points_name", "has only en and fa");
    }
}

int points_programme_apply(points_programme *p, json_t *body, errlist *e)
{
    static const char *const expiry[] = {"never", "days", "end_of_month", "end_of_year", NULL};
    static const char *const returns[] = {"negative", "remaining", NULL};
    static const char *const calendars[] = {"persian", "gregorian", NULL};
    int before = e->count;
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if (strcmp(key, "currency") == 0)
            set_currency(p, v, e);
        else if (strcmp(key, "currency_minor_units") == 0)
            set_int(v, key, 0, 4, &p->currency_minor_units, e);
        else if (strcmp(key, "points_name") == 0)
            set_points_name(p, v, e);
        else if (strcmp(key, "point_value_minor") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000000000LL)
                errlist_add(e, key, "must be a whole number of minor units from 0 to 10^12");
            else
                p->point_value_minor = json_integer_value(v);
        } else if (strcmp(key, "pending_days") == 0)
            set_int(v, key, 0, 365, &p->pending_days, e);
        else if (strcmp(key, "expiry_policy") == 0)
            set_choice(v, key, expiry, p->expiry_policy, sizeof(p->expiry_policy), e);
        else if (strcmp(key, "expiry_days") == 0)
            set_int(v, key, 1, 3650, &p->expiry_days, e);
        else if (strcmp(key, "expiry_warning_days") == 0)
            set_int(v, key, 0, 365, &p->expiry_warning_days, e);
        else if (strcmp(key, "return_policy") == 0)
            set_choice(v, key, returns, p->return_policy, sizeof(p->return_policy), e);
        else if (strcmp(key, "transfers_allowed") == 0) {
            if (!json_is_boolean(v))
                errlist_add(e, key, "must be true or false");
            else
                p->transfers_allowed = json_is_true(v);
        } else if (strcmp(key, "time_zone") == 0) {
            if (!json_is_string(v) || json_string_length(v) >= sizeof(p->time_zone) ||
                !calendar_tz_valid(json_string_value(v)))
                errlist_add(e, key, "must be an IANA time zone such as \"Asia/Tehran\"");
            else
                snprintf(p->time_zone, sizeof(p->time_zone), "%s", json_string_value(v));
        } else if (strcmp(key, "calendar") == 0)
            set_choice(v, key, calendars, p->calendar, sizeof(p->calendar), e);
        else if (strcmp(key, "guard_discount_max_permille") == 0)
            set_int(v, key, 0, 1000, &p->guard_discount_max_permille, e);
        else if (strcmp(key, "guard_giveback_max_permille") == 0)
            set_int(v, key, 0, 1000, &p->guard_giveback_max_permille, e);
        else if (strcmp(key, "message_cost_sms_minor") == 0 || strcmp(key, "message_cost_email_minor") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000000000LL)
                errlist_add(e, key, "must be a whole number of minor units from 0 to 10^12");
            else
                *(strcmp(key, "message_cost_sms_minor") == 0 ? &p->message_cost_sms_minor
                                                              : &p->message_cost_email_minor) = json_integer_value(v);
        }
        else if (strcmp(key, "updated_at") == 0)
            errlist_add(e, key, "is read-only");
        else if (strcmp(key, "classes") == 0)
            continue; /* the class settings: classes_settings_apply (core/classes.h) */
        else {
            char field[64];
            snprintf(field, sizeof(field), "%.63s", key);
            errlist_add(e, field, "is not a known setting");
        }
    }
    return e->count - before;
}
