/* Secrets through libsodium: random tokens, their hashes, API key strings and argon2id password hashes.
 * API keys read "bgk_<id>_<secret>": the id finds the row, the secret is compared by its BLAKE2b hash. */
#ifndef BASHGAH_SECRET_H
#define BASHGAH_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SECRET_TOKEN_LEN 44   /* 32 random bytes in URL-safe base64 without padding, plus NUL */
#define SECRET_APIKEY_LEN 80
#define SECRET_PASSWORD_HASH_LEN 128
#define SECRET_PASSWORD_MIN 10

/* Initialises libsodium; dies when it cannot. */
void secret_init(void);
void secret_token(char out[SECRET_TOKEN_LEN]);
void secret_hash(const char *s, size_t len, uint8_t out[32]);
void secret_apikey_format(int64_t id, const char *token, char out[SECRET_APIKEY_LEN]);
/* Splits a key into its id and secret; false when it is not shaped like one. */
bool secret_apikey_parse(const char *key, size_t len, int64_t *id, const char **token, size_t *token_len);
/* argon2id with libsodium's interactive limits. Returns 0, or -1 when out of memory. */
int secret_password_hash(const char *password, char out[SECRET_PASSWORD_HASH_LEN]);
bool secret_password_verify(const char *hash, const char *password);
/* A readable random password for the first owner and `user add` without --password. */
void secret_password_generate(char out[24]);

#endif
