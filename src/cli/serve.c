/* `bashgah serve`: opens the database (migrating it), makes sure an owner exists, seeds a demo club when asked,
 * and serves HTTP until SIGTERM or SIGINT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/staff.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/secret.h"
#include "cli/cli.h"
#include "core/calendar.h"
#include "core/phone.h"
#include "http/server.h"

/* The built web app: CMake sets it to the build folder's web/; without it, no web app is served by default. */
#ifndef BASHGAH_WEB_DIR
#define BASHGAH_WEB_DIR ""
#endif

static const config_def serve_defs[] = {
    {"listen", "BASHGAH_LISTEN", "127.0.0.1:8080", "address and port to serve on", false},
    CLI_DATA_DEFS,
    {"threads", "BASHGAH_THREADS", "0", "event loop threads (0: one per core)", false},
    {"access-log", "BASHGAH_ACCESS_LOG", "-", "access log: a file, - for standard output, or off", false},
    {"body-limit", "BASHGAH_BODY_LIMIT", "1048576", "largest JSON request body in bytes", false},
    {"import-limit", "BASHGAH_IMPORT_LIMIT", "67108864", "largest CSV import body in bytes", false},
    {"read-timeout-ms", "BASHGAH_READ_TIMEOUT_MS", "10000", "time allowed to send a request", false},
    {"phone-region", "BASHGAH_PHONE_REGION", "IR", "region of phone numbers written without a country code", false},
    {"default-time-zone", "BASHGAH_DEFAULT_TIME_ZONE", "UTC", "time zone of members created without one", false},
    {"default-locale", "BASHGAH_DEFAULT_LOCALE", "fa", "locale of members created without one (fa or en)", false},
    {"secure-cookies", "BASHGAH_SECURE_COOKIES", "false", "mark session cookies Secure (when served over TLS)", true},
    {"log-level", "BASHGAH_LOG_LEVEL", "info", "debug, info, warn or error", false},
    {"clock-file", "BASHGAH_CLOCK_FILE", NULL, "tests only: read the time (ms since 1970) from this file", false},
    {"demo", "BASHGAH_DEMO", "false", "seed a few demo members into an empty club", true},
    {"web", "BASHGAH_WEB", BASHGAH_WEB_DIR, "the built web app to serve at / (empty: none)", false},
    /* messages: email over SMTP and the delivery worker */
    {"smtp-url", "BASHGAH_SMTP_URL", "", "SMTP server for email: smtp://HOST:PORT (STARTTLS when offered) or smtps://HOST:PORT (empty: email waits in the outbox)", false},
    {"smtp-user", "BASHGAH_SMTP_USER", "", "SMTP user name (empty: no authentication)", false},
    {"smtp-password", "BASHGAH_SMTP_PASSWORD", "", "SMTP password", false},
    {"smtp-from", "BASHGAH_SMTP_FROM", "club@bashgah.invalid", "the From address of email", false},
    {"smtp-from-name", "BASHGAH_SMTP_FROM_NAME", "", "the name shown with the From address", false},
    {"smtp-require-tls", "BASHGAH_SMTP_REQUIRE_TLS", "false", "refuse to send email over smtp:// without STARTTLS", true},
    {"smtp-insecure-tls", "BASHGAH_SMTP_INSECURE_TLS", "false", "tests only: do not verify the SMTP server's certificate", true},
    {"smtp-timeout-ms", "BASHGAH_SMTP_TIMEOUT_MS", "30000", "time allowed to hand over one email", false},
    {"delivery-attempts", "BASHGAH_DELIVERY_ATTEMPTS", "8", "tries of one message before it fails", false},
    {"delivery-backoff-ms", "BASHGAH_DELIVERY_BACKOFF_MS", "30000", "wait after a first failed try, doubled after each further one (with jitter)", false},
    {"delivery-backoff-max-ms", "BASHGAH_DELIVERY_BACKOFF_MAX_MS", "3600000", "the longest wait between two tries", false},
    {"sms-url", "BASHGAH_SMS_URL", "", "SMS gateway URL; {to}, {text} and {id} are filled in (empty: SMS waits in the outbox)", false},
    {"sms-method", "BASHGAH_SMS_METHOD", "POST", "HTTP method of the SMS gateway: GET or POST", false},
    {"sms-headers", "BASHGAH_SMS_HEADERS", "Content-Type: application/json", "header lines for the SMS gateway, separated by |", false},
    {"sms-body", "BASHGAH_SMS_BODY", "{\"to\": \"{to}\", \"text\": \"{text}\", \"id\": \"{id}\"}", "body template of the SMS gateway", false},
    {"sms-body-encoding", "BASHGAH_SMS_BODY_ENCODING", "json", "how {to} and {text} are escaped in the body: json or form", false},
    {"sms-success-status", "BASHGAH_SMS_SUCCESS_STATUS", "200-299", "HTTP statuses by which the gateway accepts an SMS: N or N-M", false},
    {"sms-timeout-ms", "BASHGAH_SMS_TIMEOUT_MS", "10000", "time allowed for the gateway to answer", false},
    {"sms-cost-per-segment", "BASHGAH_SMS_COST_PER_SEGMENT", "0", "price of one SMS part in minor units, recorded per message", false},
    {"quiet-hours", "BASHGAH_QUIET_HOURS", "", "local hours FROM-TO (such as 21-8) when news waits, in each member's time zone (empty: none)", false},
    {"cap-per-day", "BASHGAH_CAP_PER_DAY", "0", "news per member and channel in 24 hours (0: no cap; codes and receipts never count)", false},
    {"cap-per-week", "BASHGAH_CAP_PER_WEEK", "0", "news per member and channel in 7 days (0: no cap)", false},
    {"rate-email", "BASHGAH_RATE_EMAIL", "0", "emails a second over the whole server (0: no limit)", false},
    {"rate-sms", "BASHGAH_RATE_SMS", "0", "SMS a second over the whole server (0: no limit)", false},
    {"public-url", "BASHGAH_PUBLIC_URL", "", "the server's address as members reach it, for links in messages (empty: http://LISTEN)", false},
    {"delivery-poll-ms", "BASHGAH_DELIVERY_POLL_MS", "500", "how often an idle delivery worker looks for due messages", false},
    {"webhook-timeout-ms", "BASHGAH_WEBHOOK_TIMEOUT_MS", "10000", "time allowed for a webhook's receiver to answer", false},
    {"webhook-allow-private", "BASHGAH_WEBHOOK_ALLOW_PRIVATE", "false", "let webhooks reach private, loopback and link-local addresses (refused by default)", true},
};

static int add_owner(store_tx *tx, void *arg)
{
    const char **hash = arg;
    store_actor system = {"system", 0, "bashgah"};
    store_user u;
    return staff_user_add(tx, &system, clock_now_ms(), "owner", *hash, ROLE_OWNER, &u);
}

/* The first start creates the owner account and prints its password once. */
static int ensure_owner(store *s, const char *data_dir, const http_serve_config *cfg)
{
    store_reader *r = store_reader_open(s);
    int64_t users = 0;
    int status = r ? store_user_count(r, &users) : STORE_ERROR;
    store_reader_close(r);
    if (status != STORE_OK)
        return -1;
    if (users > 0) {
        printf("sign in with your staff account (bashgah user add|passwd --data %s manages them)\n", data_dir);
        return 0;
    }
    const char *given = getenv("BASHGAH_OWNER_PASSWORD");
    char generated[24], hash[SECRET_PASSWORD_HASH_LEN];
    if (!given || !*given)
        secret_password_generate(generated);
    const char *password = given && *given ? given : generated;
    const char *hp = hash;
    if (secret_password_hash(password, hash) != 0 || store_run(s, add_owner, &hp) != STORE_OK)
        return -1;
    if (given && *given)
        printf("created the owner account: username owner, password from BASHGAH_OWNER_PASSWORD\n");
    else
        printf("created the owner account: username owner, password %s (shown once: keep it)\n", password);
    printf("sign in: curl -c cookies -H 'Content-Type: application/json' -d '{\"username\":\"owner\",\"password\":\"...\"}' "
           "http://%s:%d/api/v1/auth/login\n"
           "a key for a till or another system: bashgah apikey create --data %s --role cashier --name till-1\n",
           cfg->host, cfg->port, data_dir);
    return 0;
}

static int parse_port(const char *s, int *port)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 1 || v > 65535)
        return -1;
    *port = (int)v;
    return 0;
}

/* Quiet hours, caps and rates; prints what is wrong and returns -1. */
static int limits_read(const config *c, delivery_settings *d)
{
    char err[256];
    long day, week, email, sms;
    if (config_long(c, "cap-per-day", 0, 1000, &day, err, sizeof(err)) != 0 ||
        config_long(c, "cap-per-week", 0, 10000, &week, err, sizeof(err)) != 0 ||
        config_long(c, "rate-email", 0, 100000, &email, err, sizeof(err)) != 0 ||
        config_long(c, "rate-sms", 0, 100000, &sms, err, sizeof(err)) != 0) {
        fprintf(stderr, "bashgah: %s\n", err);
        return -1;
    }
    const char *quiet = config_get(c, "quiet-hours");
    int from = 0, to = 0;
    char dash = 0, extra = 0;
    if (*quiet && (sscanf(quiet, "%d%c%d%c", &from, &dash, &to, &extra) != 3 || dash != '-' || from < 0 ||
                   from > 23 || to < 0 || to > 23)) {
        fprintf(stderr, "bashgah: --quiet-hours must be FROM-TO in whole hours, such as 21-8\n");
        return -1;
    }
    d->quiet_from = from;
    d->quiet_to = to;
    d->cap_day = (int)day;
    d->cap_week = (int)week;
    d->rate_email = (int)email;
    d->rate_sms = (int)sms;
    return 0;
}

/* The SMS gateway's settings; prints what is wrong and returns -1. */
static int sms_settings_read(const config *c, delivery_settings *d)
{
    char err[256];
    long timeout, cost, lo = 0, hi = 0;
    if (config_long(c, "sms-timeout-ms", 100, 600000, &timeout, err, sizeof(err)) != 0 ||
        config_long(c, "sms-cost-per-segment", 0, 1000000000L, &cost, err, sizeof(err)) != 0) {
        fprintf(stderr, "bashgah: %s\n", err);
        return -1;
    }
    const char *url = config_get(c, "sms-url"), *method = config_get(c, "sms-method");
    const char *enc = config_get(c, "sms-body-encoding"), *ok = config_get(c, "sms-success-status");
    char dash = 0;
    int parts = sscanf(ok, "%ld%c%ld", &lo, &dash, &hi);
    if (parts == 1)
        hi = lo;
    if ((parts != 1 && (parts != 3 || dash != '-')) || lo < 100 || hi > 599 || lo > hi ||
        (*url && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
        (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0 && strcmp(method, "PUT") != 0) ||
        (strcmp(enc, "json") != 0 && strcmp(enc, "form") != 0)) {
        fprintf(stderr, "bashgah: --sms-url (http or https), --sms-method (GET, POST or PUT), --sms-body-encoding "
                        "(json or form) or --sms-success-status (N or N-M) is not valid\n");
        return -1;
    }
    d->sms = (sms_settings){.url = url, .method = method, .headers = config_get(c, "sms-headers"),
                            .body = config_get(c, "sms-body"), .encoding = enc, .accepted_min = lo,
                            .accepted_max = hi, .timeout_ms = timeout};
    d->sms_cost_minor = cost;
    return 0;
}

/* The delivery worker's settings; prints what is wrong and returns -1. */
static int delivery_settings_read(const config *c, delivery_settings *d)
{
    char err[256];
    long attempts, base, max, poll, timeout, hook_timeout;
    if (config_long(c, "delivery-attempts", 1, 100, &attempts, err, sizeof(err)) != 0 ||
        config_long(c, "delivery-backoff-ms", 1, 86400000, &base, err, sizeof(err)) != 0 ||
        config_long(c, "delivery-backoff-max-ms", 1, 7 * 86400000L, &max, err, sizeof(err)) != 0 ||
        config_long(c, "delivery-poll-ms", 10, 60000, &poll, err, sizeof(err)) != 0 ||
        config_long(c, "smtp-timeout-ms", 100, 600000, &timeout, err, sizeof(err)) != 0 ||
        config_long(c, "webhook-timeout-ms", 100, 600000, &hook_timeout, err, sizeof(err)) != 0) {
        fprintf(stderr, "bashgah: %s\n", err);
        return -1;
    }
    d->webhook = (webhook_settings){.allow_private = config_switch(c, "webhook-allow-private"),
                                    .timeout_ms = hook_timeout};
    const char *url = config_get(c, "smtp-url");
    if (*url && strncmp(url, "smtp://", 7) != 0 && strncmp(url, "smtps://", 8) != 0) {
        fprintf(stderr, "bashgah: --smtp-url must start with smtp:// or smtps://\n");
        return -1;
    }
    d->email = (email_settings){.smtp_url = url, .user = config_get(c, "smtp-user"),
                                .password = config_get(c, "smtp-password"), .from = config_get(c, "smtp-from"),
                                .from_name = config_get(c, "smtp-from-name"),
                                .require_tls = config_switch(c, "smtp-require-tls"),
                                .insecure_tls = config_switch(c, "smtp-insecure-tls"), .timeout_ms = timeout};
    if (sms_settings_read(c, d) != 0 || limits_read(c, d) != 0)
        return -1;
    d->attempts_max = (int)attempts;
    d->backoff_base_ms = base;
    d->backoff_max_ms = max < base ? base : max;
    d->poll_ms = poll;
    static char public_url[512];
    const char *pub = config_get(c, "public-url");
    if (*pub)
        snprintf(public_url, sizeof(public_url), "%s", pub);
    else
        snprintf(public_url, sizeof(public_url), "http://%s", config_get(c, "listen"));
    size_t n = strlen(public_url);
    if (n && public_url[n - 1] == '/')
        public_url[n - 1] = '\0';
    d->public_url = public_url;
    return 0;
}

/* Reads the numeric and listed settings into cfg; prints what is wrong and returns -1. */
static int serve_settings(const config *c, http_serve_config *cfg)
{
    char err[256];
    long threads, body, import, timeout;
    const char *listen = config_get(c, "listen"), *colon = strrchr(listen, ':');
    static char host[256];
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof(host) || parse_port(colon + 1, &cfg->port) != 0) {
        fprintf(stderr, "bashgah: --listen must be HOST:PORT, such as 127.0.0.1:8080\n");
        return -1;
    }
    snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
    if (host[0] == '[' && host[strlen(host) - 1] == ']') { /* [::1]:8080 */
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    cfg->host = host;
    if (config_long(c, "threads", 0, 256, &threads, err, sizeof(err)) != 0 ||
        config_long(c, "body-limit", 1024, 64L << 20, &body, err, sizeof(err)) != 0 ||
        config_long(c, "import-limit", 1024, 1L << 30, &import, err, sizeof(err)) != 0 ||
        config_long(c, "read-timeout-ms", 100, 3600000, &timeout, err, sizeof(err)) != 0) {
        fprintf(stderr, "bashgah: %s\n", err);
        return -1;
    }
    cfg->threads = threads > 0 ? (int)threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    cfg->read_timeout_ms = (uint64_t)timeout;
    cfg->access_log = config_get(c, "access-log");
    cfg->settings.body_limit = (size_t)body;
    cfg->settings.import_limit = (size_t)import;
    cfg->settings.phone_region = config_get(c, "phone-region");
    cfg->settings.default_time_zone = config_get(c, "default-time-zone");
    cfg->settings.default_locale = config_get(c, "default-locale");
    cfg->settings.secure_cookies = config_switch(c, "secure-cookies");
    cfg->settings.demo = config_switch(c, "demo");
    cfg->settings.web_dir = config_get(c, "web");
    cfg->settings.webhook_allow_private = config_switch(c, "webhook-allow-private");
    if (delivery_settings_read(c, &cfg->delivery) != 0)
        return -1;
    if (!phone_region_valid(cfg->settings.phone_region) || !calendar_tz_valid(cfg->settings.default_time_zone) ||
        (strcmp(cfg->settings.default_locale, "fa") != 0 && strcmp(cfg->settings.default_locale, "en") != 0)) {
        fprintf(stderr, "bashgah: --phone-region, --default-time-zone or --default-locale is not valid\n");
        return -1;
    }
    return 0;
}

int cli_serve(int argc, char **argv)
{
    config c;
    int code;
    if (!cli_options(&c, serve_defs, sizeof(serve_defs) / sizeof(serve_defs[0]), argc, argv,
                     "bashgah serve [--listen HOST:PORT] [--data DIR] [options]",
                     "Serves the club's JSON API (and later its web app) over HTTP.", &code))
        return code;
    static const char *levels[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(config_get(&c, "log-level"), levels[i]) == 0)
            log_set_level(i);
    clock_use_file(config_get(&c, "clock-file"));
    http_serve_config cfg = {0};
    if (serve_settings(&c, &cfg) != 0) {
        config_release(&c);
        return 2;
    }
    store *s = cli_open_store(&c);
    code = 1;
    if (s && ensure_owner(s, config_get(&c, "data"), &cfg) == 0 && (!config_switch(&c, "demo") || cli_seed_demo(s) == 0) &&
        http_serve(s, &cfg) == 0)
        code = 0;
    store_close(s);
    config_release(&c);
    return code;
}
