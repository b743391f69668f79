/* Staff accounts and API keys as operations shared by the CLI and the HTTP API: each runs inside a write
 * transaction and records itself in the audit log. */
#ifndef BASHGAH_APP_STAFF_H
#define BASHGAH_APP_STAFF_H

#include "base/secret.h"
#include "core/errlist.h"
#include "store/store.h"

/* Validates a username (1-64 of a-z, 0-9, . _ -) and a password (at least SECRET_PASSWORD_MIN characters). */
void staff_check_username(const char *username, errlist *e);
void staff_check_password(const char *password, errlist *e);

/* Creates a user; STORE_CONFLICT when the username is taken. password_hash from secret_password_hash. */
int staff_user_add(store_tx *tx, const store_actor *actor, int64_t now, const char *username,
                   const char *password_hash, role r, store_user *out);
/* Creates an API key and writes the full key (shown once) into key. */
int staff_apikey_create(store_tx *tx, const store_actor *actor, int64_t now, const char *name, role r,
                        store_apikey *out, char key[SECRET_APIKEY_LEN]);
int staff_apikey_revoke(store_tx *tx, const store_actor *actor, int64_t now, int64_t id);

json_t *staff_user_json(const store_user *u);
json_t *staff_apikey_json(const store_apikey *k);

#endif
