/* `bashgah member import` and `bashgah member export`: members from and to CSV files on the command line.
 * Import streams the file through the CSV reader into the importer, which validates each row on this thread, and
 * commits chunks of rows on a writer thread of its own: the writer stores one chunk while the next
 * is read and validated (two chunks at most in memory), so memory stays flat whatever the file size and a crash
 * loses at most the chunks in flight. Export pages through
 * the members in id order. Called from main.c's command table through cli_member. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/import.h"
#include "base/clock.h"
#include "cli/cli.h"
#include "core/member_csv.h"
#include "core/phone.h"

#define READ_CHUNK_BYTES (1 << 20)
#define FIRST_CHUNK_ROWS (IMPORT_CHUNK_ROWS / 64) /* also the smallest chunk near the file's end */
#define EXPORT_PAGE_ROWS 1000
#define PROGRESS_EVERY_NS 100000000ull /* redraw at most ten times a second */
#define PROGRESS_BAR_WIDTH 30

#define PHONE_REGION_DEF                                                                                           \
    {"phone-region", "BASHGAH_PHONE_REGION", "IR", "region for phone numbers without a country code", false}

static const config_def import_defs[] = {CLI_DATA_DEFS, PHONE_REGION_DEF};
static const config_def export_defs[] = {
    CLI_DATA_DEFS,
    PHONE_REGION_DEF,
    {"out", NULL, NULL, "write the CSV to FILE instead of standard output", false},
    {"kind", NULL, NULL, "only members of this kind: member or prospect", false},
};

#define IMPORT_USAGE "bashgah member import [--data DIR] FILE|-"
#define IMPORT_ABOUT                                                                                               \
    "Imports members from a CSV file (- for standard input). The header row names the columns, in any order:\n"  \
    "external_ref, given_name, family_name, phone, email, birthday, birthday_calendar, time_zone, locale, kind,\n" \
    "consent_email, consent_sms, attributes (id, created_at, updated_at are accepted and ignored, so an export\n"   \
    "imports again). A row updates the member with its external_ref, else its phone, else its email, and creates\n" \
    "one when there is none. An empty cell clears its field, except consent_*, time_zone, locale and kind.\n"       \
    "Prints created=N updated=M rejected=K; each rejected row as \"line L: FIELD: MESSAGE\" on standard error.\n"   \
    "Exit status: 0 when every row was imported, 1 when some were rejected or the file could not be read."
#define EXPORT_USAGE "bashgah member export [--data DIR] [--out FILE] [--kind member|prospect]"
#define EXPORT_ABOUT                                                                                               \
    "Writes every member that is not erased as CSV, in id order: id, created_at, updated_at and the import\n"      \
    "columns. The output imports again with `bashgah member import`."

/* ---- import ---- */

typedef struct import_cli {
    importer *im;
    store *s;
    int64_t rows; /* read */
    size_t chunk_rows; /* rows of the batch being filled; see on_record */
    bool header_seen, header_bad;
    /* Two batches: the reader fills one while the writer thread stores the other. Under lock: handed (the batch
     * given to the writer, NULL once it is done with it), last, done, db_failed, committed_rows. */
    import_batch *batches[2], *filling;
    pthread_t writer;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    import_batch *handed;
    bool last, done, db_failed;
    int64_t handed_rows, committed_rows; /* rows read up to the handed batch's end; in committed batches */
    /* the progress bar, drawn only when standard error is a terminal; term orders the writes to standard error
     * (rejected rows are printed by the writer thread) */
    pthread_mutex_t term;
    bool progress, drawn;
    int64_t total_bytes, read_bytes;
    uint64_t start_ns, last_draw_ns;
} import_cli;

/* Under term. */
static void progress_clear_locked(import_cli *c)
{
    if (c->drawn)
        fputs("\r\033[K", stderr);
    c->drawn = false;
}

static void progress_clear(import_cli *c)
{
    pthread_mutex_lock(&c->term);
    progress_clear_locked(c);
    pthread_mutex_unlock(&c->term);
}

static int64_t committed_rows(import_cli *c)
{
    pthread_mutex_lock(&c->lock);
    int64_t n = c->committed_rows;
    pthread_mutex_unlock(&c->lock);
    return n;
}

static void progress_draw(import_cli *c)
{
    uint64_t now = clock_mono_ns();
    if (!c->progress || now - c->last_draw_ns < PROGRESS_EVERY_NS)
        return;
    c->last_draw_ns = now;
    int64_t committed = committed_rows(c);
    double secs = (now - c->start_ns) / 1e9;
    double rate = secs > 0 ? committed / secs : 0;
    pthread_mutex_lock(&c->term);
    if (c->total_bytes > 0) {
        int filled = (int)(c->read_bytes * PROGRESS_BAR_WIDTH / c->total_bytes);
        char bar[PROGRESS_BAR_WIDTH + 1];
        for (int i = 0; i < PROGRESS_BAR_WIDTH; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[PROGRESS_BAR_WIDTH] = '\0';
        fprintf(stderr, "\r\033[K[%s] %3d%%  %lld rows  %.0f rows/s", bar, (int)(c->read_bytes * 100 / c->total_bytes),
                (long long)committed, rate);
    } else {
        fprintf(stderr, "\r\033[K%.1f MB read  %lld rows  %.0f rows/s", c->read_bytes / 1e6, (long long)committed,
                rate);
    }
    fflush(stderr);
    c->drawn = true;
    pthread_mutex_unlock(&c->term);
}

/* On the writer thread. */
static void print_row_error(int64_t line, const char *field, const char *message, void *arg)
{
    import_cli *c = arg;
    pthread_mutex_lock(&c->term);
    progress_clear_locked(c);
    fprintf(stderr, "line %lld: %s: %s\n", (long long)line, field, message);
    pthread_mutex_unlock(&c->term);
}

/* ---- the writer thread ---- */

/* Stores each handed batch in a transaction of its own, the last one with the import's audit entry. */
static void *writer_main(void *arg)
{
    import_cli *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->handed && !c->done)
            pthread_cond_wait(&c->wake, &c->lock);
        if (!c->handed)
            break;
        import_batch *b = c->handed;
        bool last = c->last;
        int64_t rows = c->handed_rows;
        pthread_mutex_unlock(&c->lock);
        int status = store_run(c->s, last ? import_write_last : import_write, b);
        pthread_mutex_lock(&c->lock);
        if (status == STORE_OK)
            c->committed_rows = rows;
        else
            c->db_failed = true;
        c->handed = NULL;
        pthread_cond_broadcast(&c->wake);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* Waits until the writer is done with the batch handed before; under lock. */
static void writer_wait_locked(import_cli *c)
{
    while (c->handed)
        pthread_cond_wait(&c->wake, &c->lock);
}

/* Hands the filled batch to the writer and takes the other one to fill. Returns -1 when the database failed
 * (this batch is not handed then). */
static int hand_over(import_cli *c, bool last)
{
    pthread_mutex_lock(&c->lock);
    writer_wait_locked(c);
    int rc = c->db_failed ? -1 : 0;
    if (rc == 0) {
        c->handed = c->filling;
        c->last = last;
        c->handed_rows = c->rows;
        c->filling = c->filling == c->batches[0] ? c->batches[1] : c->batches[0];
        pthread_cond_broadcast(&c->wake);
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

/* Waits for the writer's last batch and ends the thread. Returns -1 when the database failed. */
static int writer_finish(import_cli *c)
{
    pthread_mutex_lock(&c->lock);
    writer_wait_locked(c);
    c->done = true;
    pthread_cond_broadcast(&c->wake);
    bool failed = c->db_failed;
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->writer, NULL);
    return failed ? -1 : 0;
}

static void print_header_errors(const errlist *e)
{
    for (int i = 0; i < e->count && i < ERRLIST_MAX; i++)
        fprintf(stderr, "line 1: %s: %s\n", e->items[i].field, e->items[i].message);
    if (e->count > ERRLIST_MAX)
        fprintf(stderr, "line 1: row: %d more errors\n", e->count - ERRLIST_MAX);
    fprintf(stderr, "bashgah: the header row is not valid; nothing was imported\n");
}

/* The rows of the next chunk. The writer has nothing to do until the first chunk is full, so the first chunks are
 * small and the size doubles up to IMPORT_CHUNK_ROWS: the writer starts early and most rows still go in large
 * commits. Near the end of a file of known size they shrink again, to half the rows left (guessed from the bytes
 * left), so the writer's last chunk, which no reading overlaps, is a small one (measured on 1M rows: a full last
 * chunk kept the import waiting about 0.2 s). */
static size_t next_chunk_rows(const import_cli *c)
{
    size_t rows = c->chunk_rows * 2 < IMPORT_CHUNK_ROWS ? c->chunk_rows * 2 : IMPORT_CHUNK_ROWS;
    if (c->total_bytes > 0 && c->read_bytes > 0 && c->rows > 0) {
        /* read_bytes counts the block being parsed; half a block is a fair guess of what of it is left */
        int64_t left_bytes = c->total_bytes - c->read_bytes + READ_CHUNK_BYTES / 2;
        int64_t left_rows = left_bytes > 0 ? left_bytes * c->rows / c->read_bytes : 0;
        if ((int64_t)rows > left_rows / 2)
            rows = left_rows / 2 > FIRST_CHUNK_ROWS ? (size_t)(left_rows / 2) : FIRST_CHUNK_ROWS;
    }
    return rows;
}

/* The CSV reader's callback: the header, then rows, committing every full chunk. */
static int on_record(char *const *fields, const size_t *lens, int count, int64_t record, void *arg)
{
    import_cli *c = arg;
    if (record == 1) {
        errlist e;
        errlist_init(&e);
        if (import_header(c->im, fields, lens, count, &e) == 0) {
            c->header_seen = true;
            return 0;
        }
        progress_clear(c);
        print_header_errors(&e);
        c->header_bad = true;
        return 1;
    }
    c->rows++;
    if (import_stage(c->im, c->filling, fields, lens, count, record) < c->chunk_rows)
        return 0;
    c->chunk_rows = next_chunk_rows(c);
    return hand_over(c, false) == 0 ? 0 : 1;
}

/* Feeds the whole file to the reader. Returns 0, or -1 after printing why it stopped. */
static int read_all(import_cli *c, member_csv_reader *reader, int fd, const char *path)
{
    char *buf = malloc(READ_CHUNK_BYTES);
    if (!buf)
        abort();
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, buf, READ_CHUNK_BYTES);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            progress_clear(c);
            fprintf(stderr, "bashgah: cannot read %s: %s\n", path, strerror(errno));
            rc = -1;
            break;
        }
        c->read_bytes += n;
        if (n == 0 ? member_csv_reader_finish(reader) != 0 : member_csv_reader_feed(reader, buf, (size_t)n) != 0) {
            rc = -1;
            break;
        }
        progress_draw(c);
        if (n == 0)
            break;
    }
    free(buf);
    progress_clear(c);
    const char *why = member_csv_reader_error(reader);
    if (rc != 0 && why[0])
        fprintf(stderr, "line %lld: row: %s\n", (long long)member_csv_reader_records(reader) + 1, why);
    return rc;
}

static int open_input(const char *path)
{
    if (strcmp(path, "-") == 0)
        return STDIN_FILENO;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fprintf(stderr, "bashgah: cannot open %s: %s\n", path, strerror(errno));
    return fd;
}

/* Runs the import of an open file into an open store; returns the exit code. */
static int import_file(store *s, int fd, const char *path, const char *phone_region)
{
    member_rules rules = {phone_region, NULL, NULL, clock_now_ms()};
    store_actor actor = cli_actor();
    import_cli c = {.s = s,
                    .chunk_rows = FIRST_CHUNK_ROWS,
                    .progress = isatty(STDERR_FILENO) == 1,
                    .start_ns = clock_mono_ns()};
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        c.total_bytes = st.st_size;
    c.im = import_new(&rules, &actor, print_row_error, &c);
    c.batches[0] = import_batch_new(c.im);
    c.batches[1] = import_batch_new(c.im);
    c.filling = c.batches[0];
    pthread_mutex_init(&c.lock, NULL);
    pthread_cond_init(&c.wake, NULL);
    pthread_mutex_init(&c.term, NULL);
    bool keys_aside = false;
    if (store_import_begin(s, &keys_aside) != STORE_OK)
        fprintf(stderr, "bashgah: could not tune the database for the import; going on slower\n");
    if (keys_aside) /* a guess of the rows: member CSV rows run from about 100 to 200 bytes */
        import_keys_aside(c.im, (size_t)(c.total_bytes / 128));
    if (pthread_create(&c.writer, NULL, writer_main, &c) != 0)
        abort();
    member_csv_reader *reader = member_csv_reader_new(on_record, &c);
    int read_rc = read_all(&c, reader, fd, path);
    member_csv_reader_free(reader);
    /* The last batch carries the audit entry, so it is handed even when empty; not after a bad header. */
    bool last_handed = c.header_seen && !c.header_bad && hand_over(&c, true) == 0;
    bool db_failed = writer_finish(&c) != 0;
    int code = 1;
    if (c.header_bad) {
        /* printed by on_record */
    } else if (db_failed) {
        int64_t from = c.committed_rows + 2;
        if (last_handed)
            fprintf(stderr, "bashgah: the database failed; the last %lld rows were not imported\n",
                    (long long)(c.rows - c.committed_rows));
        else
            fprintf(stderr, "bashgah: the database failed; the rows from line %lld on were not imported\n",
                    (long long)from);
    } else if (!c.header_seen) {
        if (read_rc == 0)
            fprintf(stderr, "bashgah: %s is empty: the first row must name the columns\n", path);
    } else {
        import_counts n = import_get_counts(c.im);
        printf("created=%lld updated=%lld rejected=%lld\n", (long long)n.created, (long long)n.updated,
               (long long)n.rejected);
        if (read_rc != 0)
            fprintf(stderr, "bashgah: %s could not be read to the end; the rows before the error are imported\n", path);
        code = n.rejected == 0 && read_rc == 0 ? 0 : 1;
    }
    if (store_import_end(s) != STORE_OK)
        fprintf(stderr, "bashgah: the import is committed; its log is copied into the database later\n");
    pthread_mutex_destroy(&c.term);
    pthread_cond_destroy(&c.wake);
    pthread_mutex_destroy(&c.lock);
    import_batch_free(c.batches[0]);
    import_batch_free(c.batches[1]);
    import_free(c.im);
    return code;
}

static bool region_ok(const config *c)
{
    const char *region = config_get(c, "phone-region");
    if (region && phone_region_valid(region))
        return true;
    fprintf(stderr, "bashgah: --phone-region must be a country code such as IR or DE\n");
    return false;
}

static int member_import(int argc, char **argv)
{
    config c;
    int code;
    if (!cli_options(&c, import_defs, sizeof(import_defs) / sizeof(import_defs[0]), argc, argv, IMPORT_USAGE,
                     IMPORT_ABOUT, &code))
        return code;
    if (c.npositional != 1 || !region_ok(&c)) {
        if (c.npositional != 1)
            fprintf(stderr, "bashgah: name one file to import (- for standard input)\nusage: %s\n", IMPORT_USAGE);
        config_release(&c);
        return 2;
    }
    const char *path = c.positional[0];
    int fd = open_input(path);
    store *s = fd >= 0 ? cli_open_store(&c) : NULL;
    code = s ? import_file(s, fd, strcmp(path, "-") == 0 ? "standard input" : path, config_get(&c, "phone-region"))
             : 1;
    if (fd > STDIN_FILENO)
        close(fd);
    store_close(s);
    config_release(&c);
    return code;
}

/* ---- export ---- */

typedef struct export_cli {
    FILE *out;
    char *line;
    int64_t last_id;
    bool skipped;
} export_cli;

static void export_one(const member *m, void *arg)
{
    export_cli *e = arg;
    e->last_id = m->id;
    long n = member_csv_format(m, e->line, MEMBER_CSV_LINE_MAX);
    if (n < 0) {
        fprintf(stderr, "bashgah: member %lld does not fit a CSV line; left out\n", (long long)m->id);
        e->skipped = true;
        return;
    }
    fwrite(e->line, 1, (size_t)n, e->out);
}

/* Writes the header and every page of members. Returns 0, or -1 when the database failed. */
static int export_all(store *s, export_cli *e, const char *kind, const char *phone_region)
{
    store_reader *reader = store_reader_open(s);
    if (!reader)
        return -1;
    fputs(member_csv_export_header(), e->out);
    int count, status;
    do {
        store_member_filter f = {NULL, kind, NULL, e->last_id, EXPORT_PAGE_ROWS};
        status = store_member_list(reader, &f, phone_region, export_one, e, &count);
    } while (status == STORE_OK && count == EXPORT_PAGE_ROWS);
    store_reader_close(reader);
    return status == STORE_OK ? 0 : -1;
}

static int export_to(store *s, const config *c, const char *kind)
{
    const char *path = config_get(c, "out");
    export_cli e = {.out = stdout};
    if (path && strcmp(path, "-") != 0 && !(e.out = fopen(path, "w"))) {
        fprintf(stderr, "bashgah: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    e.line = malloc(MEMBER_CSV_LINE_MAX);
    if (!e.line)
        abort();
    setvbuf(e.out, NULL, _IOFBF, READ_CHUNK_BYTES);
    int code = 0;
    if (export_all(s, &e, kind, config_get(c, "phone-region")) != 0) {
        fprintf(stderr, "bashgah: the members could not be read\n");
        code = 1;
    }
    bool write_failed = fflush(e.out) != 0 || ferror(e.out);
    if (e.out != stdout && fclose(e.out) != 0)
        write_failed = true;
    if (write_failed) {
        fprintf(stderr, "bashgah: cannot write %s: %s\n", path && e.out != stdout ? path : "standard output",
                strerror(errno));
        code = 1;
    }
    free(e.line);
    return code || e.skipped ? 1 : 0;
}

static int member_export(int argc, char **argv)
{
    config c;
    int code;
    if (!cli_options(&c, export_defs, sizeof(export_defs) / sizeof(export_defs[0]), argc, argv, EXPORT_USAGE,
                     EXPORT_ABOUT, &code))
        return code;
    const char *kind = config_get(&c, "kind");
    member_kind k;
    if (c.npositional != 0 || (kind && member_kind_from_name(kind, &k) != 0) || !region_ok(&c)) {
        if (c.npositional != 0)
            fprintf(stderr, "bashgah: member export takes no arguments\nusage: %s\n", EXPORT_USAGE);
        else if (kind && member_kind_from_name(kind, &k) != 0)
            fprintf(stderr, "bashgah: --kind must be member or prospect\n");
        config_release(&c);
        return 2;
    }
    store *s = cli_open_store(&c);
    code = s ? export_to(s, &c, kind) : 1;
    store_close(s);
    config_release(&c);
    return code;
}

/* ---- the member command ---- */

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
} member_commands[] = {
    {"import", member_import, IMPORT_USAGE},
    {"export", member_export, EXPORT_USAGE},
};

#define MEMBER_COMMANDS_COUNT (sizeof(member_commands) / sizeof(member_commands[0]))

static void member_usage(FILE *f)
{
    fprintf(f, "usage: bashgah member COMMAND [options]\n\nMembers from and to CSV files. Commands:\n");
    for (size_t i = 0; i < MEMBER_COMMANDS_COUNT; i++)
        fprintf(f, "  %s\n", member_commands[i].usage);
    fprintf(f, "\nEach command takes --help.\n");
}

int cli_member(int argc, char **argv)
{
    if (argc < 1) {
        member_usage(stderr);
        return 2;
    }
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "help") == 0) {
        member_usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < MEMBER_COMMANDS_COUNT; i++)
        if (strcmp(argv[0], member_commands[i].name) == 0)
            return member_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "bashgah: unknown member command '%s'\n", argv[0]);
    member_usage(stderr);
    return 2;
}
