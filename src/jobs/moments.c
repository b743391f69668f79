/* The moments job (see moments.h). A run reads the active moments, then for each the members of the month-days some
 * zone's local date may carry now, decides from the index row (time zone, for anniversaries the day of joining)
 * whose day and hour it is, and records each new (moment, member, year) with its gift in the run's transaction. */
#include "jobs/moments.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/points.h"
#include "core/moments.h"
#include "core/template.h"

#define ZONES_SLOTS 2048 /* distinct time zones a run remembers (IANA has about 600) */
#define GIFT_CODE_LEN 10

/* A time zone's local day and hour at the run's instant, in both calendars. */
typedef struct zone_day {
    char tz[64];
    bool used, ok;
    int hour;
    moments_date day[2]; /* by calendar_kind */
} zone_day;

typedef struct run_ctx {
    store_tx *tx;
    int64_t now;
    int limit, done;
    points_programme prog;
    zone_day *zones;
    store_moment_candidate *cands;
} run_ctx;

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

/* The zone's day, computed once a run (ICU opens a calendar per call). NULL when the table is full. */
static const zone_day *zone_of(run_ctx *c, const char *tz)
{
    for (uint32_t i = fnv1a(tz), probes = 0; probes < ZONES_SLOTS; i++, probes++) {
        zone_day *z = &c->zones[i % ZONES_SLOTS];
        if (z->used && strcmp(z->tz, tz) == 0)
            return z;
        if (z->used)
            continue;
        z->used = true;
        snprintf(z->tz, sizeof(z->tz), "%s", tz);
        moments_date *g = &z->day[CALENDAR_GREGORIAN], *p = &z->day[CALENDAR_PERSIAN];
        int hour2;
        z->ok = calendar_local(CALENDAR_GREGORIAN, tz, c->now, &g->y, &g->m, &g->d, &z->hour) == 0 &&
                calendar_local(CALENDAR_PERSIAN, tz, c->now, &p->y, &p->m, &p->d, &hour2) == 0;
        return z;
    }
    return NULL;
}

/* ---- one gift ---- */

static const char *localized(const json_t *o, const char *locale)
{
    json_t *t = json_object_get(o, locale);
    if (!json_is_string(t))
        t = json_object_get(o, strcmp(locale, "fa") == 0 ? "en" : "fa");
    return json_string_value(t);
}

/* The moment's message for the member, in the outbox; g->message says what became of it. */
static int message_enqueue(run_ctx *c, const store_moment *m, const member *mb, store_moment_grant *g)
{
    json_t *msg = m->message ? json_loads(m->message, 0, NULL) : NULL;
    const char *channel = json_string_value(json_object_get(msg, "channel"));
    if (!channel) {
        json_decref(msg);
        snprintf(g->message, sizeof(g->message), "none");
        return STORE_OK;
    }
    bool email = strcmp(channel, "email") == 0, sms = strcmp(channel, "sms") == 0;
    if ((email && (!mb->consent_email || !mb->email[0])) || (sms && (!mb->consent_sms || !mb->phone[0]))) {
        json_decref(msg);
        snprintf(g->message, sizeof(g->message), "no_consent");
        return STORE_OK;
    }
    const char *locale = strcmp(mb->locale, "fa") == 0 ? "fa" : "en";
    char points[64];
    template_number(g->points, locale, points, sizeof(points));
    template_var v[] = {{"given_name", mb->given_name}, {"family_name", mb->family_name}, {"points", points},
                        {"tier", ""}};
    const char *subject_t = localized(json_object_get(msg, "subject"), locale);
    const char *body_t = localized(json_object_get(msg, "body"), locale);
    char *subject = subject_t ? template_render(subject_t, v, 4, false) : NULL;
    char *body = body_t ? template_render(body_t, v, 4, false) : NULL;
    /* the dedupe key: one message per (moment, member, year), as the grant row it belongs to */
    char key[96];
    snprintf(key, sizeof(key), "moment:%lld:%lld:%d", (long long)m->id, (long long)mb->id, g->year);
    json_t *data = json_pack("{s:I, s:i, s:s}", "moment_id", (json_int_t)m->id, "year", g->year, "dedupe_key", key);
    store_outbox_msg om = {.kind = "moment", .channel = channel, .member_id = mb->id,
                           .destination = email ? mb->email : sms ? mb->phone : "", .locale = locale,
                           .subject = subject, .body_text = body, .data = data, .ref_id = m->id, .now = c->now,
                           .not_after = c->now + 24LL * 3600 * 1000};
    int status = store_outbox_enqueue(c->tx, &om, &g->message_id);
    snprintf(g->message, sizeof(g->message), "queued");
    /* what the message costs (programme, by channel), as a campaign's messages count against it */
    int64_t cost = sms ? c->prog.message_cost_sms_minor : email ? c->prog.message_cost_email_minor : 0;
    if (status == STORE_OK && cost > 0) {
        char ref[48];
        snprintf(ref, sizeof(ref), "message:%lld", (long long)g->message_id);
        status = store_tx_moment_cost(c->tx, m->id, "messages", cost, c->now, ref);
        g->cost_minor += cost;
    }
    free(subject);
    free(body);
    json_decref(data);
    json_decref(msg);
    return status;
}

static void gift_code(char out[GIFT_CODE_LEN + 1])
{
    static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"; /* as the redemption codes: no 0/O, 1/I */
    for (int i = 0; i < GIFT_CODE_LEN; i++)
        out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
    out[GIFT_CODE_LEN] = '\0';
}

/* A reward as a redemption of no points, its stock taken; g->reason "stock" when none is left. */
static int reward_give(run_ctx *c, const store_moment *m, const member *mb, store_moment_grant *g)
{
    store_reward rw;
    int status = store_tx_reward_get(c->tx, m->gift_reward_id, &rw);
    if (status == STORE_OK && !rw.active)
        status = STORE_INVALID;
    if (status == STORE_OK)
        status = store_tx_reward_stock_take(c->tx, rw.id, c->now);
    if (status == STORE_INVALID || status == STORE_NOTFOUND) {
        snprintf(g->reason, sizeof(g->reason), "stock");
        return STORE_OK;
    }
    if (status != STORE_OK)
        return status;
    store_redemption d = {.member_id = mb->id, .reward_id = rw.id, .points = 0, .created_at = c->now,
                          .updated_at = c->now};
    snprintf(d.status, sizeof(d.status), "%s", strcmp(rw.kind, "gift") == 0 ? "ordered" : "issued");
    gift_code(d.code);
    snprintf(d.idempotency_key, sizeof(d.idempotency_key), "moment:%lld:%d", (long long)m->id, g->year);
    if ((status = store_tx_redemption_insert(c->tx, &d)) != STORE_OK)
        return status;
    g->redemption_id = d.id;
    if (rw.cost_minor > 0) {
        char ref[48];
        snprintf(ref, sizeof(ref), "redemption:%lld", (long long)d.id);
        status = store_tx_moment_cost(c->tx, m->id, "gifts", rw.cost_minor, c->now, ref);
        g->cost_minor += rw.cost_minor;
    }
    return status;
}

/* The gift itself: the reward (first: without stock nothing is given), the points, the message. */
static int gift_give(run_ctx *c, const store_moment *m, const member *mb, store_moment_grant *g)
{
    int status = m->gift_reward_id ? reward_give(c, m, mb, g) : STORE_OK;
    if (status != STORE_OK || g->reason[0])
        return status;
    if (m->gift_points > 0) {
        char account[40], ref[64];
        snprintf(account, sizeof(account), "moment:%lld", (long long)m->id);
        points_ref pr = {.kind = "moment", .actor = account};
        /* an immediate lot from the moment's own account (points_refund credits from any account, at once) */
        if ((status = points_refund(c->tx, &c->prog, mb->id, m->gift_points, c->now, account, &pr)) != STORE_OK)
            return status;
        g->points = m->gift_points;
        int64_t value = m->gift_points * c->prog.point_value_minor;
        snprintf(ref, sizeof(ref), "moment_grant:%lld:%lld:%d", (long long)m->id, (long long)mb->id, g->year);
        if (value > 0 && (status = store_tx_moment_cost(c->tx, m->id, "points", value, c->now, ref)) != STORE_OK)
            return status;
        g->cost_minor += value;
    }
    if ((status = message_enqueue(c, m, mb, g)) != STORE_OK)
        return status;
    if (!m->gift_reward_id && m->gift_points == 0 && strcmp(g->message, "queued") != 0)
        snprintf(g->reason, sizeof(g->reason), "no_consent"); /* a message-only moment nobody may receive */
    return STORE_OK;
}

/* The member's own date of the moment (the year it started) from the row: false when it no longer has month-day md
 * (changed since the index was read: impossible within the job's transaction, but cheap to check). */
static bool origin_of(run_ctx *c, const store_moment *m, const member *mb, calendar_kind cal, int md,
                      moments_date *origin)
{
    if (strcmp(m->kind, "birthday") == 0) {
        *origin = (moments_date){mb->birthday_y, mb->birthday_m, mb->birthday_d};
        return mb->has_birthday && mb->birthday_calendar == cal && mb->birthday_m * 100 + mb->birthday_d == md;
    }
    char text[64];
    if (store_tx_moment_attribute(c->tx, m, mb->id, text, sizeof(text)) != STORE_OK)
        return false;
    return calendar_date_parse(text, strlen(text), cal, &origin->y, &origin->m, &origin->d, NULL) == 0 &&
           origin->m * 100 + origin->d == md;
}

/* Records (m, member, year): holdout, skipped or granted with its gift. */
static int grant(run_ctx *c, const store_moment *m, int64_t member_id, calendar_kind cal, int md, int year,
                 const moments_date *anniversary)
{
    member mb;
    int status = store_tx_member_get(c->tx, member_id, &mb);
    if (status == STORE_NOTFOUND)
        return STORE_OK;
    if (status != STORE_OK)
        return status;
    moments_date origin = anniversary ? *anniversary : (moments_date){0};
    if (!anniversary && !mb.erased_at && (!origin_of(c, m, &mb, cal, md, &origin) || year <= origin.y)) {
        member_release(&mb);
        return STORE_OK; /* not this member's day after all */
    }
    store_moment_grant g = {.moment_id = m->id, .member_id = member_id, .year = year, .at = c->now};
    if (mb.erased_at) {
        snprintf(g.reason, sizeof(g.reason), "erased");
    } else if (moments_holdout(m->id, member_id, year, m->holdout_permille)) {
        snprintf(g.outcome, sizeof(g.outcome), "holdout");
    } else {
        status = gift_give(c, m, &mb, &g);
    }
    if (!g.outcome[0])
        snprintf(g.outcome, sizeof(g.outcome), "%s", g.reason[0] ? "skipped" : "granted");
    if (status == STORE_OK)
        status = store_tx_moment_grant_insert(c->tx, &g);
    if (status == STORE_OK)
        c->done++;
    member_release(&mb);
    return status;
}

/* ---- finding today's members ---- */

/* One candidate from the index: its zone's day and hour decide, then the exactly-once record. */
static int candidate(run_ctx *c, const store_moment *m, moments_leap policy, calendar_kind cal, int md,
                     const store_moment_candidate *cd)
{
    const zone_day *z = zone_of(c, cd->time_zone);
    if (!z || !z->ok || z->hour < m->send_hour)
        return STORE_OK;
    moments_date origin = {0, md / 100, md % 100};
    bool anniversary = strcmp(m->kind, "anniversary") == 0;
    if (anniversary) {
        /* the local day of joining in the moment's calendar (md is the Gregorian UTC month-day it was found by) */
        int hour;
        if (calendar_local(cal, cd->time_zone, cd->created_at, &origin.y, &origin.m, &origin.d, &hour) != 0)
            return STORE_OK;
    }
    int year;
    if (!moments_due(cal, &origin, &z->day[cal], policy, &year))
        return STORE_OK;
    bool granted;
    int status = store_tx_moment_granted(c->tx, m->id, cd->member_id, year, &granted);
    if (status != STORE_OK || granted)
        return status;
    return grant(c, m, cd->member_id, cal, md, year, anniversary ? &origin : NULL);
}

static int moment_calendar(run_ctx *c, const store_moment *m, moments_leap policy, calendar_kind cal)
{
    int mds[MOMENTS_MDS_MAX];
    /* A day of joining is indexed as a Gregorian UTC month-day: a member's own zone may put it a day to either side,
     * and a Jalali anniversary falls on Gregorian days that move by a day or two from year to year (Nowruz is on 20,
     * 21 or 22 March), so its search is wider; the day itself is then checked in the member's zone and calendar. */
    bool anniversary = strcmp(m->kind, "anniversary") == 0;
    int n = anniversary ? moments_candidate_mds(CALENDAR_GREGORIAN, c->now, cal == CALENDAR_GREGORIAN ? 1 : 3, mds)
                        : moments_candidate_mds(cal, c->now, 0, mds);
    if (n < 0)
        return STORE_ERROR;
    for (int i = 0; i < n && c->done < c->limit; i++) {
        int count = 0;
        int status = store_tx_moment_candidates(c->tx, m, calendar_name(cal), mds[i], c->cands,
                                                MOMENTS_CANDIDATES_MAX, &count);
        for (int j = 0; j < count && status == STORE_OK && c->done < c->limit; j++)
            status = candidate(c, m, policy, cal, mds[i], &c->cands[j]);
        if (status != STORE_OK)
            return status;
    }
    return STORE_OK;
}

static int moment_run(run_ctx *c, const store_moment *m)
{
    moments_leap policy = MOMENTS_LEAP_BEFORE;
    moments_leap_from_name(m->leap_policy, &policy);
    calendar_kind own = CALENDAR_GREGORIAN;
    if (strcmp(m->kind, "birthday") != 0 && calendar_from_name(m->calendar, &own) != 0)
        return STORE_OK;
    if (strcmp(m->kind, "birthday") != 0)
        return moment_calendar(c, m, policy, own);
    int status = moment_calendar(c, m, policy, CALENDAR_GREGORIAN);
    return status == STORE_OK ? moment_calendar(c, m, policy, CALENDAR_PERSIAN) : status;
}

int moments_run(store_tx *tx, int64_t now, int limit, int *done)
{
    *done = 0;
    store_moment *ms = calloc(STORE_MOMENTS_ACTIVE_MAX, sizeof(*ms));
    run_ctx c = {.tx = tx, .now = now, .limit = limit, .zones = calloc(ZONES_SLOTS, sizeof(zone_day)),
                 .cands = calloc(MOMENTS_CANDIDATES_MAX, sizeof(store_moment_candidate))};
    if (!ms || !c.zones || !c.cands)
        abort(); /* out of memory */
    int n = 0;
    int status = store_tx_moments_active(tx, ms, STORE_MOMENTS_ACTIVE_MAX, &n);
    if (status == STORE_OK && n > 0)
        status = points_programme_get(tx, &c.prog);
    for (int i = 0; i < n && status == STORE_OK && c.done < limit; i++)
        status = moment_run(&c, &ms[i]);
    for (int i = 0; i < n; i++)
        store_moment_release(&ms[i]);
    free(ms);
    free(c.zones);
    free(c.cands);
    *done = c.done;
    return status;
}
