/* libsodium behind bashgah's secrets. */
#include "base/secret.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

void secret_init(void)
{
    if (sodium_init() < 0) {
        log_msg(LOG_ERROR, "sodium_init", "error=\"libsodium could not start\"");
        exit(1);
    }
}

void secret_token(char out[SECRET_TOKEN_LEN])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, SECRET_TOKEN_LEN, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void secret_hash(const char *s, size_t len, uint8_t out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)s, len, NULL, 0);
}

void secret_apikey_format(int64_t id, const char *token, char out[SECRET_APIKEY_LEN])
{
    snprintf(out, SECRET_APIKEY_LEN, "bgk_%lld_%s", (long long)id, token);
}

bool secret_apikey_parse(const char *key, size_t len, int64_t *id, const char **token, size_t *token_len)
{
    if (len < 6 || len >= SECRET_APIKEY_LEN || memcmp(key, "bgk_", 4) != 0)
        return false;
    int64_t v = 0;
    size_t i = 4;
    for (; i < len && key[i] >= '0' && key[i] <= '9' && i < 22; i++)
        v = v * 10 + (key[i] - '0');
    if (i == 4 || i >= len || key[i] != '_' || len - i - 1 != SECRET_TOKEN_LEN - 1)
        return false;
    *id = v;
    *token = key + i + 1;
    *token_len = len - i - 1;
    return true;
}

int secret_password_hash(const char *password, char out[SECRET_PASSWORD_HASH_LEN])
{
    return crypto_pwhash_str_alg(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13);
}

bool secret_password_verify(const char *hash, const char *password)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void secret_password_generate(char out[24])
{
    /* No look-alike characters (0/O, 1/l/I), so it can be read off a screen. */
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    for (int i = 0; i < 20; i++)
        out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
    out[20] = '\0';
}
