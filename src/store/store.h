/* The one storage interface of bashgah. Everything that reads or writes the database goes through here;
 * sqlite.c and its siblings implement it on SQLite (a PostgreSQL implementation can fill the same functions).
 *
 * Threads: a store is shared. Reads use a store_reader, one per thread. Writes run as jobs on the store's
 * single writer thread, which batches queued jobs into one transaction (group commit), runs each job inside
 * its own SAVEPOINT (a job that fails is rolled back alone), commits, and only then calls each job's done().
 * The CLI runs write functions synchronously with store_run(). Functions return a store_status. */
#ifndef BASHGAH_STORE_H
#define BASHGAH_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/member.h"
#include "core/roles.h"

typedef struct store store;
typedef struct store_reader store_reader;
typedef struct store_tx store_tx;

typedef enum store_status {
    STORE_OK = 0,
    STORE_NOTFOUND,
    STORE_CONFLICT, /* a unique value is taken; the function names the field */
    STORE_INVALID,  /* the job refused its input; nothing it wrote is kept */
    STORE_FULL,     /* the writer queue is at its limit: try later */
    STORE_ERROR     /* the database failed (I/O, corruption, closed) */
} store_status;

#define STORE_QUEUE_MAX 8192 /* jobs waiting for the writer */
#define STORE_BATCH_MAX 512  /* jobs in one transaction */

/* ---- lifecycle ---- */
/* Opens (creating when needed) DATA_DIR/bashgah.db and applies pending migrations. */
int store_open(store **out, const char *data_dir, char *err, size_t errlen);
/* Stops the writer if running (finishing queued jobs) and closes the database. NULL is a no-op. */
void store_close(store *s);
int store_schema_version(store *s);
/* Online copy of the whole database into path (SQLite backup API); safe while the server writes. */
int store_backup(store *s, const char *path, char *err, size_t errlen);

/* ---- reads: one reader per thread ---- */
store_reader *store_reader_open(store *s);
void store_reader_close(store_reader *r);
int64_t store_db_size_bytes(store_reader *r);

/* ---- writes ---- */
typedef int (*store_write_fn)(store_tx *tx, void *arg);

typedef struct store_job {
    store_write_fn fn;
    void *arg;
    /* Called on the writer thread after the commit (status STORE_OK or the job's own status), or after a failed
     * commit (STORE_ERROR). It must only hand the job over to its owner's thread. */
    void (*done)(struct store_job *job);
    int status;
    struct store_job *next; /* private to the writer */
} store_job;

int store_writer_start(store *s);
/* Returns STORE_OK, or STORE_FULL when the queue is at STORE_QUEUE_MAX, or STORE_ERROR when stopping. */
int store_submit(store *s, store_job *job);
/* Runs fn in one transaction on the calling thread (waiting for the lock). For the CLI and start-up. */
int store_run(store *s, store_write_fn fn, void *arg);
/* Nested savepoints inside a job, for work that keeps what succeeded (the importer's rows). */
int store_tx_savepoint(store_tx *tx);
int store_tx_release(store_tx *tx);
int store_tx_rollback(store_tx *tx);

/* Writer statistics for /metrics: committed batches by size bucket (1, 2-7, 8-63, 64-511, 512). */
#define STORE_BATCH_BUCKETS 5
void store_writer_stats(store *s, uint64_t buckets[STORE_BATCH_BUCKETS], uint64_t *jobs, uint64_t *batches);

/* ---- members (members.c) ---- */
typedef struct store_member_filter {
    const char *q;      /* search text (already normalised), or NULL */
    const char *kind;   /* "member" | "prospect" | NULL */
    const char *locale; /* "fa" | "en" | NULL */
    int64_t after_id;   /* cursor: only ids above this */
    int limit;
} store_member_filter;

typedef void (*store_member_cb)(const member *m, void *arg);

int store_member_get(store_reader *r, int64_t id, member *out);
/* Calls cb for up to f->limit members in id order; *count is how many. */
int store_member_list(store_reader *r, const store_member_filter *f, const char *phone_region, store_member_cb cb,
                      void *arg, int *count);
int store_member_count(store_reader *r, int64_t *count);
int store_tx_member_get(store_tx *tx, int64_t id, member *out);
/* The import's key: the member with this external_ref, else this phone, else this email. */
int store_tx_member_match(store_tx *tx, const member *m, member *out);
/* On STORE_CONFLICT, *field names the taken field. m->id is set on insert. */
int store_tx_member_insert(store_tx *tx, member *m, const char **field);
int store_tx_member_update(store_tx *tx, const member *m, const char **field);
/* Records consent changes between before (NULL on create) and after, with the actor's name. */
int store_tx_consent_log(store_tx *tx, const member *before, const member *after, const char *actor);
/* Consent history of a member as a JSON array (new reference). */
json_t *store_consent_history(store_reader *r, int64_t member_id);

/* ---- staff users, sessions, API keys (access.c) ---- */
#define STORE_USERNAME_MAX 64

typedef struct store_user {
    int64_t id;
    char username[STORE_USERNAME_MAX + 1];
    char password_hash[160];
    role role;
    bool disabled;
    int64_t locked_until;
    int64_t created_at, updated_at;
} store_user;

typedef struct store_apikey {
    int64_t id;
    char name[129];
    role role;
    uint8_t secret_hash[32];
    char created_by[96];
    int64_t created_at, revoked_at;
} store_apikey;

typedef struct store_session {
    uint8_t token_hash[32];
    int64_t user_id;
    char csrf_token[64];
    int64_t created_at, expires_at;
} store_session;

int store_user_by_name(store_reader *r, const char *username, store_user *out);
int store_user_count(store_reader *r, int64_t *count);
int store_user_each(store_reader *r, void (*cb)(const store_user *u, void *arg), void *arg);
int store_tx_user_by_name(store_tx *tx, const char *username, store_user *out);
int store_tx_user_get(store_tx *tx, int64_t id, store_user *out);
int store_tx_user_insert(store_tx *tx, store_user *u); /* STORE_CONFLICT when the username is taken */
int store_tx_user_update(store_tx *tx, const store_user *u);
/* Records a failed login at now and returns how many fell within the last window_ms. */
int store_tx_login_failed(store_tx *tx, int64_t user_id, int64_t now, int64_t window_ms, int *recent);
int store_tx_login_succeeded(store_tx *tx, int64_t user_id);
/* A live session (not expired at now) and its user. */
int store_session_get(store_reader *r, const uint8_t token_hash[32], int64_t now, store_session *s, store_user *u);
int store_tx_session_insert(store_tx *tx, const store_session *s);
int store_tx_session_delete(store_tx *tx, const uint8_t token_hash[32]);
int store_apikey_get(store_reader *r, int64_t id, store_apikey *out);
int store_apikey_each(store_reader *r, void (*cb)(const store_apikey *k, void *arg), void *arg);
int store_tx_apikey_insert(store_tx *tx, store_apikey *k);
int store_tx_apikey_get(store_tx *tx, int64_t id, store_apikey *out);
int store_tx_apikey_revoke(store_tx *tx, int64_t id, int64_t now);

/* ---- audit log (audit.c) ---- */
typedef struct store_actor {
    const char *kind; /* user | apikey | cli | system */
    int64_t id;
    const char *name;
} store_actor;

/* Takes over the references to before and after (either may be NULL). */
int store_tx_audit(store_tx *tx, const store_actor *actor, int64_t at, const char *action, const char *target_type,
                   int64_t target_id, json_t *before, json_t *after);
/* Appends up to limit entries with id above after_id (0: from the start) to items; target_type NULL for all. */
int store_audit_list(store_reader *r, const char *target_type, int64_t target_id, int64_t after_id, int limit,
                     json_t *items);

/* ---- idempotency records (idempotency.c) ---- */
#define STORE_IDEM_KEY_MAX 128

typedef struct store_idem {
    uint8_t request_hash[32];
    int status;
    char *location; /* malloc'd or NULL */
    char *body;     /* malloc'd */
} store_idem;

void store_idem_release(store_idem *i);
int store_tx_idem_get(store_tx *tx, const char *principal, const char *key, store_idem *out);
int store_tx_idem_put(store_tx *tx, const char *principal, const char *key, const store_idem *i, int64_t now);
/* Forgets records older than before (ms); idempotency keys are kept for a day. */
int store_tx_idem_purge(store_tx *tx, int64_t before);

#endif
