/* Pilot, evaluation and roll-out use cases (see pilots.h). The draw reads the candidates (the audience less
 * everyone already assigned in the campaign) inside the write transaction, so two draws in a row can never pick
 * the same member, and writes the wave, its assignment rows and the state change in the same commit. */
#include "app/pilots.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/campaigns.h"
#include "core/experiment.h"
#include "core/stats_ab.h"
#include "core/timefmt.h"

#define DAY_MS 86400000LL

void pilot_request_release(pilot_request *p)
{
    free(p->audience_ids);
    p->audience_ids = NULL;
    for (int i = 0; i < PILOT_SEGMENTS_MAX; i++) {
        free(p->segment_ids[i]);
        p->segment_ids[i] = NULL;
    }
}

/* ---- parsing ---- */

static void size_parse(const json_t *s, const char *field, bool required, pilot_size *out, errlist *e)
{
    *out = (pilot_size){.count = -1, .share = 0};
    char f[32];
    if (!s || json_is_null(s)) {
        if (required)
            errlist_add(e, field, "is required: {\"count\": N} or {\"share\": 0..1}");
        else
            out->count = 0;
        return;
    }
    json_t *count = json_object_get(s, "count"), *share = json_object_get(s, "share");
    if (!json_is_object(s) || json_object_size(s) != 1 || (!count && !share)) {
        errlist_add(e, field, "must be {\"count\": N} or {\"share\": 0..1}");
        return;
    }
    snprintf(f, sizeof(f), "%s.%s", field, count ? "count" : "share");
    if (count && (!json_is_integer(count) || json_integer_value(count) < 0))
        errlist_add(e, f, "must be a whole number, 0 or above");
    else if (count)
        out->count = json_integer_value(count);
    if (share && (!json_is_number(share) || json_number_value(share) < 0 || json_number_value(share) > 1))
        errlist_add(e, f, "must be a number from 0 to 1");
    else if (share)
        out->share = json_number_value(share);
}

void pilot_size_parse_text(const char *text, const char *field, pilot_size *out, errlist *e)
{
    char *end = NULL;
    double v = strtod(text, &end);
    *out = (pilot_size){.count = -1};
    if (!text[0] || !end || *end || !(v >= 0))
        errlist_add(e, field, "must be a count (a whole number) or a share (a number below 1)");
    else if (v < 1 && strchr(text, '.'))
        out->share = v;
    else if (v == floor(v) && v < 1e15)
        out->count = (int64_t)v;
    else
        errlist_add(e, field, "must be a count (a whole number) or a share (a number below 1)");
}

int64_t pilot_size_count(const pilot_size *s, int64_t audience)
{
    return s->count >= 0 ? s->count : experiment_share_count(s->share, audience);
}

static void common_parse(const json_t *body, pilot_request *p, errlist *e)
{
    json_t *seed = json_object_get(body, "seed");
    if (seed && (!json_is_integer(seed) || json_integer_value(seed) < 0 ||
                 json_integer_value(seed) >= (json_int_t)(1LL << 53)))
        errlist_add(e, "seed", "must be a whole number from 0 to 2^53 - 1");
    else if (seed)
        p->seed = (uint64_t)json_integer_value(seed);
    else
        p->seed = ((uint64_t)randombytes_random() << 21 ^ randombytes_random()) & ((1ull << 53) - 1);
    json_t *by = json_object_get(body, "stratify_by");
    const char *b = by && json_is_string(by) ? json_string_value(by) : by ? "?" : "none";
    if (strcmp(b, "none") != 0 && strcmp(b, "class") != 0 && strcmp(b, "segment") != 0)
        errlist_add(e, "stratify_by", "must be \"none\", \"class\" or \"segment\"");
    snprintf(p->stratify_by, sizeof(p->stratify_by), "%s", b);
    json_t *segs = json_object_get(body, "segments");
    if (strcmp(b, "segment") == 0 && (!json_is_array(segs) || json_array_size(segs) < 1 ||
                                      json_array_size(segs) > PILOT_SEGMENTS_MAX)) {
        errlist_add(e, "segments", "must list 1 to %d segment ids when stratify_by is \"segment\"",
                    PILOT_SEGMENTS_MAX);
        return;
    }
    if (segs && strcmp(b, "segment") != 0) {
        errlist_add(e, "segments", "is only for stratify_by \"segment\"");
        return;
    }
    size_t i;
    json_t *v;
    json_array_foreach(segs, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) < 1) {
            errlist_add(e, "segments", "must hold segment ids");
            return;
        }
        p->segments[p->nsegments++] = json_integer_value(v);
    }
}

int pilot_parse(const json_t *body, pilot_request *p, errlist *e)
{
    static const char *const fields[] = {"sample", "control", "seed", "stratify_by", "segments", NULL};
    int before = e->count;
    memset(p, 0, sizeof(*p));
    errlist_only_fields(e, body, fields);
    size_parse(json_object_get(body, "sample"), "sample", true, &p->sample, e);
    size_parse(json_object_get(body, "control"), "control", true, &p->control, e);
    common_parse(body, p, e);
    return e->count - before;
}

int pilot_rollout_parse(const json_t *body, pilot_request *p, errlist *e)
{
    static const char *const fields[] = {"holdout", "seed", "stratify_by", "segments", NULL};
    int before = e->count;
    memset(p, 0, sizeof(*p));
    errlist_only_fields(e, body, fields);
    size_parse(json_object_get(body, "holdout"), "holdout", false, &p->control, e);
    common_parse(body, p, e);
    return e->count - before;
}

/* ---- the population of a draw ---- */

typedef struct population {
    sampling_unit *units;
    size_t n, cap;
    char names[SAMPLING_STRATA_MAX][STORE_PILOT_STRATUM_MAX + 1];
    int64_t sizes[SAMPLING_STRATA_MAX];
    int strata;
    int last; /* the stratum of the candidate before, or -1 */
    bool too_many, by_class, by_segment;
    const pilot_request *p;
} population;

static int stratum_index(population *pop, const char *name)
{
    for (int h = 0; h < pop->strata; h++)
        if (strcmp(pop->names[h], name) == 0)
            return h;
    if (pop->strata == SAMPLING_STRATA_MAX)
        return -1;
    snprintf(pop->names[pop->strata], sizeof(pop->names[0]), "%s", name);
    return pop->strata++;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The first listed segment that holds the member ("segment:ID"), else "other". */
static void segment_stratum(const pilot_request *p, int64_t id, char *out, size_t cap)
{
    for (int i = 0; i < p->nsegments; i++)
        if (p->segment_ids[i] && bsearch(&id, p->segment_ids[i], p->segment_n[i], sizeof(int64_t), cmp_id)) {
            snprintf(out, cap, "segment:%lld", (long long)p->segments[i]);
            return;
        }
    snprintf(out, cap, "other");
}

/* One candidate. Rows of one stratum mostly come together (the class index is read in class order), so the
 * stratum of the row before is tried first, and a name is copied only for a stratum not seen before. */
static void collect(int64_t id, const char *cls, void *arg)
{
    population *pop = arg;
    char seg[STORE_PILOT_STRATUM_MAX + 1];
    const char *name = "all";
    if (pop->by_class)
        name = cls ? cls : "";
    else if (pop->by_segment)
        segment_stratum(pop->p, id, seg, sizeof(seg)), name = seg;
    int h = pop->last >= 0 && strcmp(pop->names[pop->last], name) == 0 ? pop->last : stratum_index(pop, name);
    if (h < 0 || pop->n >= PILOT_AUDIENCE_MAX) {
        pop->too_many = true;
        return;
    }
    pop->last = h;
    if (pop->n == pop->cap) {
        pop->cap = pop->cap ? pop->cap * 2 : 65536;
        pop->units = realloc(pop->units, pop->cap * sizeof(*pop->units));
        if (!pop->units)
            abort();
    }
    pop->units[pop->n++] = (sampling_unit){.id = id, .stratum = h};
    pop->sizes[h]++;
}

static int refuse(int code, const char *field, const char *msg, int *http_status, errlist *e)
{
    *http_status = code;
    errlist_add(e, field, "%s", msg);
    return STORE_INVALID;
}

static int by_name(const void *x, const void *y, void *arg)
{
    const population *pop = arg;
    return strcmp(pop->names[*(const int *)x], pop->names[*(const int *)y]);
}

/* Puts the strata in name order, so that the allocation (whose ties go to the lower index) and the report never
 * depend on the order in which the candidates were read. */
static void strata_by_name(population *pop)
{
    int order[SAMPLING_STRATA_MAX], to[SAMPLING_STRATA_MAX];
    for (int h = 0; h < pop->strata; h++)
        order[h] = h;
    qsort_r(order, (size_t)pop->strata, sizeof(order[0]), by_name, pop);
    char names[SAMPLING_STRATA_MAX][STORE_PILOT_STRATUM_MAX + 1];
    int64_t sizes[SAMPLING_STRATA_MAX];
    for (int k = 0; k < pop->strata; k++) {
        to[order[k]] = k;
        memcpy(names[k], pop->names[order[k]], sizeof(names[k]));
        sizes[k] = pop->sizes[order[k]];
    }
    memcpy(pop->names, names, sizeof(names[0]) * (size_t)pop->strata);
    memcpy(pop->sizes, sizes, sizeof(sizes[0]) * (size_t)pop->strata);
    for (size_t i = 0; i < pop->n; i++)
        pop->units[i].stratum = to[pop->units[i].stratum];
}

/* Reads the candidates of c into pop. */
static int population_read(store_tx *tx, const store_pilot_campaign *c, const pilot_request *p, population *pop,
                           int *http_status, errlist *e)
{
    memset(pop, 0, sizeof(*pop));
    pop->p = p;
    pop->last = -1;
    pop->by_class = strcmp(p->stratify_by, "class") == 0;
    pop->by_segment = strcmp(p->stratify_by, "segment") == 0;
    bool seg = strcmp(c->audience_kind, "segment") == 0;
    int status = store_tx_pilot_candidates(tx, c, seg ? (p->audience_ids ? p->audience_ids : (int64_t[]){0}) : NULL,
                                           seg ? p->naudience : 0, collect, pop);
    if (status == STORE_OK && pop->too_many)
        return refuse(400, "stratify_by", "the audience has too many members or strata for one draw", http_status, e);
    if (status == STORE_OK)
        strata_by_name(pop);
    return status;
}

static int by_id(const void *x, const void *y)
{
    const sampling_unit *p = x, *q = y;
    return (p->id > q->id) - (p->id < q->id);
}

/* The draw of a wave: arm A and arm B names, the allocation, and the rows. */
typedef struct wave_plan {
    const char *kind, *arm_a, *arm_b;
    int64_t want_a, want_b;
    const char *field_a, *field_b; /* what a refusal names */
} wave_plan;

static int draw_wave(store_tx *tx, int64_t campaign_id, const pilot_request *p, const wave_plan *wp,
                     population *pop, const char *actor, int64_t now, json_t **report, int *http_status, errlist *e)
{
    int64_t a[SAMPLING_STRATA_MAX] = {0}, b[SAMPLING_STRATA_MAX] = {0};
    int rc = pop->strata ? experiment_allocate(pop->sizes, pop->strata, wp->want_a, wp->want_b, a, b)
                         : (wp->want_a > 0 ? EXPERIMENT_BAD_SAMPLE : wp->want_b > 0 ? EXPERIMENT_BAD_CONTROL : 0);
    char msg[160];
    if (rc == EXPERIMENT_BAD_SAMPLE) {
        snprintf(msg, sizeof(msg), "asks for %lld members, more than the %zu of the audience not yet drawn",
                 (long long)wp->want_a, pop->n);
        return refuse(400, wp->field_a, msg, http_status, e);
    }
    if (rc == EXPERIMENT_BAD_CONTROL) {
        snprintf(msg, sizeof(msg), "would overlap the %s: %lld + %lld is more than the %zu not yet drawn",
                 wp->arm_a, (long long)wp->want_a, (long long)wp->want_b, pop->n);
        return refuse(400, wp->field_b, msg, http_status, e);
    }
    if (rc != EXPERIMENT_OK)
        return refuse(400, wp->field_a, "cannot be allocated", http_status, e);
    unsigned char *arm = malloc(pop->n ? pop->n : 1);
    int64_t *ids = malloc((pop->n ? pop->n : 1) * sizeof(*ids));
    int *strata = malloc((pop->n ? pop->n : 1) * sizeof(*strata));
    const char **arms = malloc((pop->n ? pop->n : 1) * sizeof(*arms));
    if (!arm || !ids || !strata || !arms)
        abort();
    int64_t counts[3];
    experiment_draw(p->seed, pop->units, pop->n, pop->strata, a, b, arm, counts);
    /* The drawn in member id order: each index of campaign_assignments then grows at its end instead of at random
     * places, which makes the inserts of a large wave several times cheaper. */
    size_t k = 0;
    for (size_t i = 0; i < pop->n; i++)
        if (arm[i] != EXPERIMENT_NONE) {
            pop->units[k] = pop->units[i];
            pop->units[k].draw = arm[i]; /* the draw is not needed past this point: keep the arm in its place */
            k++;
        }
    qsort(pop->units, k, sizeof(*pop->units), by_id);
    for (size_t i = 0; i < k; i++) {
        ids[i] = pop->units[i].id, strata[i] = pop->units[i].stratum;
        arms[i] = pop->units[i].draw == EXPERIMENT_A ? wp->arm_a : wp->arm_b;
    }
    json_t *sj = json_array();
    for (int h = 0; h < pop->strata; h++)
        json_array_append_new(sj, json_pack("{s:s, s:I, s:I, s:I}", "stratum", pop->names[h], "population",
                                            (json_int_t)pop->sizes[h], wp->arm_a, (json_int_t)a[h], wp->arm_b,
                                            (json_int_t)b[h]));
    char *strata_text = json_dumps(sj, JSON_COMPACT);
    bool rollout = strcmp(wp->kind, "rollout") == 0;
    store_pilot_wave w = {.campaign_id = campaign_id, .kind = wp->kind, .stratify_by = p->stratify_by,
                          .strata_json = strata_text ? strata_text : "[]", .actor = actor,
                          .seed = (int64_t)p->seed, .audience_size = (int64_t)pop->n,
                          .treated = rollout ? counts[EXPERIMENT_B] : counts[EXPERIMENT_A],
                          .control = rollout ? counts[EXPERIMENT_A] : counts[EXPERIMENT_B], .at = now};
    int status = store_tx_pilot_wave_insert(tx, &w);
    if (status == STORE_OK)
        status = store_tx_pilot_assign(tx, campaign_id, w.id, now, k, ids, arms, strata,
                                       (const char(*)[STORE_PILOT_STRATUM_MAX + 1])pop->names);
    *report = json_pack("{s:I, s:I, s:s, s:I, s:s, s:I, s:I, s:I, s:o}", "wave_id", (json_int_t)w.id, "campaign_id",
                        (json_int_t)campaign_id, "kind", wp->kind, "seed", (json_int_t)p->seed, "stratify_by",
                        p->stratify_by, "audience_size", (json_int_t)pop->n, wp->arm_a,
                        (json_int_t)counts[EXPERIMENT_A], wp->arm_b, (json_int_t)counts[EXPERIMENT_B], "strata", sj);
    free(strata_text);
    free(arm), free(ids), free(strata), free(arms);
    return status;
}

static bool state_in(const char *state, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (strcmp(state, *allowed) == 0)
            return true;
    return false;
}

static int load(store_tx *tx, int64_t id, store_pilot_campaign *c, const char *const *allowed, int *http_status,
                errlist *e)
{
    int status = store_tx_pilot_campaign(tx, id, c);
    if (status == STORE_NOTFOUND) {
        *http_status = 404;
        return status;
    }
    if (status != STORE_OK)
        return status;
    if (!state_in(c->state, allowed)) {
        char msg[96];
        snprintf(msg, sizeof(msg), "is %s: this needs the campaign in state %s", c->state, allowed[0]);
        *http_status = 409;
        errlist_add(e, "state", "%s", msg);
        return STORE_INVALID;
    }
    return STORE_OK;
}

int pilot_draw_run(store_tx *tx, int64_t campaign_id, const pilot_request *p, const char *actor, int64_t now,
                   json_t **report, int *http_status, errlist *e)
{
    static const char *const allowed[] = {"draft", "pilot", NULL};
    store_pilot_campaign c;
    population pop = {0};
    int status = load(tx, campaign_id, &c, allowed, http_status, e);
    if (status == STORE_OK)
        status = population_read(tx, &c, p, &pop, http_status, e);
    if (status == STORE_OK) {
        wave_plan wp = {"pilot", "pilot", "control", pilot_size_count(&p->sample, (int64_t)pop.n),
                        pilot_size_count(&p->control, (int64_t)pop.n), "sample", "control"};
        if (wp.want_a < 1)
            status = refuse(400, "sample", "must draw at least one member", http_status, e);
        else if (wp.want_b < 1)
            status = refuse(400, "control", "must draw at least one member", http_status, e);
        else
            status = draw_wave(tx, campaign_id, p, &wp, &pop, actor, now, report, http_status, e);
    }
    if (status == STORE_OK)
        status = campaigns_state_change(tx, campaign_id, c.state, "pilot", actor, "pilot drawn", now);
    int granted = 0; /* the first chunk at once; the executor's job grants the rest */
    if (status == STORE_OK)
        status = campaign_grant_due(tx, campaign_id, now, CAMPAIGN_GRANT_CHUNK, &granted);
    if (status == STORE_OK) {
        json_t *counts = *report;
        json_object_set_new(counts, "state", json_string("pilot"));
        json_object_set_new(counts, "mde",
                            pilot_mde_json(&c, p->has_baseline ? &p->baseline : NULL,
                                           json_integer_value(json_object_get(counts, "pilot")),
                                           json_integer_value(json_object_get(counts, "control"))));
    }
    free(pop.units);
    return status;
}

int pilot_rollout_run(store_tx *tx, int64_t campaign_id, const pilot_request *p, const char *actor, int64_t now,
                      json_t **report, int *http_status, errlist *e)
{
    static const char *const allowed[] = {"pilot", "evaluating", NULL};
    store_pilot_campaign c;
    population pop = {0};
    char last[16];
    int status = load(tx, campaign_id, &c, allowed, http_status, e);
    if (status == STORE_OK)
        status = store_tx_pilot_last_decision(tx, campaign_id, last, sizeof(last));
    if (status == STORE_OK && strcmp(last, "roll_out") != 0)
        status = refuse(409, "decision", "a manager must decide to roll out first (POST .../decision)", http_status,
                        e);
    if (status == STORE_OK)
        status = population_read(tx, &c, p, &pop, http_status, e);
    int64_t holdout = status == STORE_OK ? pilot_size_count(&p->control, (int64_t)pop.n) : 0;
    if (status == STORE_OK) {
        wave_plan wp = {"rollout", "holdout", "rollout", holdout, (int64_t)pop.n - holdout, "holdout", "holdout"};
        if (holdout > (int64_t)pop.n)
            wp.want_b = 0;
        status = draw_wave(tx, campaign_id, p, &wp, &pop, actor, now, report, http_status, e);
    }
    int permille = p->control.count >= 0 ? (pop.n ? (int)(1000 * holdout / (int64_t)pop.n) : 0)
                                          : (int)lround(p->control.share * 1000);
    if (status == STORE_OK)
        status = store_tx_pilot_holdout_set(tx, campaign_id, permille, now);
    if (status == STORE_OK)
        status = campaigns_state_change(tx, campaign_id, c.state, "running", actor, "rolled out", now);
    int granted = 0;
    if (status == STORE_OK)
        status = campaign_grant_due(tx, campaign_id, now, CAMPAIGN_GRANT_CHUNK, &granted);
    if (status == STORE_OK)
        json_object_set_new(*report, "state", json_string("running"));
    free(pop.units);
    return status;
}

/* ---- minimum detectable effect and evaluation ---- */

static bool metric_is_rate(const char *metric)
{
    return strcmp(metric, "redemption_rate") == 0 || strcmp(metric, "repeat_purchase") == 0;
}

/* The key of the survey's first NPS question, or "" when it has none. */
static int nps_key(store_reader *r, int64_t survey_id, char *out, size_t cap)
{
    out[0] = '\0';
    if (!survey_id)
        return STORE_OK;
    store_survey s;
    int status = store_survey_get(r, survey_id, &s);
    if (status != STORE_OK)
        return status == STORE_NOTFOUND ? STORE_OK : status;
    size_t i;
    json_t *q;
    json_array_foreach(s.questions, i, q)
    {
        const char *type = json_string_value(json_object_get(q, "type"));
        const char *key = json_string_value(json_object_get(q, "key"));
        if (type && key && strcmp(type, "nps") == 0) {
            snprintf(out, cap, "%s", key);
            break;
        }
    }
    store_survey_release(&s);
    return STORE_OK;
}

int pilot_baseline(store_reader *r, const store_pilot_campaign *c, int64_t now, store_sums *out)
{
    char key[96];
    int status = nps_key(r, c->survey_id, key, sizeof(key));
    if (status != STORE_OK)
        return status;
    int64_t days = c->metric_days > 0 ? c->metric_days : 30;
    return store_pilot_baseline_sums(r, c, now - days * DAY_MS, now, key[0] ? key : NULL, out);
}

json_t *pilot_mde_json(const store_pilot_campaign *c, const store_sums *baseline, int64_t n_t, int64_t n_c)
{
    bool rate = metric_is_rate(c->metric);
    json_t *o = json_pack("{s:s, s:s, s:I, s:I}", "metric", c->metric, "kind", rate ? "proportion" : "mean",
                          "treated", (json_int_t)n_t, "control", (json_int_t)n_c);
    if (!baseline || baseline->n < 2) {
        json_object_set_new(o, "baseline", json_null());
        json_object_set_new(o, "mde", json_null());
        return o;
    }
    stats_moments m = {baseline->n, baseline->sum, baseline->sum_sq};
    double mean = m.sum / (double)m.n, sd = sqrt(stats_moments_variance(&m));
    double mde = rate ? stats_mde_proportion(mean, n_t, n_c) : stats_mde_mean(sd, n_t, n_c);
    json_object_set_new(o, "baseline", json_pack("{s:I, s:f, s:f}", "n", (json_int_t)m.n, "value", mean, "sd",
                                                 rate ? sqrt(mean * (1 - mean)) : sd));
    json_object_set_new(o, "mde", mde >= 0 ? json_real(mde) : json_null());
    if (mde >= 0 && mean != 0)
        json_object_set_new(o, "mde_relative", json_real(mde / fabs(mean)));
    return o;
}

static json_t *num_or_null(double v, bool ok)
{
    return ok && isfinite(v) ? json_real(v) : json_null();
}

int pilot_evaluate(store_reader *r, const store_pilot_campaign *c, const char *arms, int64_t now, json_t **out)
{
    bool rollout = strcmp(arms, "rollout") == 0;
    const char *arm_t = rollout ? "rollout" : "pilot", *arm_c = rollout ? "holdout" : "control";
    char key[96];
    int status = nps_key(r, c->survey_id, key, sizeof(key));
    bool nps = strcmp(c->metric, "nps") == 0;
    if (status == STORE_OK && nps && !key[0])
        return STORE_INVALID;
    store_sums t = {0}, k = {0}, st = {0}, sc = {0};
    int64_t planned_t = 0, planned_c = 0;
    if (status == STORE_OK)
        status = store_pilot_arm_sums(r, c->id, arm_t, c->metric, c->metric_days, c->survey_id, key, now, &t);
    if (status == STORE_OK)
        status = store_pilot_arm_sums(r, c->id, arm_c, c->metric, c->metric_days, c->survey_id, key, now, &k);
    if (status == STORE_OK)
        status = store_pilot_arm_sums(r, c->id, arm_t, "spend_per_member", 0, 0, NULL, now, &st);
    if (status == STORE_OK)
        status = store_pilot_arm_sums(r, c->id, arm_c, "spend_per_member", 0, 0, NULL, now, &sc);
    if (status == STORE_OK)
        status = store_pilot_planned(r, c->id, rollout ? "rollout" : "pilot", &planned_t, &planned_c);
    if (status != STORE_OK)
        return status;
    bool rate = metric_is_rate(c->metric);
    stats_ab ab;
    stats_moments mt = {t.n, t.sum, t.sum_sq}, mc = {k.n, k.sum, k.sum_sq};
    if (rate)
        stats_two_proportion((int64_t)llround(t.sum), t.n, (int64_t)llround(k.sum), k.n, &ab);
    else
        stats_welch(&mt, &mc, &ab);
    /* the arms' sizes are members for every metric but NPS, where they are respondents */
    stats_srm srm;
    int64_t n_t = t.n, n_c = k.n;
    if (nps) {
        store_sums a = {0}, b = {0};
        store_pilot_arm_sums(r, c->id, arm_t, "spend_per_member", 0, 0, NULL, now, &a);
        store_pilot_arm_sums(r, c->id, arm_c, "spend_per_member", 0, 0, NULL, now, &b);
        n_t = a.n, n_c = b.n;
    }
    stats_srm_check(planned_t, planned_c, n_t, n_c, &srm);
    double spend_t = st.n ? st.sum / (double)st.n : 0, spend_c = sc.n ? sc.sum / (double)sc.n : 0;
    double incremental = sc.n && st.n ? (spend_t - spend_c) * (double)st.n : 0;
    bool has = t.n > 0 && k.n > 0;
    *out = json_pack("{s:s, s:s, s:s, s:{s:s, s:I, s:o}, s:{s:s, s:I, s:o}, s:o, s:[o, o], s:o, s:s, s:o, s:b, "
                     "s:{s:I, s:I, s:f, s:f, s:f, s:f, s:b}, s:I, s:{s:f, s:f}}",
                     "metric", c->metric, "arms", rollout ? "rollout" : "pilot", "kind", rate ? "proportion" : "mean",
                     "treated", "arm", arm_t, "n", (json_int_t)t.n, "value", num_or_null(ab.value_t, has),
                     "control", "arm", arm_c, "n", (json_int_t)k.n, "value", num_or_null(ab.value_c, has),
                     "difference", num_or_null(ab.difference, has), "ci95", num_or_null(ab.low, ab.ok),
                     num_or_null(ab.high, ab.ok), "p_value", num_or_null(ab.p_value, ab.ok), "test",
                     rate ? "two_proportion" : "welch", "df", num_or_null(ab.df, ab.ok && !rate), "significant",
                     ab.ok && ab.p_value < STATS_AB_ALPHA, "srm", "planned_treated", (json_int_t)planned_t,
                     "planned_control", (json_int_t)planned_c, "expected_ratio", srm.expected_ratio,
                     "observed_ratio", srm.observed_ratio, "chi2", srm.chi2, "p_value", srm.p_value, "flag",
                     srm.flag, "incremental_revenue_minor", (json_int_t)llround(incremental), "spend_per_member",
                     "treated", spend_t, "control", spend_c);
    json_object_set_new(*out, "at", timefmt_json(now));
    return *out ? STORE_OK : STORE_ERROR;
}
