/* One-click unsubscribe tokens: a member id and a channel, signed with the club's 'unsubscribe' key (keyed
 * BLAKE2b, 128-bit tag), as 34 characters of URL-safe base64. The link works without signing in and names one
 * member and one channel only; a token cannot be made for another member without the key. */
#ifndef BASHGAH_CHANNELS_UNSUBSCRIBE_H
#define BASHGAH_CHANNELS_UNSUBSCRIBE_H

#include <stdint.h>

#define UNSUBSCRIBE_TOKEN_LEN 35 /* with its NUL */

/* channel: "email" or "sms". Writes the token into out. */
void unsubscribe_token(const uint8_t key[32], int64_t member_id, const char *channel, char out[UNSUBSCRIBE_TOKEN_LEN]);
/* 0 with *member_id and *channel ("email" or "sms", static) when token is genuine; -1 otherwise. */
int unsubscribe_verify(const uint8_t key[32], const char *token, int64_t *member_id, const char **channel);

#endif
