/* Webhooks over HTTP (see webhook.h). One multi handle and WEBHOOK_BATCH_MAX easy handles are kept for the life of
 * the channel, so connections to a department's server are reused between batches. Only the delivery thread that
 * made the channel uses it. */
#include "channels/webhook.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "core/webhook_url.h"

#define DETAIL_ANSWER_MAX 160 /* bytes of the answer kept in the attempt log */

typedef struct transfer {
    webhook_request *req;
    const webhook_settings *cfg;
    struct curl_slist *headers;
    size_t answer_len;
    char answer[DETAIL_ANSWER_MAX + 1];
    bool blocked, oversized;
    char blocked_addr[64];
    uint64_t started_ns; /* clock_mono_ns() when the transfer was set up */
} transfer;

struct webhook_channel {
    const webhook_settings *cfg;
    CURLM *multi;
    CURL *easy[WEBHOOK_BATCH_MAX];
    transfer transfers[WEBHOOK_BATCH_MAX];
};

int webhook_sign(const char *secret, const char *id, int64_t timestamp_s, const char *body, size_t body_len,
                 char out[WEBHOOK_SIGNATURE_MAX])
{
    uint8_t key[64];
    size_t key_len = 0;
    if (strncmp(secret, "whsec_", 6) != 0 ||
        sodium_base642bin(key, sizeof(key), secret + 6, strlen(secret + 6), NULL, &key_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        key_len == 0)
        return -1;
    char ts[24];
    snprintf(ts, sizeof(ts), "%lld", (long long)timestamp_s);
    crypto_auth_hmacsha256_state st;
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, key, key_len);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)id, strlen(id));
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)ts, strlen(ts));
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)body, body_len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(key, sizeof(key));
    memcpy(out, "v1,", 3);
    sodium_bin2base64(out + 3, WEBHOOK_SIGNATURE_MAX - 3, mac, sizeof(mac), sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

webhook_channel *webhook_channel_new(const webhook_settings *cfg)
{
    webhook_channel *c = calloc(1, sizeof(*c));
    if (!c)
        abort(); /* out of memory */
    c->cfg = cfg;
    bool ok = (c->multi = curl_multi_init()) != NULL;
    for (int i = 0; ok && i < WEBHOOK_BATCH_MAX; i++)
        ok = (c->easy[i] = curl_easy_init()) != NULL;
    if (!ok) {
        webhook_channel_free(c);
        return NULL;
    }
    return c;
}

void webhook_channel_free(webhook_channel *c)
{
    if (!c)
        return;
    for (int i = 0; i < WEBHOOK_BATCH_MAX; i++)
        if (c->easy[i])
            curl_easy_cleanup(c->easy[i]);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    free(c);
}

static size_t on_answer(char *data, size_t size, size_t n, void *arg)
{
    transfer *t = arg;
    size_t len = size * n;
    if (t->answer_len < DETAIL_ANSWER_MAX) {
        size_t room = DETAIL_ANSWER_MAX - t->answer_len, take = len < room ? len : room;
        memcpy(t->answer + t->answer_len, data, take);
        t->answer[t->answer_len + take] = '\0';
    }
    t->answer_len += len;
    if (t->answer_len > WEBHOOK_ANSWER_MAX) {
        t->oversized = true;
        return 0; /* stop reading: the status line has already said what counts */
    }
    return len;
}

/* Checks the address curl is about to connect to (after DNS, for every address it tries). */
static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    transfer *t = arg;
    const uint8_t *bytes = NULL;
    if (a->family == AF_INET)
        bytes = (const uint8_t *)&((const struct sockaddr_in *)&a->addr)->sin_addr;
    else if (a->family == AF_INET6)
        bytes = (const uint8_t *)&((const struct sockaddr_in6 *)&a->addr)->sin6_addr;
    if (!t->cfg->allow_private && (!bytes || webhook_url_address_private(a->family, bytes))) {
        t->blocked = true;
        if (bytes)
            inet_ntop(a->family, bytes, t->blocked_addr, sizeof(t->blocked_addr));
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

static bool prepare(webhook_channel *c, CURL *e, transfer *t)
{
    webhook_request *q = t->req;
    char signature[WEBHOOK_SIGNATURE_MAX], previous[WEBHOOK_SIGNATURE_MAX], line[256];
    size_t body_len = strlen(q->body);
    if (webhook_sign(q->secret, q->event_id, q->timestamp_s, q->body, body_len, signature) != 0) {
        q->result = CHANNEL_REFUSED;
        snprintf(q->detail, CHANNEL_DETAIL_MAX, "the subscription's secret is not a whsec_ key");
        return false;
    }
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
    snprintf(line, sizeof(line), "webhook-id: %s", q->event_id);
    h = curl_slist_append(h, line);
    snprintf(line, sizeof(line), "webhook-timestamp: %lld", (long long)q->timestamp_s);
    h = curl_slist_append(h, line);
    /* during a rotation's overlap both keys sign: a receiver that still holds the old one verifies too */
    if (q->previous_secret && q->previous_secret[0] &&
        webhook_sign(q->previous_secret, q->event_id, q->timestamp_s, q->body, body_len, previous) == 0)
        snprintf(line, sizeof(line), "webhook-signature: %s %s", signature, previous);
    else
        snprintf(line, sizeof(line), "webhook-signature: %s", signature);
    t->headers = curl_slist_append(h, line);
    curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_URL, q->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_PROXY, ""); /* never through a proxy from the environment: the check must hold */
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "bashgah-webhooks/" BASHGAH_VERSION);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->cfg->timeout_ms);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_answer);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    t->started_ns = clock_mono_ns();
    return true;
}

/* The outcome of one finished transfer from curl's code and the answer's status. */
static void settle(CURL *e, transfer *t, CURLcode rc)
{
    webhook_request *q = t->req;
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    q->duration_ms = (int64_t)((clock_mono_ns() - t->started_ns) / 1000000u);
    if (t->blocked && status == 0) {
        q->result = CHANNEL_REFUSED;
        snprintf(q->detail, CHANNEL_DETAIL_MAX, "refused: %s is a private, loopback or link-local address",
                 t->blocked_addr[0] ? t->blocked_addr : "the address");
    } else if ((rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && t->oversized)) && status >= 200 && status < 300) {
        q->result = CHANNEL_SENT;
        snprintf(q->detail, CHANNEL_DETAIL_MAX, "%ld%s %s", status, t->oversized ? " (answer cut)" : "", t->answer);
    } else if (status >= 100 && (rc == CURLE_OK || t->oversized)) {
        q->result = CHANNEL_RETRY;
        snprintf(q->detail, CHANNEL_DETAIL_MAX, "%ld %s", status, t->answer);
    } else {
        q->result = CHANNEL_RETRY;
        snprintf(q->detail, CHANNEL_DETAIL_MAX, "%s", curl_easy_strerror(rc));
    }
}

void webhook_channel_send_all(webhook_channel *c, webhook_request *reqs, int n)
{
    if (n > WEBHOOK_BATCH_MAX)
        n = WEBHOOK_BATCH_MAX;
    for (int i = 0; i < n; i++) {
        transfer *t = &c->transfers[i];
        *t = (transfer){.req = &reqs[i], .cfg = c->cfg};
        reqs[i].result = CHANNEL_RETRY; /* until curl says otherwise */
        snprintf(reqs[i].detail, CHANNEL_DETAIL_MAX, "not sent");
        reqs[i].duration_ms = 0;
        if (prepare(c, c->easy[i], t))
            curl_multi_add_handle(c->multi, c->easy[i]);
    }
    int running = 0;
    do {
        if (curl_multi_perform(c->multi, &running) != CURLM_OK)
            break;
        if (running)
            curl_multi_poll(c->multi, NULL, 0, 1000, NULL);
    } while (running);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(c->multi, &left)))
        if (msg->msg == CURLMSG_DONE) {
            transfer *t = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            if (t)
                settle(msg->easy_handle, t, msg->data.result);
        }
    for (int i = 0; i < n; i++) {
        transfer *t = &c->transfers[i];
        if (t->headers) {
            curl_multi_remove_handle(c->multi, c->easy[i]);
            curl_slist_free_all(t->headers);
            t->headers = NULL;
        }
    }
}
