/* bench/pilot_bench.c: the bashgah side of the pilot benchmark (bench/run.sh, section "pilot").
 *
 *   pilot_bench gen DATA_DIR MEMBERS   creates DATA_DIR/bashgah.db with MEMBERS members spread over the five
 *       classes (member m is in class m mod 5) and one draft campaign (audience: all members, metric
 *       spend_per_member, offer: a message) to draw from.
 *   pilot_bench draw DATA_DIR SEED     times one stratified pilot draw of that campaign (5% sample and 5% control
 *       of every class) as the API runs it: reading the candidates, the draw, the wave and its assignment rows,
 *       the state change and the executor's first chunk, in one transaction, commit included. Prints the figures
 *       and the draw of the core alone (experiment_draw over the same number of units, no database).
 *
 * The campaign's id is 1; a second draw of the same data dir draws from those not yet drawn. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/pilots.h"
#include "core/experiment.h"
#include "store/store.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int fail(const char *what, sqlite3 *db)
{
    fprintf(stderr, "pilot_bench: %s: %s\n", what, db ? sqlite3_errmsg(db) : "failed");
    return 1;
}

static int gen(const char *dir, long members)
{
    static const char *const classes[] = {"main", "new", "occasional", "at_risk", "lapsed"};
    char err[256], path[4096];
    store *s;
    if (store_open(&s, dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "pilot_bench: %s\n", err);
        return 1;
    }
    store_close(s);
    snprintf(path, sizeof(path), "%s/bashgah.db", dir);
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return fail("open", db);
    sqlite3_exec(db, "PRAGMA synchronous=OFF; BEGIN", NULL, NULL, NULL);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO members (id, time_zone, locale, kind, created_at, updated_at) VALUES "
                           "(?1, 'Asia/Tehran', 'fa', 'member', 1767225600000, 1767225600000)",
                           -1, &st, NULL) != SQLITE_OK)
        return fail("prepare", db);
    for (int64_t m = 1; m <= members; m++) {
        sqlite3_bind_int64(st, 1, m);
        if (sqlite3_step(st) != SQLITE_DONE)
            return fail("insert", db);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    /* Each member's class, in its aggregates (member_stats). */
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO member_stats (member_id, class) SELECT id, ?2 FROM members WHERE id % 5 = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return fail("prepare", db);
    for (int k = 0; k < 5; k++) {
        sqlite3_bind_int(st, 1, k);
        sqlite3_bind_text(st, 2, classes[k], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            return fail("class", db);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (sqlite3_exec(db,
                     "INSERT INTO club_accounts (account, balance) VALUES ('campaign:1', 0) ON CONFLICT DO NOTHING;"
                     "INSERT INTO campaigns (id, name, metric, audience, offer, budget_money_minor, budget_points, "
                     "created_by, created_at, updated_at) VALUES (1, 'bench pilot', 'spend_per_member', "
                     "'{\"kind\":\"all\"}', '{\"kind\":\"message\"}', 0, 0, 'bench', 1767225600000, 1767225600000);"
                     "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)",
                     NULL, NULL, NULL) != SQLITE_OK)
        return fail("campaign", db);
    sqlite3_close(db);
    printf("members=%ld\n", members);
    return 0;
}

typedef struct draw_arg {
    pilot_request p;
    json_t *report;
    int http_status;
    errlist e;
} draw_arg;

static int draw_fn(store_tx *tx, void *arg)
{
    draw_arg *d = arg;
    return pilot_draw_run(tx, 1, &d->p, "bench", 1767225600000, &d->report, &d->http_status, &d->e);
}

/* The core alone: experiment_draw over n units in 5 strata, 5% and 5% of each. */
static double core_ms(int64_t n, uint64_t seed)
{
    sampling_unit *u = malloc((size_t)n * sizeof(*u));
    unsigned char *arm = malloc((size_t)n);
    if (!u || !arm)
        abort();
    int64_t sizes[5] = {0}, a[5], b[5];
    for (int64_t i = 0; i < n; i++) {
        u[i] = (sampling_unit){.id = i + 1, .stratum = (int)((i + 1) % 5)};
        sizes[(i + 1) % 5]++;
    }
    double t0 = now_ms();
    experiment_allocate(sizes, 5, n / 20, n / 20, a, b);
    experiment_draw(seed, u, (size_t)n, 5, a, b, arm, NULL);
    double ms = now_ms() - t0;
    free(u);
    free(arm);
    return ms;
}

static int draw(const char *dir, uint64_t seed)
{
    char err[256];
    store *s;
    if (store_open(&s, dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "pilot_bench: %s\n", err);
        return 1;
    }
    draw_arg d = {.p = {.sample = {.count = -1, .share = 0.05}, .control = {.count = -1, .share = 0.05},
                        .seed = seed}};
    snprintf(d.p.stratify_by, sizeof(d.p.stratify_by), "class");
    errlist_init(&d.e);
    double t0 = now_ms();
    int status = store_run(s, draw_fn, &d);
    double ms = now_ms() - t0;
    store_close(s);
    if (status != STORE_OK || !d.report) {
        fprintf(stderr, "pilot_bench: the draw failed (status %d, %d errors)\n", status, d.e.count);
        return 1;
    }
    int64_t audience = json_integer_value(json_object_get(d.report, "audience_size"));
    printf("audience=%lld pilot=%lld control=%lld strata=%zu draw_ms=%.1f core_ms=%.1f\n", (long long)audience,
           (long long)json_integer_value(json_object_get(d.report, "pilot")),
           (long long)json_integer_value(json_object_get(d.report, "control")),
           json_array_size(json_object_get(d.report, "strata")), ms, core_ms(audience, seed));
    json_decref(d.report);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "gen") == 0) {
        long n = strtol(argv[3], NULL, 10);
        if (n < 1) {
            fprintf(stderr, "pilot_bench: MEMBERS must be a positive whole number\n");
            return 2;
        }
        return gen(argv[2], n);
    }
    if (argc == 4 && strcmp(argv[1], "draw") == 0)
        return draw(argv[2], (uint64_t)strtoull(argv[3], NULL, 10));
    fprintf(stderr, "usage: pilot_bench gen DATA_DIR MEMBERS | draw DATA_DIR SEED\n");
    return 2;
}
