/* The schema migrations, embedded from the .sql files in src/store/migrations at build time (in name order).
 * Migration i brings the database to PRAGMA user_version i + 1. */
#ifndef BASHGAH_STORE_MIGRATIONS_H
#define BASHGAH_STORE_MIGRATIONS_H

typedef struct store_migration {
    const char *name;
    const char *sql;
} store_migration;

extern const store_migration store_migrations[];
extern const int store_migrations_count;

#endif
