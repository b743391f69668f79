/* bench/moments_bench.c: the moments benchmark (bench/run.sh, section "moments").
 *
 *   moments_bench gen DATA_DIR MEMBERS    creates DATA_DIR/bashgah.db with MEMBERS members spread over 40 time zones
 *       (whole, half and quarter hour offsets, both hemispheres), about 90% with a birthday (a third of them in
 *       the Persian calendar, 29 February and 30 Esfand among them), and one active birthday moment of 100 points
 *       at 10:00 local with a message.
 *   moments_bench run DATA_DIR START_MS HOURS   runs the moments job (src/jobs/moments.c) as the server would at
 *       each whole hour from START_MS (plus one minute) for HOURS hours: each hour one local hour (10:00) comes to
 *       the zones of that offset, across every zone. Each run is one writer transaction, timed; prints each hour's
 *       runs, gifts and milliseconds, then run_max_ms, run_median_ms and gifts, and the query plan of the lookup.
 *
 * Member ids and their fields come from a fixed integer hash, so the same MEMBERS give the same data. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/calendar.h"
#include "core/member.h"
#include "jobs/moments.h"
#include "store/store.h"

static const char *const zones[] = {
    "Asia/Tehran",        "Asia/Tehran",       "Asia/Tehran",          "Asia/Tehran",     "Europe/Berlin",
    "Europe/London",      "UTC",               "America/Los_Angeles",  "America/New_York", "America/Chicago",
    "America/Denver",     "America/Sao_Paulo", "America/St_Johns",     "Pacific/Honolulu", "Pacific/Auckland",
    "Pacific/Chatham",    "Pacific/Kiritimati", "Pacific/Pago_Pago",   "Asia/Kolkata",    "Asia/Kathmandu",
    "Asia/Tokyo",         "Asia/Shanghai",     "Asia/Dubai",           "Asia/Kabul",      "Asia/Karachi",
    "Asia/Dhaka",         "Asia/Yangon",       "Asia/Bangkok",         "Australia/Sydney", "Australia/Adelaide",
    "Australia/Eucla",    "Australia/Perth",   "Africa/Cairo",         "Africa/Lagos",    "Africa/Nairobi",
    "Europe/Moscow",      "Atlantic/Azores",   "America/Anchorage",    "Asia/Tbilisi",    "Europe/Istanbul",
};
#define NZONES (sizeof(zones) / sizeof(zones[0]))

static uint64_t hash(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static double mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int fail(const char *what, sqlite3 *db)
{
    fprintf(stderr, "moments_bench: %s: %s\n", what, db ? sqlite3_errmsg(db) : "failed");
    return 1;
}

/* A birthday for member i, or "" for none: real days of its calendar, 29 February and 30 Esfand among them. */
static void birthday_of(uint64_t i, char *out, size_t cap, const char **cal)
{
    uint64_t h = hash(i * 7919 + 1);
    out[0] = '\0';
    if (h % 10 == 0)
        return;
    bool persian = (h >> 8) % 3 == 0;
    int y = persian ? 1340 + (int)((h >> 16) % 60) : 1960 + (int)((h >> 16) % 50);
    int m = 1 + (int)((h >> 24) % 12), d = 1 + (int)((h >> 32) % 31);
    int gy, gm, gd;
    calendar_kind k = persian ? CALENDAR_PERSIAN : CALENDAR_GREGORIAN;
    while (d > 28 && calendar_to_gregorian(k, y, m, d, &gy, &gm, &gd) != 0)
        d--;
    *cal = persian ? "persian" : "gregorian";
    snprintf(out, cap, "%04d-%02d-%02d", y, m, d);
}

static int moment_add(store_tx *tx, void *arg)
{
    store_moment m = {.gift_points = 100, .send_hour = 10, .active = true, .created_at = 1, .updated_at = 1};
    snprintf(m.name, sizeof(m.name), "Birthday");
    snprintf(m.kind, sizeof(m.kind), "birthday");
    snprintf(m.calendar, sizeof(m.calendar), "gregorian");
    snprintf(m.leap_policy, sizeof(m.leap_policy), "before");
    snprintf(m.created_by, sizeof(m.created_by), "bench");
    m.message = "{\"channel\":\"inbox\",\"subject\":{\"en\":\"Happy birthday\"},\"body\":{\"en\":\"{points} points\"}}";
    return store_tx_moment_insert(tx, &m);
}

static int gen(const char *dir, long members)
{
    char err[256], path[4096];
    store *s;
    if (store_open(&s, dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "moments_bench: %s\n", err);
        return 1;
    }
    int status = store_run(s, moment_add, NULL);
    store_close(s);
    if (status != STORE_OK)
        return fail("moment", NULL);
    snprintf(path, sizeof(path), "%s/bashgah.db", dir);
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return fail("open", db);
    sqlite3_exec(db, "PRAGMA synchronous=OFF; BEGIN", NULL, NULL, NULL);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO members (id, given_name, birthday, birthday_calendar, time_zone, locale, "
                               "kind, created_at, updated_at) VALUES (?, 'M', ?, ?, ?, 'en', 'customer', ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return fail("prepare", db);
    for (long i = 1; i <= members; i++) {
        char bday[16];
        const char *cal = NULL;
        birthday_of((uint64_t)i, bday, sizeof(bday), &cal);
        int64_t created = INT64_C(1600000000000) + (int64_t)(hash((uint64_t)i) % INT64_C(100000000000));
        sqlite3_bind_int64(st, 1, i);
        if (bday[0]) {
            sqlite3_bind_text(st, 2, bday, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 3, cal, -1, SQLITE_STATIC);
        } else {
            sqlite3_bind_null(st, 2);
            sqlite3_bind_null(st, 3);
        }
        sqlite3_bind_text(st, 4, zones[hash((uint64_t)i * 31 + 7) % NZONES], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, created);
        sqlite3_bind_int64(st, 6, created);
        if (sqlite3_step(st) != SQLITE_DONE)
            return fail("insert", db);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    /* Each member's row of aggregates (member_stats), all zero, as bashgah adds it with the member. */
    if (sqlite3_exec(db,
                     "INSERT INTO member_stats (member_id) SELECT id FROM members; COMMIT; ANALYZE; "
                     "PRAGMA wal_checkpoint(TRUNCATE)",
                     NULL, NULL, NULL) != SQLITE_OK)
        return fail("commit", db);
    sqlite3_close(db);
    printf("members=%ld zones=%zu\n", members, NZONES);
    return 0;
}

typedef struct job_arg {
    int64_t now;
    int done;
} job_arg;

static int job(store_tx *tx, void *arg)
{
    job_arg *a = arg;
    return moments_run(tx, a->now, MOMENTS_RUN_MAX, &a->done);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void plan(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/bashgah.db", dir);
    sqlite3 *db;
    sqlite3_stmt *st;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT id, time_zone, 0 FROM members INDEXED BY members_birthday "
                               "WHERE birthday_calendar = 'gregorian' AND " MEMBER_BIRTHDAY_MD_SQL " = 615", -1, &st,
                               NULL) != SQLITE_OK) {
        fail("plan", db);
        sqlite3_close(db);
        return;
    }
    while (sqlite3_step(st) == SQLITE_ROW)
        printf("plan: %s\n", (const char *)sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static int run(const char *dir, int64_t start, int hours)
{
    char err[256];
    store *s;
    if (store_open(&s, dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "moments_bench: %s\n", err);
        return 1;
    }
    double *runs = calloc((size_t)hours * 64 + 64, sizeof(double));
    int nruns = 0;
    long gifts = 0;
    for (int h = 0; h < hours; h++) {
        job_arg a = {.now = start + (int64_t)h * 3600 * 1000 + 60 * 1000, .done = MOMENTS_RUN_MAX};
        double hour_ms = 0;
        int hour_runs = 0;
        long hour_gifts = 0;
        while (a.done >= MOMENTS_RUN_MAX && hour_runs < 64) {
            double t0 = mono_ms();
            if (store_run(s, job, &a) != STORE_OK) {
                store_close(s);
                return fail("job", NULL);
            }
            double ms = mono_ms() - t0;
            runs[nruns++] = ms;
            hour_ms += ms;
            hour_runs++;
            hour_gifts += a.done;
        }
        gifts += hour_gifts;
        printf("hour=%d runs=%d gifts=%ld ms=%.1f\n", h, hour_runs, hour_gifts, hour_ms);
    }
    store_close(s);
    qsort(runs, (size_t)nruns, sizeof(double), cmp_double);
    printf("runs=%d gifts=%ld run_max_ms=%.1f run_median_ms=%.1f\n", nruns, gifts, runs[nruns - 1], runs[nruns / 2]);
    free(runs);
    plan(dir);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "gen") == 0)
        return gen(argv[2], strtol(argv[3], NULL, 10));
    if (argc == 5 && strcmp(argv[1], "run") == 0)
        return run(argv[2], (int64_t)strtoll(argv[3], NULL, 10), (int)strtol(argv[4], NULL, 10));
    fprintf(stderr, "usage: moments_bench gen DATA_DIR MEMBERS | run DATA_DIR START_MS HOURS\n");
    return 2;
}
