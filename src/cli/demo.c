/* The demo club that `make run` starts with: a few members, an earning rule, three tiers and rewards that are
 * gifts and experiences rather than discounts. Written once, into an empty club, through the store as any
 * other write (audited as the system's). */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "cli/cli.h"
#include "core/rules.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int seed_members(store_tx *tx, int64_t now, const store_actor *actor)
{
    static const char *people[][6] = {
        {"D-1001", "سارا", "محمدی", "+989121110001", "sara@example.com", "fa"},
        {"D-1002", "علی", "رضایی", "+989121110002", "ali@example.com", "fa"},
        {"D-1003", "Maryam", "Karimi", "+989121110003", "maryam@example.com", "en"},
        {"D-1004", "نگار", "حسینی", "+989121110004", "", "fa"},
        {"D-1005", "John", "Miller", "+15555550105", "john@example.com", "en"},
    };
    member_rules rules = {"IR", "Asia/Tehran", "fa", now};
    for (size_t i = 0; i < COUNT(people); i++) {
        member m;
        member_init(&m, &rules);
        snprintf(m.external_ref, sizeof(m.external_ref), "%s", people[i][0]);
        snprintf(m.given_name, sizeof(m.given_name), "%s", people[i][1]);
        snprintf(m.family_name, sizeof(m.family_name), "%s", people[i][2]);
        snprintf(m.phone, sizeof(m.phone), "%s", people[i][3]);
        snprintf(m.email, sizeof(m.email), "%s", people[i][4]);
        snprintf(m.locale, sizeof(m.locale), "%s", people[i][5]);
        m.has_birthday = true;
        m.birthday_calendar = strcmp(people[i][5], "fa") == 0 ? CALENDAR_PERSIAN : CALENDAR_GREGORIAN;
        m.birthday_y = m.birthday_calendar == CALENDAR_PERSIAN ? 1370 + (int)i : 1990 + (int)i;
        m.birthday_m = 1 + (int)i * 2;
        m.birthday_d = 5 + (int)i;
        m.consent_sms = true;
        m.consent_sms_at = now;
        m.kind = i == 3 ? MEMBER_KIND_PROSPECT : MEMBER_KIND_MEMBER;
        int status = store_tx_member_insert(tx, &m, NULL);
        if (status == STORE_OK)
            status = store_tx_audit(tx, actor, now, "member.create", "member", m.id, NULL, member_to_json(&m));
        member_release(&m);
        if (status != STORE_OK)
            return status;
    }
    return STORE_OK;
}

static int seed_rule(store_tx *tx, int64_t now)
{
    rule r;
    errlist e;
    errlist_init(&e);
    rule_init(&r);
    json_t *body = json_pack("{s:s, s:s, s:i, s:s, s:{s:s, s:i, s:i, s:s}}", "name", "1 point per 10,000 rials",
                             "event", "purchase", "priority", 10, "combine", "stack", "definition", "kind",
                             "per_amount", "points", 1, "per_amount_minor", 10000, "rounding", "floor");
    rule_apply_json(&r, body, true, &e);
    json_decref(body);
    r.created_at = r.updated_at = now;
    int status = e.count ? STORE_INVALID : store_tx_rule_insert(tx, &r);
    rule_release(&r);
    return status;
}

static int seed_tiers(store_tx *tx, int64_t now)
{
    static const struct {
        const char *en, *fa, *benefits_en, *benefits_fa;
        int64_t threshold, multiplier;
    } tiers[] = {
        {"Bronze", "برنزی", "", "", 0, 1000},
        {"Silver", "نقره‌ای", "10% more points on every purchase", "۱۰٪ امتیاز بیشتر در هر خرید", 500, 1100},
        {"Gold", "طلایی", "25% more points and an invitation to tasting evenings",
         "۲۵٪ امتیاز بیشتر و دعوت به شب‌های چشیدن", 2000, 1250},
    };
    for (size_t i = 0; i < COUNT(tiers); i++) {
        store_tier t;
        memset(&t, 0, sizeof(t));
        t.rule.rank = (int64_t)i;
        t.rule.basis = TIER_BASIS_POINTS;
        t.rule.threshold = tiers[i].threshold;
        t.rule.window_days = 365;
        t.rule.grace_days = 30;
        t.rule.multiplier_permille = tiers[i].multiplier;
        snprintf(t.name_en, sizeof(t.name_en), "%s", tiers[i].en);
        snprintf(t.name_fa, sizeof(t.name_fa), "%s", tiers[i].fa);
        snprintf(t.benefits_en, sizeof(t.benefits_en), "%s", tiers[i].benefits_en);
        snprintf(t.benefits_fa, sizeof(t.benefits_fa), "%s", tiers[i].benefits_fa);
        t.created_at = t.updated_at = now;
        int status = store_tx_tier_insert(tx, &t);
        if (status != STORE_OK)
            return status;
    }
    return STORE_OK;
}

static int seed_rewards(store_tx *tx, int64_t now)
{
    static const struct {
        const char *en, *fa, *kind;
        int64_t cost, stock;
    } rewards[] = {
        {"A coffee on the house", "یک قهوه مهمان ما", "free_product", 50, 0},
        {"Cinema tickets for two", "بلیت سینما برای دو نفر", "experience", 400, 20},
        {"A hand-made notebook", "دفترچهٔ دست‌ساز", "gift", 250, 30},
        {"A tree planted in your name", "کاشت یک درخت به نام شما", "donation", 150, 0},
    };
    for (size_t i = 0; i < COUNT(rewards); i++) {
        store_reward w;
        memset(&w, 0, sizeof(w));
        snprintf(w.name_en, sizeof(w.name_en), "%s", rewards[i].en);
        snprintf(w.name_fa, sizeof(w.name_fa), "%s", rewards[i].fa);
        snprintf(w.kind, sizeof(w.kind), "%s", rewards[i].kind);
        w.cost_points = rewards[i].cost;
        w.has_stock = rewards[i].stock > 0;
        w.stock = rewards[i].stock;
        w.active = true;
        w.created_at = w.updated_at = now;
        int status = store_tx_reward_insert(tx, &w);
        if (status != STORE_OK)
            return status;
    }
    return STORE_OK;
}

static int seed_demo(store_tx *tx, void *arg)
{
    int64_t now = clock_now_ms();
    store_actor system = {"system", 0, "demo"};
    int status = seed_members(tx, now, &system);
    if (status == STORE_OK)
        status = seed_rule(tx, now);
    if (status == STORE_OK)
        status = seed_tiers(tx, now);
    if (status == STORE_OK)
        status = seed_rewards(tx, now);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &system, now, "demo.seed", "club", 0, NULL, NULL);
    return status;
}

int cli_seed_demo(store *s)
{
    store_reader *r = store_reader_open(s);
    int64_t members = 0;
    int status = r ? store_member_count(r, &members) : STORE_ERROR;
    store_reader_close(r);
    if (status != STORE_OK)
        return -1;
    if (members == 0 && store_run(s, seed_demo, NULL) != STORE_OK)
        return -1;
    return 0;
}
