/* bench/classes_bench.c: the bashgah side of the classes and RFM benchmark (bench/run.sh, section "classes").
 *
 *   classes_bench gen DATA_DIR MEMBERS SPAN   creates DATA_DIR/bashgah.db with MEMBERS members whose
 *       aggregates (purchase_count, total_spent_minor, first and last purchase) are those of the purchases the
 *       formula below generates; PostgreSQL generates the same purchases row by row from the same formula
 *       (bench/classes_pg.sql), so both sides hold the same data. Prints purchases= spent= last_sum= to check.
 *   classes_bench compute DATA_DIR ROUNDS      times the computation: reading every customer's aggregates and
 *       scoring R, F and M (quintiles) for each, ROUNDS times; prints the best and the median.
 *   classes_bench recompute DATA_DIR NOW_MS    the whole recompute with the write-back of scores, values and
 *       classes in chunks (app/classes.c), as the daily job does it; prints its figures.
 *
 * The formula (integer arithmetic, the same in SQL): h1(x) = (x * 2654435761 mod 2^32) / 256,
 * h2(x) = (x * 2246822519 mod 2^32) / 256. Member m makes 1 + h1(m) mod SPAN purchases (mean (SPAN + 1) / 2);
 * purchase j (0-based) of member m: amount 1000 * (1 + h1(32m + j) mod 1000), at
 * T_END - (h2(32m + j) mod 730 days in seconds) * 1000. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/classes.h"
#include "store/store.h"

#define T_END INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define SPAN_S INT64_C(63072000)     /* 730 days */

static int64_t h1(int64_t x) { return ((x * INT64_C(2654435761)) % INT64_C(4294967296)) / 256; }
static int64_t h2(int64_t x) { return ((x * INT64_C(2246822519)) % INT64_C(4294967296)) / 256; }

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int fail(const char *what, sqlite3 *db)
{
    fprintf(stderr, "classes_bench: %s: %s\n", what, db ? sqlite3_errmsg(db) : "failed");
    return 1;
}

static int gen(const char *dir, long members, long span)
{
    char err[256], path[4096];
    store *s;
    if (store_open(&s, dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "classes_bench: %s\n", err);
        return 1;
    }
    store_close(s);
    snprintf(path, sizeof(path), "%s/bashgah.db", dir);
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return fail("open", db);
    sqlite3_exec(db, "PRAGMA synchronous=OFF; BEGIN", NULL, NULL, NULL);
    /* The member row, then its aggregates (member_stats). */
    sqlite3_stmt *st, *agg;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO members (id, time_zone, locale, kind, created_at, updated_at) "
                           "VALUES (?1, 'Asia/Tehran', 'fa', 'member', ?2, ?2)",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO member_stats (member_id, purchase_count, total_spent_minor, "
                           "first_purchase_at, last_purchase_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, &agg, NULL) != SQLITE_OK)
        return fail("prepare", db);
    int64_t purchases = 0, spent = 0, last_sum = 0;
    for (int64_t m = 1; m <= members; m++) {
        int64_t count = 1 + h1(m) % span, sum = 0, first = INT64_MAX, last = 0;
        for (int64_t j = 0; j < count; j++) {
            int64_t x = 32 * m + j, at = T_END - (h2(x) % SPAN_S) * 1000;
            sum += 1000 * (1 + h1(x) % 1000);
            first = at < first ? at : first;
            last = at > last ? at : last;
        }
        sqlite3_bind_int64(st, 1, m);
        sqlite3_bind_int64(st, 2, first - 86400000);
        sqlite3_bind_int64(agg, 1, m);
        sqlite3_bind_int64(agg, 2, count);
        sqlite3_bind_int64(agg, 3, sum);
        sqlite3_bind_int64(agg, 4, first);
        sqlite3_bind_int64(agg, 5, last);
        if (sqlite3_step(st) != SQLITE_DONE || sqlite3_step(agg) != SQLITE_DONE)
            return fail("insert", db);
        sqlite3_reset(st);
        sqlite3_reset(agg);
        purchases += count;
        spent += sum;
        last_sum += last / 1000;
    }
    sqlite3_finalize(st);
    sqlite3_finalize(agg);
    if (sqlite3_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK)
        return fail("commit", db);
    sqlite3_close(db);
    printf("members=%ld purchases=%lld spent=%lld last_sum=%lld\n", members, (long long)purchases, (long long)spent,
           (long long)last_sum);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One round: what the PostgreSQL query computes, R, F and M scores for every customer, from the aggregates. */
static int compute_once(store *s, double *ms, int64_t sums[3], int64_t *customers)
{
    double t0 = now_ms();
    rfm_all_cuts cuts;
    store_class_population pop;
    if (classes_compute_cuts(s, &cuts, &pop) != STORE_OK)
        return 1;
    unsigned char *scores = malloc(3 * (pop.n ? pop.n : 1));
    if (!scores)
        abort();
    for (size_t i = 0; i < pop.n; i++) {
        scores[3 * i] = (unsigned char)rfm_score_one(&cuts.r, pop.last[i]);
        scores[3 * i + 1] = (unsigned char)rfm_score_one(&cuts.f, pop.count[i]);
        scores[3 * i + 2] = (unsigned char)rfm_score_one(&cuts.m, pop.spent[i]);
    }
    *ms = now_ms() - t0;
    sums[0] = sums[1] = sums[2] = 0;
    for (size_t i = 0; i < 3 * pop.n; i++)
        sums[i % 3] += scores[i];
    *customers = (int64_t)pop.n;
    free(scores);
    store_class_population_release(&pop);
    return 0;
}

static int compute(const char *dir, int rounds)
{
    char err[256];
    store *s;
    if (store_open(&s, dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "classes_bench: %s\n", err);
        return 1;
    }
    double best = 1e300, times[64];
    int64_t sums[3], customers = 0;
    rounds = rounds < 1 ? 1 : rounds > 64 ? 64 : rounds;
    for (int i = 0; i < rounds; i++) {
        if (compute_once(s, &times[i], sums, &customers) != 0) {
            fprintf(stderr, "classes_bench: the computation failed\n");
            return 1;
        }
        best = times[i] < best ? times[i] : best;
    }
    qsort(times, (size_t)rounds, sizeof(times[0]), cmp_double);
    printf("customers=%lld compute_best_ms=%.1f compute_median_ms=%.1f rounds=%d sum_r=%lld sum_f=%lld sum_m=%lld\n",
           (long long)customers, best, times[rounds / 2], rounds, (long long)sums[0], (long long)sums[1],
           (long long)sums[2]);
    store_close(s);
    return 0;
}

static int recompute(const char *dir, int64_t now)
{
    char err[256];
    store *s;
    if (store_open(&s, dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "classes_bench: %s\n", err);
        return 1;
    }
    classes_summary sum;
    double t0 = now_ms();
    int status = classes_recompute(s, now, false, &sum);
    double total = now_ms() - t0;
    store_close(s);
    if (status != STORE_OK) {
        fprintf(stderr, "classes_bench: the recompute failed (status %d)\n", status);
        return 1;
    }
    printf("customers=%lld members=%lld written=%lld changed=%lld chunks=%lld compute_ms=%.1f write_ms=%.1f "
           "total_ms=%.1f\n",
           (long long)sum.customers, (long long)sum.members, (long long)sum.written, (long long)sum.changed,
           (long long)sum.chunks, sum.compute_ms, sum.write_ms, total);
    return 0;
}

static long number(const char *s, const char *what)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 1) {
        fprintf(stderr, "classes_bench: %s must be a positive whole number\n", what);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "gen") == 0)
        return gen(argv[2], number(argv[3], "MEMBERS"), number(argv[4], "SPAN"));
    if (argc == 4 && strcmp(argv[1], "compute") == 0)
        return compute(argv[2], (int)number(argv[3], "ROUNDS"));
    if (argc == 4 && strcmp(argv[1], "recompute") == 0)
        return recompute(argv[2], (int64_t)strtoll(argv[3], NULL, 10));
    fprintf(stderr, "usage: classes_bench gen DATA_DIR MEMBERS SPAN | compute DATA_DIR ROUNDS | "
                    "recompute DATA_DIR NOW_MS\n");
    return 2;
}
