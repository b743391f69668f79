/* GET /api/v1/surveys/{id}/results and /export: coverage per stratum (population, invited, answered, coverage
 * against the target, margin of error at 95% with the finite population correction), then per question the
 * distribution, NPS with its interval, CSAT and the free texts, over all answers and per stratum. A group with
 * fewer than the survey's k_min answers shows its counts of people but none of its answers. Formulas:
 * src/core/stats.c, docs/surveys.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/surveys.h"
#include "core/stats.h"
#include "core/timefmt.h"
#include "http/http.h"

#define SURVEY_CELL_MAX (SURVEY_ANSWER_TEXT_MAX + 1)

/* Answers of one group (all, or one stratum), question by question. */
typedef struct group {
    char name[STORE_SURVEY_STRATUM_MAX + 1];
    int64_t n;
    json_t *tallies; /* question key -> {counts: [..] or {option: n}, texts: [..]} */
} group;

typedef struct tally {
    const store_survey *s;
    group all;
    group strata[64];
    int nstrata;
} tally;

static void group_init(group *g, const char *name)
{
    snprintf(g->name, sizeof(g->name), "%s", name);
    g->n = 0;
    g->tallies = json_object();
}

static json_t *question_slot(group *g, const json_t *q)
{
    const char *key = json_string_value(json_object_get(q, "key"));
    json_t *slot = json_object_get(g->tallies, key);
    if (slot)
        return slot;
    const char *type = json_string_value(json_object_get(q, "type"));
    if (strcmp(type, "nps") == 0 || strcmp(type, "rating") == 0) {
        json_t *counts = json_array();
        for (int i = 0; i < (strcmp(type, "nps") == 0 ? 11 : 5); i++)
            json_array_append_new(counts, json_integer(0));
        slot = json_pack("{s:o}", "counts", counts);
    } else if (strcmp(type, "text") == 0) {
        slot = json_pack("{s:[]}", "texts");
    } else {
        json_t *counts = json_object();
        size_t i;
        json_t *o;
        json_array_foreach(json_object_get(q, "options"), i, o)
            json_object_set_new(counts, json_string_value(json_object_get(o, "key")), json_integer(0));
        slot = json_pack("{s:o}", "counts", counts);
    }
    json_object_set_new(g->tallies, key, slot);
    return slot;
}

static void bump(json_t *counts, size_t i)
{
    json_array_set_new(counts, i, json_integer(json_integer_value(json_array_get(counts, i)) + 1));
}

static void bump_key(json_t *counts, const char *k)
{
    json_object_set_new(counts, k, json_integer(json_integer_value(json_object_get(counts, k)) + 1));
}

static void add_answers(group *g, const json_t *questions, json_t *answers)
{
    g->n++;
    size_t i;
    json_t *q;
    json_array_foreach(questions, i, q) {
        json_t *slot = question_slot(g, q), *a = json_object_get(answers, json_string_value(json_object_get(q, "key")));
        const char *type = json_string_value(json_object_get(q, "type"));
        if (!a)
            continue;
        if (strcmp(type, "nps") == 0)
            bump(json_object_get(slot, "counts"), (size_t)json_integer_value(a));
        else if (strcmp(type, "rating") == 0)
            bump(json_object_get(slot, "counts"), (size_t)json_integer_value(a) - 1);
        else if (strcmp(type, "text") == 0)
            json_array_append(json_object_get(slot, "texts"), a);
        else if (strcmp(type, "single") == 0)
            bump_key(json_object_get(slot, "counts"), json_string_value(a));
        else {
            size_t j;
            json_t *k;
            json_array_foreach(a, j, k) bump_key(json_object_get(slot, "counts"), json_string_value(k));
        }
    }
}

static void on_response(const char *stratum, int64_t answered_at, json_t *answers, void *arg)
{
    tally *t = arg;
    add_answers(&t->all, t->s->questions, answers);
    int h = 0;
    while (h < t->nstrata && strcmp(t->strata[h].name, stratum) != 0)
        h++;
    if (h == t->nstrata) {
        if (t->nstrata == 64)
            return;
        group_init(&t->strata[t->nstrata++], stratum);
    }
    add_answers(&t->strata[h], t->s->questions, answers);
}

static json_t *interval_json(const stats_nps *n)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:f, s:f, s:f}", "n", (json_int_t)n->n, "promoters",
                     (json_int_t)n->promoters, "passives", (json_int_t)n->passives, "detractors",
                     (json_int_t)n->detractors, "score", n->score, "low", n->low, "high", n->high);
}

/* One question's summary for a group: counts, and NPS, CSAT and mean where they apply. */
static json_t *question_json(const json_t *q, json_t *slot, bool with_texts)
{
    const char *type = json_string_value(json_object_get(q, "type"));
    json_t *o = json_pack("{s:O, s:O}", "key", json_object_get(q, "key"), "type", json_object_get(q, "type"));
    json_t *counts = json_object_get(slot, "counts");
    if (strcmp(type, "nps") == 0 || strcmp(type, "rating") == 0) {
        int64_t c[11] = {0}, sum = 0, n = 0;
        for (size_t i = 0; i < json_array_size(counts); i++) {
            c[i] = json_integer_value(json_array_get(counts, i));
            n += c[i];
            sum += c[i] * (int64_t)(strcmp(type, "nps") == 0 ? i : i + 1);
        }
        json_object_set(o, "counts", counts);
        json_object_set_new(o, "answers", json_integer(n));
        json_object_set_new(o, "mean", n ? json_real((double)sum / (double)n) : json_null());
        if (strcmp(type, "nps") == 0) {
            stats_nps nps;
            stats_nps_compute(c, &nps);
            json_object_set_new(o, "nps", nps.n ? interval_json(&nps) : json_null());
        } else {
            double csat = stats_csat(c);
            json_object_set_new(o, "csat", csat < 0 ? json_null() : json_real(csat));
        }
    } else if (strcmp(type, "text") == 0) {
        json_object_set_new(o, "answers", json_integer((json_int_t)json_array_size(json_object_get(slot, "texts"))));
        if (with_texts)
            json_object_set(o, "texts", json_object_get(slot, "texts"));
    } else {
        json_object_set(o, "counts", counts);
    }
    return o;
}

static json_t *group_json(const tally *t, group *g, bool with_texts)
{
    json_t *qs = json_array();
    size_t i;
    json_t *q;
    json_array_foreach(t->s->questions, i, q)
        json_array_append_new(qs, question_json(q, question_slot(g, q), with_texts));
    return qs;
}

/* Coverage rows, one per stratum, and the total. */
typedef struct coverage {
    json_t *rows;
    int64_t population, invited, answered;
    double target_pct;
} coverage;

static json_t *coverage_row(const char *name, int64_t pop, int64_t inv, int64_t ans, double target_pct)
{
    double pct = stats_coverage_pct(ans, pop);
    double moe = stats_margin_of_error(0.5, ans, pop);
    return json_pack("{s:s, s:I, s:I, s:I, s:f, s:f, s:b, s:o}", "stratum", name, "population", (json_int_t)pop,
                     "invited", (json_int_t)inv, "answered", (json_int_t)ans, "coverage_pct", pct, "target_pct",
                     target_pct, "meets_target", pct + 1e-9 >= target_pct, "margin_of_error",
                     moe < 0 ? json_null() : json_real(moe));
}

static void on_coverage(const char *stratum, int64_t pop, int64_t inv, int64_t ans, void *arg)
{
    coverage *c = arg;
    json_array_append_new(c->rows, coverage_row(stratum, pop, inv, ans, c->target_pct));
    c->population += pop, c->invited += inv, c->answered += ans;
}

/* Reads the survey and tallies its answers; replies and returns false when it cannot. */
static bool load(http_request *r, store_survey *s, tally *t, coverage *c)
{
    int status = store_survey_get(r->thread->reader, r->id, s);
    if (status != STORE_OK) {
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           status == STORE_NOTFOUND ? "there is no survey with this id" : "the survey could not be read",
                           NULL);
        return false;
    }
    memset(t, 0, sizeof(*t));
    t->s = s;
    group_init(&t->all, "all");
    *c = (coverage){.rows = json_array(), .target_pct = s->target_permille / 10.0};
    if (store_survey_coverage(r->thread->reader, s->id, on_coverage, c) != STORE_OK ||
        store_survey_responses(r->thread->reader, s->id, on_response, t) != STORE_OK) {
        http_reply_problem(r, 500, "internal", "the answers could not be read", NULL);
        return false;
    }
    return true;
}

static void release(store_survey *s, tally *t, coverage *c)
{
    json_decref(t->all.tallies);
    for (int h = 0; h < t->nstrata; h++)
        json_decref(t->strata[h].tallies);
    json_decref(c->rows);
    store_survey_release(s);
}

void http_survey_results(http_request *r)
{
    store_survey s;
    tally t;
    coverage c;
    if (!load(r, &s, &t, &c))
        return;
    int64_t k = s.k_min;
    json_t *o = json_pack("{s:I, s:b, s:I, s:f}", "survey_id", (json_int_t)s.id, "anonymous", s.anonymous, "k_min",
                          (json_int_t)k, "target_pct", c.target_pct);
    json_object_set_new(o, "coverage", json_pack("{s:o, s:O}", "total",
                                                 coverage_row("all", c.population, c.invited, c.answered, c.target_pct),
                                                 "strata", c.rows));
    json_object_set_new(o, "answers", json_integer(t.all.n));
    bool shown = t.all.n >= k;
    json_object_set_new(o, "hidden", json_boolean(!shown));
    json_object_set_new(o, "questions", shown ? group_json(&t, &t.all, true) : json_null());
    json_t *nps = json_null();
    for (size_t i = 0; shown && i < json_array_size(json_object_get(o, "questions")); i++) {
        json_t *qn = json_object_get(json_array_get(json_object_get(o, "questions"), i), "nps");
        if (qn && !json_is_null(qn)) {
            nps = json_incref(qn);
            break;
        }
    }
    json_object_set_new(o, "nps", nps);
    json_t *by = json_array();
    for (int h = 0; h < t.nstrata; h++) {
        bool show = t.strata[h].n >= k;
        /* free texts are listed over all answers only: within a small stratum a text can name its writer */
        json_array_append_new(by, json_pack("{s:s, s:I, s:b, s:o}", "stratum", t.strata[h].name, "answers",
                                            (json_int_t)t.strata[h].n, "hidden", !show, "questions",
                                            show ? group_json(&t, &t.strata[h], false) : json_null()));
    }
    json_object_set_new(o, "strata", by);
    release(&s, &t, &c);
    http_reply_json(r, 200, o);
}

/* ---- CSV export: one line per answer ---- */

static void csv_field(h2o_buffer_t **buf, const char *s, bool last)
{
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    h2o_buffer_reserve(buf, 2 * strlen(s) + 4);
    char *p = (*buf)->bytes + (*buf)->size;
    if (quote)
        *p++ = '"';
    for (; *s; s++) {
        if (*s == '"')
            *p++ = '"';
        *p++ = *s;
    }
    if (quote)
        *p++ = '"';
    *p++ = last ? '\n' : ',';
    (*buf)->size = (size_t)(p - (*buf)->bytes);
}

typedef struct export_ctx {
    const store_survey *s;
    h2o_buffer_t **buf;
} export_ctx;

static void answer_text(const json_t *a, char *out, size_t cap)
{
    out[0] = '\0';
    if (json_is_integer(a))
        snprintf(out, cap, "%lld", (long long)json_integer_value(a));
    else if (json_is_string(a))
        snprintf(out, cap, "%s", json_string_value(a));
    else if (json_is_array(a)) {
        size_t used = 0, i;
        json_t *k;
        json_array_foreach(a, i, k) if (used < cap) used += (size_t)snprintf(out + used, cap - used, "%s%s",
                                                                             i ? ";" : "", json_string_value(k));
    }
}

static void on_export(const char *stratum, int64_t answered_at, json_t *answers, void *arg)
{
    export_ctx *x = arg;
    char at[TIMEFMT_LEN], cell[SURVEY_CELL_MAX];
    timefmt_rfc3339(answered_at, at);
    csv_field(x->buf, stratum, false);
    csv_field(x->buf, at, json_array_size(x->s->questions) == 0);
    size_t i;
    json_t *q;
    json_array_foreach(x->s->questions, i, q) {
        answer_text(json_object_get(answers, json_string_value(json_object_get(q, "key"))), cell, sizeof(cell));
        csv_field(x->buf, cell, i + 1 == json_array_size(x->s->questions));
    }
}

void http_survey_export(http_request *r)
{
    store_survey s;
    tally t;
    coverage c;
    if (!load(r, &s, &t, &c))
        return;
    if (t.all.n < s.k_min) {
        errlist e;
        errlist_init(&e);
        errlist_add(&e, "k_min", "fewer than %d answers: none are shown", s.k_min);
        release(&s, &t, &c);
        http_reply_problem(r, 409, "too-few-answers", "the survey has too few answers to show", &e);
        return;
    }
    h2o_buffer_t *buf;
    h2o_buffer_init(&buf, &h2o_socket_buffer_prototype);
    csv_field(&buf, "stratum", false);
    csv_field(&buf, s.anonymous ? "answered_on" : "answered_at", json_array_size(s.questions) == 0);
    size_t i;
    json_t *q;
    json_array_foreach(s.questions, i, q)
        csv_field(&buf, json_string_value(json_object_get(q, "key")), i + 1 == json_array_size(s.questions));
    export_ctx x = {&s, &buf};
    int status = store_survey_responses(r->thread->reader, s.id, on_export, &x);
    release(&s, &t, &c);
    if (status != STORE_OK) {
        h2o_buffer_dispose(&buf);
        http_reply_problem(r, 500, "internal", "the answers could not be read", NULL);
        return;
    }
    http_send(r, 200, "text/csv; charset=utf-8", buf->bytes, buf->size, NULL, false);
    h2o_buffer_dispose(&buf);
}
