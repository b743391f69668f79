/* Keeping classes, RFM scores and values in the members' aggregates (member_stats; see classes.h). */
#include "app/classes.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/worker.h"

#define SUBMIT_TRIES_MAX 3000 /* x 10 ms: how long a chunk waits for room in a full writer queue */

static pthread_mutex_t recompute_lock = PTHREAD_MUTEX_INITIALIZER;

/* cur as the rules make it at now: scores (when there are cuts), value and class; class_since moves with the
 * class. Aggregates and first_purchase_at are taken as they are. */
static void classify(const store_member_class *cur, const class_settings *s, const rfm_all_cuts *cuts, int64_t now,
                     store_member_class *next)
{
    *next = *cur;
    if (cur->purchase_count <= 0) {
        next->r = next->f = next->m = 0;
        next->rfm_at = 0;
    } else if (cuts->customers > 0) {
        next->r = rfm_score_one(&cuts->r, cur->last_purchase_at);
        next->f = rfm_score_one(&cuts->f, cur->purchase_count);
        next->m = rfm_score_one(&cuts->m, cur->total_spent_minor);
        next->rfm_at = now;
    }
    next->has_value = cur->purchase_count > 0;
    next->value_minor = next->has_value ? rfm_value(cur->purchase_count, cur->total_spent_minor, cur->first_purchase_at,
                                                    now, s->value_horizon_days, s->value_min_tenure_days)
                                        : 0;
    class_input in = {.purchase_count = cur->purchase_count, .total_spent_minor = cur->total_spent_minor,
                      .first_purchase_at = cur->first_purchase_at, .last_purchase_at = cur->last_purchase_at,
                      .r = next->r, .f = next->f, .m = next->m};
    const char *name = classes_name(classes_of(&in, s, now));
    if (strcmp(name, cur->class_name) != 0) {
        memcpy(next->class_name, name, strlen(name) + 1);
        next->class_since = now;
    }
}

/* Writes next over cur when anything changed, and the history row when the class moved. */
static int write_changes(store_tx *tx, const store_member_class *cur, const store_member_class *next, int64_t now,
                         const char *reason, bool *written, bool *moved)
{
    *moved = strcmp(cur->class_name, next->class_name) != 0;
    *written = *moved || cur->r != next->r || cur->f != next->f || cur->m != next->m || cur->rfm_at != next->rfm_at ||
               cur->has_value != next->has_value || cur->value_minor != next->value_minor ||
               cur->first_purchase_at != next->first_purchase_at;
    int status = *written ? store_tx_member_class_set(tx, next, *moved) : STORE_OK;
    if (status == STORE_OK && *moved)
        status = store_tx_class_change_insert(tx, cur->id, cur->class_name, next->class_name, now, reason);
    return status;
}

static int after_transaction(store_tx *tx, int64_t member_id, int64_t first_at, int64_t now, const char *reason)
{
    class_settings s;
    rfm_all_cuts cuts;
    store_member_class cur, next;
    int status = store_tx_class_context(tx, &s, &cuts);
    if (status == STORE_OK)
        status = store_tx_member_class_get(tx, member_id, &cur);
    if (status != STORE_OK)
        return status;
    store_member_class base = cur;
    if (first_at && (base.first_purchase_at == 0 || first_at < base.first_purchase_at))
        base.first_purchase_at = first_at;
    classify(&base, &s, &cuts, now, &next);
    bool written, moved;
    return write_changes(tx, &cur, &next, now, reason, &written, &moved);
}

int classes_on_purchase(store_tx *tx, const store_member_class *cur, int64_t occurred_at, int64_t now,
                        store_member_class *next, bool *moved)
{
    class_settings s;
    rfm_all_cuts cuts;
    int status = store_tx_class_context(tx, &s, &cuts);
    if (status != STORE_OK)
        return status;
    store_member_class base = *cur;
    if (occurred_at && (base.first_purchase_at == 0 || occurred_at < base.first_purchase_at))
        base.first_purchase_at = occurred_at;
    classify(&base, &s, &cuts, now, next);
    *moved = strcmp(cur->class_name, next->class_name) != 0;
    return *moved ? store_tx_class_change_insert(tx, cur->id, cur->class_name, next->class_name, now, "purchase")
                  : STORE_OK;
}

int classes_on_return(store_tx *tx, int64_t member_id, int64_t now)
{
    return after_transaction(tx, member_id, 0, now, "return");
}

/* ---- reading the population and computing the cuts, on two threads ---- */

typedef struct population_part {
    store *s;
    int64_t after_id, upto_id;
    store_class_population pop;
    int status;
} population_part;

static void *read_part(void *arg)
{
    population_part *p = arg;
    store_reader *r = store_reader_open(p->s);
    p->status = r ? store_class_population_read(r, p->after_id, p->upto_id, &p->pop) : STORE_ERROR;
    store_reader_close(r);
    return NULL;
}

/* Appends b's arrays to a's and releases b. */
static void population_join(store_class_population *a, store_class_population *b)
{
    int64_t **into[3] = {&a->last, &a->count, &a->spent}, *from[3] = {b->last, b->count, b->spent};
    for (int i = 0; i < 3 && b->n; i++) {
        int64_t *grown = realloc(*into[i], (a->n + b->n) * sizeof(int64_t));
        if (!grown)
            abort(); /* out of memory */
        memcpy(grown + a->n, from[i], b->n * sizeof(int64_t));
        *into[i] = grown;
    }
    a->n += b->n;
    store_class_population_release(b);
}

/* Runs fn(arg) on a thread of its own, or here when no thread can be made; join_part() waits for it. */
static bool run_part(pthread_t *t, void *(*fn)(void *), void *arg)
{
    if (pthread_create(t, NULL, fn, arg) == 0)
        return true;
    fn(arg);
    return false;
}

static int read_population(store *s, store_class_population *pop)
{
    store_reader *r = store_reader_open(s);
    int64_t max_id = 0;
    int status = r ? store_member_id_max(r, &max_id) : STORE_ERROR;
    store_reader_close(r);
    if (status != STORE_OK)
        return status;
    population_part parts[2] = {{.s = s, .after_id = 0, .upto_id = max_id / 2},
                                {.s = s, .after_id = max_id / 2, .upto_id = max_id}};
    pthread_t t;
    bool threaded = run_part(&t, read_part, &parts[1]);
    read_part(&parts[0]);
    if (threaded)
        pthread_join(t, NULL);
    status = parts[0].status != STORE_OK ? parts[0].status : parts[1].status;
    population_join(&parts[0].pop, &parts[1].pop);
    *pop = parts[0].pop;
    if (status != STORE_OK)
        store_class_population_release(pop);
    return status;
}

typedef struct cut_part {
    const int64_t *values;
    size_t n;
    int64_t *scratch;
    rfm_cuts *out;
} cut_part;

static void *cut(void *arg)
{
    cut_part *c = arg;
    rfm_cuts_of(c->values, c->n, c->scratch, c->out);
    return NULL;
}

int classes_compute_cuts(store *s, rfm_all_cuts *out, store_class_population *pop)
{
    store_class_population p;
    int status = read_population(s, &p);
    if (status != STORE_OK)
        return status;
    size_t n = p.n ? p.n : 1;
    int64_t *scratch = malloc(4 * n * sizeof(int64_t)); /* 2n for each of two threads */
    if (!scratch)
        abort(); /* out of memory */
    memset(out, 0, sizeof(*out));
    /* M (the widest values) on a second thread while this one does R and F */
    cut_part m = {p.spent, p.n, scratch + 2 * n, &out->m};
    pthread_t t;
    bool threaded = run_part(&t, cut, &m);
    rfm_cuts_of(p.last, p.n, scratch, &out->r);
    rfm_cuts_of(p.count, p.n, scratch, &out->f);
    if (threaded)
        pthread_join(t, NULL);
    out->customers = (int64_t)p.n;
    free(scratch);
    if (pop)
        *pop = p;
    else
        store_class_population_release(&p);
    return STORE_OK;
}

/* ---- the recompute, chunk by chunk ---- */

typedef struct chunk {
    store_job job;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool finished;
    class_settings settings;
    rfm_all_cuts cuts;
    int64_t now, after_id;
    bool save_cuts; /* the first chunk stores the cuts, so purchases from then on score against them */
    int n;          /* rows read by the last run: fewer than CLASSES_CHUNK means the end */
    classes_summary *sum;
    store_member_class rows[CLASSES_CHUNK];
} chunk;

static int chunk_write(store_tx *tx, void *arg)
{
    chunk *c = arg;
    int status = c->save_cuts ? store_tx_rfm_cuts_set(tx, &c->cuts, c->now) : STORE_OK;
    if (status == STORE_OK)
        status = store_tx_member_class_page(tx, c->after_id, c->rows, CLASSES_CHUNK, &c->n);
    int64_t written = 0, changed = 0;
    for (int i = 0; status == STORE_OK && i < c->n; i++) {
        const store_member_class *cur = &c->rows[i];
        store_member_class next;
        classify(cur, &c->settings, &c->cuts, c->now, &next);
        /* 'time' when the old scores alone give the new class, else the new scores moved the member */
        class_input old = {.purchase_count = cur->purchase_count, .total_spent_minor = cur->total_spent_minor,
                           .first_purchase_at = cur->first_purchase_at, .last_purchase_at = cur->last_purchase_at,
                           .r = cur->r, .f = cur->f, .m = cur->m};
        bool by_time = strcmp(classes_name(classes_of(&old, &c->settings, c->now)), next.class_name) == 0;
        bool w, moved;
        status = write_changes(tx, cur, &next, c->now, by_time ? "time" : "recompute", &w, &moved);
        written += w;
        changed += moved;
    }
    if (status == STORE_OK) { /* counted only once committed with the rest of the job */
        c->sum->written += written;
        c->sum->changed += changed;
        c->sum->members += c->n;
    }
    return status;
}

static void chunk_done(store_job *job)
{
    chunk *c = (chunk *)job;
    pthread_mutex_lock(&c->lock);
    c->finished = true;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

static int run_chunk(store *s, bool writer_running, chunk *c)
{
    if (!writer_running)
        return store_run(s, chunk_write, c);
    c->finished = false;
    memset(&c->job, 0, sizeof(c->job));
    c->job.fn = chunk_write;
    c->job.arg = c;
    c->job.done = chunk_done;
    int status = store_submit(s, &c->job);
    for (int tries = 0; status == STORE_FULL && tries < SUBMIT_TRIES_MAX; tries++) {
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
        status = store_submit(s, &c->job);
    }
    if (status != STORE_OK)
        return status;
    pthread_mutex_lock(&c->lock);
    while (!c->finished)
        pthread_cond_wait(&c->cond, &c->lock);
    pthread_mutex_unlock(&c->lock);
    return c->job.status;
}

static double ms_since(uint64_t t0) { return (double)(clock_mono_ns() - t0) / 1e6; }

/* Scores, classifies and writes every member, chunk after chunk. A chunk that fails stops the run: what was
 * committed before it stays (each chunk is whole on its own), and the next run starts again from the top. So does
 * a server that is stopping: it ends the run between chunks (STORE_FULL: try later) rather than hold up the stop. */
static int write_all(store *s, bool writer_running, chunk *c)
{
    int status = STORE_OK;
    do {
        if (writer_running && worker_stopping())
            return STORE_FULL;
        status = run_chunk(s, writer_running, c);
        if (status != STORE_OK)
            break;
        c->save_cuts = false;
        c->sum->chunks++;
        if (c->n > 0)
            c->after_id = c->rows[c->n - 1].id;
    } while (c->n == CLASSES_CHUNK);
    return status;
}

int classes_recompute(store *s, int64_t now, bool writer_running, classes_summary *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&recompute_lock);
    uint64_t t0 = clock_mono_ns();
    chunk *c = calloc(1, sizeof(*c));
    if (!c)
        abort(); /* out of memory */
    store_reader *r = store_reader_open(s);
    int status = r ? store_class_settings_read(r, &c->settings) : STORE_ERROR;
    store_reader_close(r);
    if (status == STORE_OK)
        status = classes_compute_cuts(s, &c->cuts, NULL);
    out->customers = c->cuts.customers;
    out->compute_ms = ms_since(t0);
    if (status == STORE_OK) {
        t0 = clock_mono_ns();
        pthread_mutex_init(&c->lock, NULL);
        pthread_cond_init(&c->cond, NULL);
        c->now = now;
        c->save_cuts = true;
        c->sum = out;
        status = write_all(s, writer_running, c);
        pthread_cond_destroy(&c->cond);
        pthread_mutex_destroy(&c->lock);
        out->write_ms = ms_since(t0);
    }
    free(c);
    pthread_mutex_unlock(&recompute_lock);
    log_msg(status == STORE_OK ? LOG_INFO : LOG_WARN, "classes_recompute",
            "status=%d customers=%lld members=%lld written=%lld changed=%lld compute_ms=%.1f write_ms=%.1f", status,
            (long long)out->customers, (long long)out->members, (long long)out->written, (long long)out->changed,
            out->compute_ms, out->write_ms);
    return status;
}
