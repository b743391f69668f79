/* One-click unsubscribe tokens (see unsubscribe.h). Made by the delivery worker for the List-Unsubscribe header,
 * checked by the public unsubscribe route (http/messages.c). */
#include "channels/unsubscribe.h"

#include <sodium.h>
#include <string.h>

#define PAYLOAD_LEN 9 /* member id (8 bytes, big-endian) and the channel ('e' or 's') */
#define TAG_LEN 16

static void sign(const uint8_t key[32], const uint8_t payload[PAYLOAD_LEN], uint8_t tag[TAG_LEN])
{
    crypto_generichash(tag, TAG_LEN, payload, PAYLOAD_LEN, key, 32);
}

void unsubscribe_token(const uint8_t key[32], int64_t member_id, const char *channel, char out[UNSUBSCRIBE_TOKEN_LEN])
{
    uint8_t raw[PAYLOAD_LEN + TAG_LEN];
    for (int i = 0; i < 8; i++)
        raw[i] = (uint8_t)((uint64_t)member_id >> (56 - 8 * i));
    raw[8] = strcmp(channel, "sms") == 0 ? 's' : 'e';
    sign(key, raw, raw + PAYLOAD_LEN);
    sodium_bin2base64(out, UNSUBSCRIBE_TOKEN_LEN, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int unsubscribe_verify(const uint8_t key[32], const char *token, int64_t *member_id, const char **channel)
{
    uint8_t raw[PAYLOAD_LEN + TAG_LEN], tag[TAG_LEN];
    size_t len = 0;
    if (strlen(token) != UNSUBSCRIBE_TOKEN_LEN - 1 ||
        sodium_base642bin(raw, sizeof(raw), token, strlen(token), NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len != sizeof(raw))
        return -1;
    sign(key, raw, tag);
    if (sodium_memcmp(tag, raw + PAYLOAD_LEN, TAG_LEN) != 0 || (raw[8] != 'e' && raw[8] != 's'))
        return -1;
    uint64_t id = 0;
    for (int i = 0; i < 8; i++)
        id = (id << 8) | raw[i];
    *member_id = (int64_t)id;
    *channel = raw[8] == 's' ? "sms" : "email";
    return 0;
}
