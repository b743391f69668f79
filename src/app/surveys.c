/* Survey use cases (see surveys.h): invitations, answers through a link, reminders. Invitations: the audience
 * is read inside the write transaction, the sample drawn by src/core/sampling.c (stratified, at least the survey's
 * coverage target of each stratum), and each person reached gets an invitation row (the token's hash only) and an
 * outbox row with the link, in the same commit. The checks of questions and answers are in survey_questions.c. */
#include "app/surveys.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/purchases.h"
#include "app/webhooks.h"
#include "core/sampling.h"

void survey_token_hash(const char *token, uint8_t out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)token, strlen(token), NULL, 0);
}

static void new_token(char out[SURVEY_TOKEN_LEN + 1], uint8_t hash[32])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, SURVEY_TOKEN_LEN + 1, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    survey_token_hash(out, hash);
}

/* ---- invitations ---- */

void survey_invite_release(survey_invite *inv)
{
    free(inv->audience_json);
    free(inv->ids);
    inv->audience_json = NULL;
    inv->ids = NULL;
}

static void parse_audience(const json_t *a, survey_invite *inv, errlist *e)
{
    const char *key = json_is_object(a) && json_object_size(a) == 1 ? json_object_iter_key(json_object_iter((json_t *)a))
                                                                    : NULL;
    if (!key)
        key = "";
    if (strcmp(key, "members") != 0 && strcmp(key, "class") != 0 && strcmp(key, "contact_kind") != 0 &&
        strcmp(key, "segment") != 0) {
        errlist_add(e, "audience", "must be one of {\"members\": \"all\"}, {\"class\": NAME}, {\"segment\": ID}, "
                                   "{\"contact_kind\": KIND}");
        return;
    }
    if (strcmp(key, "segment") == 0) {
        json_t *id = json_object_get(a, "segment");
        snprintf(inv->audience, sizeof(inv->audience), "segment");
        if (!json_is_integer(id) || json_integer_value(id) < 1)
            errlist_add(e, "audience.segment", "must be a segment id");
        else
            inv->segment_id = json_integer_value(id);
        return;
    }
    json_t *v = json_object_iter_value(json_object_iter((json_t *)a));
    snprintf(inv->audience, sizeof(inv->audience), "%s", key);
    char f[40];
    snprintf(f, sizeof(f), "audience.%.20s", key);
    if (strcmp(key, "members") == 0 && !(json_is_string(v) && strcmp(json_string_value(v), "all") == 0))
        errlist_add(e, f, "must be \"all\"");
    else if (strcmp(key, "members") != 0 && (!json_is_string(v) || json_string_length(v) == 0 ||
                                             json_string_length(v) > STORE_SURVEY_STRATUM_MAX))
        errlist_add(e, f, "must be a name of at most %d bytes", STORE_SURVEY_STRATUM_MAX);
    else if (strcmp(key, "members") != 0)
        snprintf(inv->value, sizeof(inv->value), "%s", json_string_value(v));
    if (strcmp(key, "contact_kind") == 0 && strcmp(inv->value, "all") == 0)
        inv->value[0] = '\0';
}

static void parse_sample(const json_t *s, survey_invite *inv, errlist *e)
{
    inv->sample_count = -1;
    if (!s || json_is_null(s))
        return;
    json_t *count = json_object_get(s, "count"), *share = json_object_get(s, "share");
    if (!json_is_object(s) || json_object_size(s) != 1 || (!count && !share)) {
        errlist_add(e, "sample", "must be {\"count\": N} or {\"share\": 0..1}");
        return;
    }
    if (count && (!json_is_integer(count) || json_integer_value(count) < 1))
        errlist_add(e, "sample.count", "must be a whole number above 0");
    else if (count)
        inv->sample_count = json_integer_value(count);
    if (share && (!json_is_number(share) || json_number_value(share) <= 0 || json_number_value(share) > 1))
        errlist_add(e, "sample.share", "must be a number above 0 and at most 1");
    else if (share)
        inv->sample_share = json_number_value(share);
}

int survey_invite_parse(const json_t *body, survey_invite *inv, errlist *e)
{
    static const char *const fields[] = {"audience", "sample", "seed", "stratify_by", NULL};
    int before = e->count;
    memset(inv, 0, sizeof(*inv));
    errlist_only_fields(e, body, fields);
    json_t *a = json_object_get(body, "audience");
    if (!a)
        errlist_add(e, "audience", "is required");
    else
        parse_audience(a, inv, e);
    parse_sample(json_object_get(body, "sample"), inv, e);
    json_t *seed = json_object_get(body, "seed");
    if (seed && (!json_is_integer(seed) || json_integer_value(seed) < 0))
        errlist_add(e, "seed", "must be a whole number, 0 or above");
    else if (seed)
        inv->seed = (uint64_t)json_integer_value(seed);
    else /* 53 bits, so the recorded seed survives any JSON reader */
        inv->seed = ((uint64_t)randombytes_random() << 21 ^ randombytes_random()) & ((1ull << 53) - 1);
    json_t *by = json_object_get(body, "stratify_by");
    const char *natural = strcmp(inv->audience, "contact_kind") == 0 ? "kind" : "class";
    if (by && (!json_is_string(by) || (strcmp(json_string_value(by), "none") != 0 &&
                                       strcmp(json_string_value(by), natural) != 0)))
        errlist_add(e, "stratify_by", "must be \"none\" or \"%s\" for this audience", natural);
    snprintf(inv->stratify_by, sizeof(inv->stratify_by), "%s", by && json_is_string(by) ? json_string_value(by) : "none");
    if (e->count == before) {
        json_t *rec = json_pack("{s:O, s:I, s:s}", "audience", a, "seed", (json_int_t)inv->seed, "stratify_by",
                                inv->stratify_by);
        json_t *sample = json_object_get(body, "sample");
        if (sample)
            json_object_set(rec, "sample", sample);
        inv->audience_json = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(rec);
    }
    return e->count - before;
}

/* The audience as units with stratum indexes, and the strata's names. */
typedef struct population {
    sampling_unit *units;
    size_t n, cap;
    char names[SAMPLING_STRATA_MAX][STORE_SURVEY_STRATUM_MAX + 1];
    int64_t sizes[SAMPLING_STRATA_MAX];
    int strata;
    bool too_many;
} population;

static void collect(const store_person *p, void *arg)
{
    population *pop = arg;
    int h = 0;
    while (h < pop->strata && strcmp(pop->names[h], p->stratum) != 0)
        h++;
    if (h == pop->strata) {
        if (pop->strata == SAMPLING_STRATA_MAX) {
            pop->too_many = true;
            return;
        }
        snprintf(pop->names[pop->strata++], sizeof(pop->names[0]), "%s", p->stratum);
    }
    if (pop->n == pop->cap) {
        pop->cap = pop->cap ? pop->cap * 2 : 1024;
        pop->units = realloc(pop->units, pop->cap * sizeof(*pop->units));
        if (!pop->units)
            abort();
    }
    pop->units[pop->n++] = (sampling_unit){.id = p->id, .stratum = h};
    pop->sizes[h]++;
}

/* The address to send to: a channel with consent and an address, email first. false when there is none. */
static bool pick_channel(const member *m, const char **channel, const char **dest)
{
    if (m->consent_email && m->email[0]) {
        *channel = "email", *dest = m->email;
        return true;
    }
    if (m->consent_sms && m->phone[0]) {
        *channel = "sms", *dest = m->phone;
        return true;
    }
    return false;
}

/* Reads the person's record (member or contact) into m; STORE_NOTFOUND when gone. */
static int person_get(store_tx *tx, const char *kind, int64_t id, member *m, int64_t *member_id)
{
    if (strcmp(kind, "member") == 0) {
        *member_id = id;
        return store_tx_member_get(tx, id, m);
    }
    store_contact c;
    int status = store_tx_contact_get(tx, id, &c);
    *member_id = 0;
    if (status == STORE_OK)
        *m = c.person; /* takes over the attributes */
    return status;
}

static int send_link(store_tx *tx, const store_survey *s, store_invitation *v, const member *m, const char *dest,
                     int64_t member_id, const char *token, int64_t now)
{
    char link[64], text[STORE_SURVEY_TEXT_MAX + 320];
    snprintf(link, sizeof(link), "/s/%s", token);
    bool fa = strcmp(m->locale, "fa") == 0;
    const char *title = fa ? s->title_fa : s->title_en;
    if (fa)
        snprintf(text, sizeof(text), "%s%s\n%s\n%s", v->reminders ? "یادآوری: " : "", title,
                 "نظر شما برای ما مهم است. لطفاً از این پیوند پاسخ دهید:", link);
    else
        snprintf(text, sizeof(text), "%s%s\n%s\n%s", v->reminders ? "Reminder: " : "", title,
                 "Your view matters to us. Please answer here:", link);
    json_t *data = json_pack("{s:I, s:s, s:i}", "survey_id", (json_int_t)s->id, "link", link, "reminder", v->reminders);
    store_survey_message sm = {.member_id = member_id,
                               .contact_id = member_id ? 0 : v->person_id,
                               .invitation_id = v->id,
                               .channel = v->channel,
                               .destination = dest,
                               .locale = m->locale,
                               .subject = title,
                               .body_text = text,
                               .data = data,
                               .not_after = s->closes_at,
                               .now = now};
    int status = store_tx_survey_outbox(tx, &sm);
    json_decref(data);
    return status;
}

/* Invites one drawn person: counts them as reached, unreachable or already invited. */
static int invite_one(store_tx *tx, const store_survey *s, int64_t wave_id, const char *kind, int64_t id,
                      const char *stratum, int64_t now, int64_t counts[3])
{
    bool invited;
    int status = store_tx_survey_invited(tx, s->id, kind, id, &invited);
    if (status != STORE_OK || invited) {
        counts[2] += invited;
        return status;
    }
    member m;
    int64_t member_id;
    status = person_get(tx, kind, id, &m, &member_id);
    if (status != STORE_OK)
        return status;
    const char *channel, *dest;
    if (!pick_channel(&m, &channel, &dest)) {
        counts[1]++;
        member_release(&m);
        return STORE_OK;
    }
    store_invitation v = {.survey_id = s->id, .wave_id = wave_id, .person_id = id, .created_at = now,
                          .last_sent_at = now};
    snprintf(v.person_kind, sizeof(v.person_kind), "%s", kind);
    snprintf(v.stratum, sizeof(v.stratum), "%s", stratum);
    snprintf(v.channel, sizeof(v.channel), "%s", channel);
    char token[SURVEY_TOKEN_LEN + 1];
    new_token(token, v.token_hash);
    status = store_tx_invitation_insert(tx, &v);
    if (status == STORE_OK)
        status = send_link(tx, s, &v, &m, dest, member_id, token, now);
    if (status == STORE_OK)
        counts[0]++;
    member_release(&m);
    return status;
}

static int64_t sample_want(const survey_invite *inv, int64_t total)
{
    if (inv->sample_count >= 0)
        return inv->sample_count < total ? inv->sample_count : total;
    if (inv->sample_share > 0) {
        double w = inv->sample_share * (double)total;
        int64_t n = (int64_t)w;
        return n + ((double)n < w - 1e-9);
    }
    return total;
}

/* A segment's members, listed by the caller: each one still there, in its class when stratified by class. */
static int segment_people(store_tx *tx, const survey_invite *inv, population *pop)
{
    bool by_class = strcmp(inv->stratify_by, "class") == 0;
    for (size_t i = 0; i < inv->nids; i++) {
        store_person p = {.kind = "member", .id = inv->ids[i]};
        int status = store_tx_member_class(tx, inv->ids[i], p.stratum, sizeof(p.stratum));
        if (status == STORE_NOTFOUND)
            continue; /* erased since the segment was read */
        if (status != STORE_OK)
            return status;
        if (!by_class)
            snprintf(p.stratum, sizeof(p.stratum), "all");
        collect(&p, pop);
    }
    return STORE_OK;
}

int survey_invite_run(store_tx *tx, const store_survey *s, const survey_invite *inv, int64_t now, json_t **report)
{
    population pop = {0};
    const char *kind = strcmp(inv->audience, "contact_kind") == 0 ? "contact" : "member";
    int status = strcmp(inv->audience, "segment") == 0
                     ? segment_people(tx, inv, &pop)
                     : store_tx_audience_each(tx, inv->audience, inv->value[0] ? inv->value : NULL, inv->stratify_by,
                                              collect, &pop);
    if (status == STORE_OK && (pop.too_many || pop.n > SURVEY_INVITE_MAX))
        status = STORE_INVALID;
    int64_t alloc[SAMPLING_STRATA_MAX] = {0}, wave_id = 0;
    int64_t want = sample_want(inv, (int64_t)pop.n);
    if (status == STORE_OK && pop.strata > 0 &&
        sampling_allocate(pop.sizes, pop.strata, want, s->target_permille / 1000.0, alloc) < 0)
        status = STORE_INVALID;
    size_t chosen = status == STORE_OK ? sampling_select(inv->seed, pop.units, pop.n, alloc, pop.strata) : 0;
    if (status == STORE_OK)
        status = store_tx_survey_wave_insert(tx, s->id, inv->audience_json, inv->stratify_by, (int64_t)inv->seed, now,
                                             &wave_id);
    int64_t per[SAMPLING_STRATA_MAX][3] = {{0}}; /* invited, unreachable, already invited */
    for (size_t i = 0; status == STORE_OK && i < chosen; i++) {
        int h = pop.units[i].stratum;
        status = invite_one(tx, s, wave_id, kind, pop.units[i].id, pop.names[h], now, per[h]);
    }
    json_t *strata = json_array();
    int64_t tot[4] = {0};
    for (int h = 0; status == STORE_OK && h < pop.strata; h++) {
        status = store_tx_survey_stratum_insert(tx, wave_id, pop.names[h], pop.sizes[h], per[h][0]);
        json_array_append_new(strata, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "stratum", pop.names[h],
                                                "population", (json_int_t)pop.sizes[h], "drawn",
                                                (json_int_t)alloc[h], "invited", (json_int_t)per[h][0],
                                                "unreachable", (json_int_t)per[h][1], "already_invited",
                                                (json_int_t)per[h][2]));
        tot[0] += per[h][0], tot[1] += per[h][1], tot[2] += per[h][2], tot[3] += alloc[h];
    }
    *report = json_pack("{s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:o}", "wave_id", (json_int_t)wave_id, "seed",
                        (json_int_t)inv->seed, "stratify_by", inv->stratify_by, "population", (json_int_t)pop.n,
                        "drawn", (json_int_t)tot[3], "invited", (json_int_t)tot[0], "unreachable",
                        (json_int_t)tot[1], "already_invited", (json_int_t)tot[2], "strata", strata);
    free(pop.units);
    return status;
}

/* ---- answers ---- */

#define DAY_MS 86400000LL

/* Points for answering, through the points engine's survey_answered event (its earning rules decide how many).
 * One event per invitation, so a retried write cannot earn twice. */
static int earn_points(store_tx *tx, const store_invitation *v, int64_t now)
{
    earning_event ev;
    memset(&ev, 0, sizeof(ev));
    snprintf(ev.type, sizeof(ev.type), "survey_answered");
    snprintf(ev.source, sizeof(ev.source), "survey");
    snprintf(ev.event_id, sizeof(ev.event_id), "survey:%lld:invitation:%lld", (long long)v->survey_id,
             (long long)v->id);
    ev.member.id = v->person_id;
    ev.occurred_at = now;
    crypto_generichash(ev.request_hash, 32, (const unsigned char *)ev.event_id, strlen(ev.event_id), NULL, 0);
    purchase_answer a;
    memset(&a, 0, sizeof(a));
    int status = earning_event_record(tx, &ev, now, "survey", &a);
    json_decref(a.body);
    /* a member erased since the invitation earns nothing, and the answer still counts */
    return status == STORE_NOTFOUND || status == STORE_CONFLICT ? STORE_OK : status;
}

static int refuse(int code, const char *slug_text, const char *field, const char *msg, int *http_status,
                  const char **slug, errlist *e, int status)
{
    *http_status = code;
    *slug = slug_text;
    errlist_add(e, field, "%s", msg);
    return status;
}

int survey_answer_run(store_tx *tx, const char *token, const json_t *answers, int64_t now, int *http_status,
                      const char **slug, errlist *e)
{
    uint8_t hash[32];
    survey_token_hash(token, hash);
    store_invitation v;
    int status = store_tx_invitation_by_token(tx, hash, &v);
    if (status == STORE_NOTFOUND)
        return refuse(404, "not-found", "token", "is not a survey link", http_status, slug, e, status);
    if (status != STORE_OK)
        return status;
    if (v.answered_at)
        return refuse(409, "link-used", "token", "this link was already used to answer", http_status, slug, e,
                      STORE_CONFLICT);
    store_survey s;
    if ((status = store_tx_survey_get(tx, v.survey_id, &s)) != STORE_OK)
        return status;
    if ((s.closes_at && now >= s.closes_at) || (s.opens_at && now < s.opens_at)) {
        store_survey_release(&s);
        return refuse(409, "survey-closed", "closes_at", s.closes_at && now >= s.closes_at ? "the survey is closed"
                                                                                           : "the survey is not open yet",
                      http_status, slug, e, STORE_INVALID);
    }
    json_t *clean = survey_answers_check(s.questions, answers, e);
    if (!clean) {
        store_survey_release(&s);
        *http_status = 400, *slug = "validation";
        return STORE_INVALID;
    }
    /* Anonymous: the day only, and no invitation id on the answer, so nothing ties the person to it. */
    int64_t at = s.anonymous ? now - now % DAY_MS : now;
    char *text = json_dumps(clean, JSON_COMPACT | JSON_SORT_KEYS);
    status = store_tx_invitation_answered(tx, v.id, at);
    if (status == STORE_CONFLICT)
        refuse(409, "link-used", "token", "this link was already used to answer", http_status, slug, e, status);
    if (status == STORE_OK)
        status = store_tx_response_insert(tx, s.id, s.anonymous ? 0 : v.id, v.stratum, at, text ? text : "{}");
    if (status == STORE_OK && !s.anonymous && strcmp(v.person_kind, "member") == 0)
        status = earn_points(tx, &v, now);
    if (status == STORE_OK && !s.anonymous) /* webhooks (app/webhooks.c); none for anonymous: its time would tell */
        status = webhooks_emit(tx, WEBHOOK_SURVEY_ANSWERED, now, "{s:I, s:s, s:I, s:O}", "survey", (json_int_t)s.id,
                               "person_kind", v.person_kind, "person", (json_int_t)v.person_id, "answers", clean);
    free(text);
    json_decref(clean);
    store_survey_release(&s);
    return status;
}

/* ---- reminders ---- */

int survey_reminders_run(store_tx *tx, int64_t now, int *handled)
{
    store_invitation due[SURVEY_REMINDER_BATCH_MAX];
    int n = 0;
    int status = store_tx_invitations_due(tx, now, due, SURVEY_REMINDER_BATCH_MAX, &n);
    *handled = n;
    for (int i = 0; status == STORE_OK && i < n; i++) {
        store_survey s;
        member m;
        int64_t member_id;
        if ((status = store_tx_survey_get(tx, due[i].survey_id, &s)) != STORE_OK)
            break;
        status = person_get(tx, due[i].person_kind, due[i].person_id, &m, &member_id);
        const char *channel, *dest;
        char token[SURVEY_TOKEN_LEN + 1];
        uint8_t hash[32];
        new_token(token, hash);
        if (status == STORE_NOTFOUND) {
            /* gone since: counted as reminded, so the invitation runs out of reminders */
            status = store_tx_invitation_reminded(tx, due[i].id, due[i].token_hash, now);
        } else if (status == STORE_OK) {
            if (pick_channel(&m, &channel, &dest)) {
                due[i].reminders++;
                status = store_tx_invitation_reminded(tx, due[i].id, hash, now);
                if (status == STORE_OK)
                    status = send_link(tx, &s, &due[i], &m, dest, member_id, token, now);
            } else {
                status = store_tx_invitation_reminded(tx, due[i].id, due[i].token_hash, now);
            }
            member_release(&m);
        }
        store_survey_release(&s);
    }
    return status;
}
