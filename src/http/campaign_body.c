/* A campaign's body and its JSON: http_campaign_apply_json checks a POST or PATCH field by field (a campaign past
 * its draft takes only its name, goal, end and budget) into the store record, and http_campaign_json writes the
 * record back as the API answers it. Pure apart from the record; called by the handlers (campaigns.c) on the loop
 * thread and again by the writer on the current record. */
#include <stdlib.h>
#include <string.h>

#include "core/timefmt.h"
#include "http/campaigns.h"

static const http_text_field campaign_texts[] = {
    {"name", offsetof(store_campaign, name), STORE_CAMPAIGN_NAME_MAX + 1, true, true},
    {"goal", offsetof(store_campaign, goal), STORE_CAMPAIGN_TEXT_MAX + 1, false, false},
};

static const char *const campaign_fields[] = {"name", "goal", "metric", "metric_days", "survey_id", "audience",
                                              "offer", "message", "budget", "starts_at", "ends_at", "holdout_share",
                                              NULL};
/* What may change once a campaign has left its draft. */
static const char *const live_fields[] = {"name", "goal", "ends_at", "budget", NULL};
static const char *const metrics[] = {"redemption_rate", "repeat_purchase", "spend_per_member", "points_earned",
                                      "nps", NULL};

static void set_json(char **dst, json_t *v)
{
    free(*dst);
    *dst = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (v && !*dst)
        abort(); /* out of memory */
}

static void apply_time(json_t *body, const char *name, int64_t *dst, errlist *e)
{
    json_t *v = json_object_get(body, name);
    int64_t at;
    if (!v)
        return;
    if (json_is_null(v))
        *dst = 0;
    else if (!json_is_string(v) || timefmt_parse(json_string_value(v), &at) != 0)
        errlist_add(e, name, "must be an RFC 3339 time such as 2026-11-25T18:30:00+03:30, or null");
    else
        *dst = at;
}

static void apply_budget(store_campaign *c, json_t *v, bool creating, errlist *e)
{
    static const char *const fields[] = {"money", "points", NULL};
    if (!v) {
        if (creating)
            errlist_add(e, "budget", "is required: {\"money\": minor units, \"points\": points}");
        return;
    }
    if (!json_is_object(v)) {
        errlist_add(e, "budget", "must be an object {\"money\": minor units, \"points\": points}");
        return;
    }
    errlist mine;
    errlist_init(&mine);
    errlist_only_fields(&mine, v, fields);
    for (int i = 0; i < mine.count; i++)
        errlist_add(e, "budget", "has only money and points");
    const char *names[] = {"money", "points"};
    int64_t *dst[] = {&c->budget_money_minor, &c->budget_points};
    for (int i = 0; i < 2; i++) {
        json_t *x = json_object_get(v, names[i]);
        char field[32];
        snprintf(field, sizeof(field), "budget.%s", names[i]);
        if (!x && creating)
            errlist_add(e, field, "is required");
        else if (x && (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > CAMPAIGN_BUDGET_MAX))
            errlist_add(e, field, "must be a whole number from 0 to 10^15");
        else if (x)
            *dst[i] = json_integer_value(x);
    }
}

static void apply_message(store_campaign *c, json_t *v, errlist *e)
{
    static const char *const fields[] = {"channel", "subject", "body", NULL};
    if (json_is_null(v)) {
        set_json(&c->message, NULL);
        return;
    }
    const char *ch = json_string_value(json_object_get(v, "channel"));
    json_t *body = json_object_get(v, "body");
    if (!json_is_object(v)) {
        errlist_add(e, "message", "must be an object {channel, subject, body} or null");
        return;
    }
    errlist_only_fields(e, v, fields);
    if (!ch || (strcmp(ch, "sms") != 0 && strcmp(ch, "email") != 0 && strcmp(ch, "inbox") != 0))
        errlist_add(e, "message.channel", "must be sms, email or inbox");
    const char *langs[] = {"en", "fa"};
    for (int i = 0; i < 2; i++) {
        json_t *t = json_object_get(body, langs[i]);
        char field[32];
        snprintf(field, sizeof(field), "message.body.%s", langs[i]);
        if (!json_is_string(t) || json_string_length(t) == 0 || json_string_length(t) > 4000)
            errlist_add(e, field, "must be text of 1 to 4000 bytes");
    }
    json_t *subject = json_object_get(v, "subject");
    if (subject && !json_is_null(subject) && (!json_is_object(subject) ||
                                              !json_is_string(json_object_get(subject, "en")) ||
                                              !json_is_string(json_object_get(subject, "fa"))))
        errlist_add(e, "message.subject", "must be {\"en\": text, \"fa\": text} or null");
    set_json(&c->message, v);
}

static void apply_choices(store_campaign *c, json_t *body, errlist *e)
{
    json_t *metric = json_object_get(body, "metric");
    if (metric) {
        bool ok = false;
        for (const char *const *m = metrics; json_is_string(metric) && *m && !ok; m++)
            ok = strcmp(json_string_value(metric), *m) == 0;
        if (!ok)
            errlist_add(e, "metric", "must be one of redemption_rate, repeat_purchase, spend_per_member, "
                                     "points_earned, nps");
        else
            snprintf(c->metric, sizeof(c->metric), "%s", json_string_value(metric));
    }
    json_t *days = json_object_get(body, "metric_days");
    if (days && (!json_is_integer(days) || json_integer_value(days) < 1 || json_integer_value(days) > 365))
        errlist_add(e, "metric_days", "must be a whole number of days from 1 to 365");
    else if (days)
        c->metric_days = (int)json_integer_value(days);
    json_t *survey = json_object_get(body, "survey_id");
    if (survey && !json_is_null(survey) && (!json_is_integer(survey) || json_integer_value(survey) < 1))
        errlist_add(e, "survey_id", "must be a survey's id or null");
    else if (survey)
        c->survey_id = json_is_null(survey) ? 0 : json_integer_value(survey);
    json_t *hold = json_object_get(body, "holdout_share");
    if (hold && (!json_is_number(hold) || json_number_value(hold) < 0 || json_number_value(hold) > 0.5))
        errlist_add(e, "holdout_share", "must be a share from 0 to 0.5");
    else if (hold)
        c->holdout_share_permille = (int)(json_number_value(hold) * 1000 + 0.5);
}

/* Applies a create body or a merge patch to c; errors name the field. */
void http_campaign_apply_json(store_campaign *c, json_t *body, bool creating, errlist *e)
{
    errlist_only_fields(e, body, campaign_fields);
    if (!creating && strcmp(c->state, "draft") != 0) {
        const char *key;
        json_t *v;
        json_object_foreach(body, key, v) {
            bool ok = false;
            for (const char *const *f = live_fields; *f && !ok; f++)
                ok = strcmp(key, *f) == 0;
            if (!ok && strlen(key) < 40) {
                for (const char *const *f = campaign_fields; *f; f++)
                    if (strcmp(key, *f) == 0)
                        errlist_add(e, key, "cannot change once the campaign has left its draft (state %s)", c->state);
            }
        }
    }
    for (size_t i = 0; i < sizeof(campaign_texts) / sizeof(campaign_texts[0]); i++) {
        const http_text_field *f = &campaign_texts[i];
        json_t *v = json_object_get(body, f->name);
        if (v)
            http_apply_text(f, v, (char *)c + f->offset, e);
        else if (creating && f->required)
            errlist_add(e, f->name, "is required");
    }
    apply_choices(c, body, e);
    json_t *aud = json_object_get(body, "audience"), *offer = json_object_get(body, "offer");
    campaign_audience a;
    campaign_offer o;
    if (aud && campaign_audience_parse(aud, &a, e) == 0) {
        json_t *j = campaign_audience_json(&a);
        set_json(&c->audience, j);
        json_decref(j);
    } else if (!aud && creating) {
        errlist_add(e, "audience", "is required: {\"kind\": \"all\" | \"segment\" | \"class\"}");
    }
    if (offer && campaign_offer_parse(offer, &o, e) == 0) {
        json_t *j = campaign_offer_json(&o);
        set_json(&c->offer, j);
        json_decref(j);
    } else if (!offer && creating) {
        errlist_add(e, "offer", "is required: {\"kind\": ...}");
    }
    json_t *msg = json_object_get(body, "message");
    if (msg)
        apply_message(c, msg, e);
    apply_budget(c, json_object_get(body, "budget"), creating, e);
    apply_time(body, "starts_at", &c->starts_at, e);
    apply_time(body, "ends_at", &c->ends_at, e);
    if (c->starts_at && c->ends_at && c->ends_at <= c->starts_at)
        errlist_add(e, "ends_at", "must be after starts_at");
    if (strcmp(c->metric, "nps") == 0 && c->survey_id == 0)
        errlist_add(e, "survey_id", "is required for the metric nps");
}

/* ---- JSON ---- */

static json_t *time_or_null(int64_t ms) { return ms ? timefmt_json(ms) : json_null(); }

static json_t *parsed_or_null(const char *text)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    return j ? j : json_null();
}

json_t *http_campaign_json(const store_campaign *c)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:{s:I, s:I}, s:{s:I, s:I}, s:s, s:f, "
                          "s:o, s:o, s:s, s:o, s:o}",
                          "id", (json_int_t)c->id, "name", c->name, "goal", c->goal, "metric", c->metric,
                          "metric_days", c->metric_days, "survey_id",
                          c->survey_id ? json_integer(c->survey_id) : json_null(), "audience",
                          parsed_or_null(c->audience), "offer", parsed_or_null(c->offer), "message",
                          parsed_or_null(c->message), "budget", "money", (json_int_t)c->budget_money_minor, "points",
                          (json_int_t)c->budget_points, "spent", "money", (json_int_t)c->spent_money_minor, "points",
                          (json_int_t)c->spent_points, "state", c->state, "holdout_share",
                          c->holdout_share_permille / 1000.0, "starts_at", time_or_null(c->starts_at), "ends_at",
                          time_or_null(c->ends_at), "created_by", c->created_by, "created_at",
                          timefmt_json(c->created_at), "updated_at", timefmt_json(c->updated_at));
    return o;
}

json_t *http_campaign_answer(const store_campaign *c, const campaign_change *ch)
{
    json_t *o = http_campaign_json(c);
    json_object_set_new(o, "guard", http_campaign_guard_json(ch));
    return o;
}
