/* The access table: one row per role, one column per permission. Ranks order the roles for granting. */
#include "core/roles.h"

#include <stdint.h>
#include <string.h>

static const char *role_names[ROLE_COUNT] = {"", "owner", "manager", "marketer", "cashier", "analyst"};

/* Lower is stronger. A role may grant only roles of its rank or weaker (none below manager may grant at all). */
static const int role_rank[ROLE_COUNT] = {99, 0, 1, 2, 3, 4};

_Static_assert(PERM_COUNT <= 64, "role_perms holds one bit per permission");
#define R(p) (UINT64_C(1) << (p))
static const uint64_t role_perms[ROLE_COUNT] = {
    [ROLE_OWNER] = ~UINT64_C(0),
    [ROLE_MANAGER] = R(PERM_PUBLIC) | R(PERM_SIGNED_IN) | R(PERM_MEMBER_READ) | R(PERM_MEMBER_WRITE) |
                     R(PERM_MEMBER_ERASE) | R(PERM_MEMBER_IMPORT) | R(PERM_MEMBER_EXPORT) | R(PERM_APIKEY_ADMIN) |
                     R(PERM_PROGRAMME_ADMIN) | R(PERM_POINTS_READ) | R(PERM_POINTS_WRITE) | R(PERM_POINTS_ADJUST) |
                     R(PERM_CATALOG_ADMIN) | R(PERM_SEGMENT_READ) | R(PERM_SEGMENT_WRITE) | R(PERM_REPORT_READ) |
                     R(PERM_CLASSES_READ) | R(PERM_CLASSES_ADMIN) | R(PERM_CONTACT_READ) | R(PERM_CONTACT_WRITE) |
                     R(PERM_SURVEY_READ) | R(PERM_SURVEY_WRITE) | R(PERM_CAMPAIGN_READ) | R(PERM_CAMPAIGN_WRITE) |
                     R(PERM_CAMPAIGN_DECIDE) | R(PERM_BUDGET_READ) | R(PERM_BUDGET_WRITE) |
                     R(PERM_COMPETITOR_READ) | R(PERM_COMPETITOR_WRITE) | R(PERM_WEBHOOK_ADMIN),
    [ROLE_MARKETER] = R(PERM_PUBLIC) | R(PERM_SIGNED_IN) | R(PERM_MEMBER_READ) | R(PERM_MEMBER_WRITE) |
                      R(PERM_MEMBER_IMPORT) | R(PERM_MEMBER_EXPORT) | R(PERM_POINTS_READ) | R(PERM_CATALOG_ADMIN) |
                      R(PERM_SEGMENT_READ) | R(PERM_SEGMENT_WRITE) | R(PERM_REPORT_READ) | R(PERM_CONTACT_READ) |
                      R(PERM_CONTACT_WRITE) | R(PERM_SURVEY_READ) | R(PERM_SURVEY_WRITE) | R(PERM_CAMPAIGN_READ) |
                      R(PERM_CAMPAIGN_WRITE) | R(PERM_BUDGET_READ) | R(PERM_COMPETITOR_READ) |
                      R(PERM_COMPETITOR_WRITE),
    [ROLE_CASHIER] = R(PERM_PUBLIC) | R(PERM_SIGNED_IN) | R(PERM_MEMBER_READ) | R(PERM_MEMBER_WRITE) |
                     R(PERM_POINTS_READ) | R(PERM_POINTS_WRITE),
    [ROLE_ANALYST] = R(PERM_PUBLIC) | R(PERM_SIGNED_IN) | R(PERM_MEMBER_READ) | R(PERM_MEMBER_EXPORT) |
                     R(PERM_POINTS_READ) | R(PERM_SEGMENT_READ) | R(PERM_REPORT_READ) | R(PERM_CLASSES_READ) |
                     R(PERM_CONTACT_READ) | R(PERM_SURVEY_READ) | R(PERM_CAMPAIGN_READ) | R(PERM_BUDGET_READ),
};
#undef R

role roles_from_name(const char *name)
{
    for (int r = ROLE_OWNER; r < ROLE_COUNT; r++)
        if (name && strcmp(name, role_names[r]) == 0)
            return (role)r;
    return ROLE_NONE;
}

const char *roles_name(role r) { return r > ROLE_NONE && r < ROLE_COUNT ? role_names[r] : "none"; }

bool roles_allows(role r, permission p)
{
    if (p == PERM_PUBLIC)
        return true;
    if (r <= ROLE_NONE || r >= ROLE_COUNT || p >= PERM_COUNT)
        return false;
    return (role_perms[r] >> p) & 1u;
}

bool roles_may_grant(role granter, role granted)
{
    if (granted <= ROLE_NONE || granted >= ROLE_COUNT || granter <= ROLE_NONE || granter >= ROLE_COUNT)
        return false;
    return role_rank[granted] >= role_rank[granter];
}
