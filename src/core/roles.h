/* Staff roles and what each may do: the one table of access in bashgah (roles.c).
 * The HTTP layer asks roles_allows() before every handler; nothing else decides access. */
#ifndef BASHGAH_ROLES_H
#define BASHGAH_ROLES_H

#include <stdbool.h>

typedef enum role {
    ROLE_NONE = 0,
    ROLE_OWNER,
    ROLE_MANAGER,
    ROLE_MARKETER,
    ROLE_CASHIER,
    ROLE_ANALYST,
    ROLE_COUNT
} role;

typedef enum permission {
    PERM_PUBLIC = 0,     /* no credentials needed */
    PERM_SIGNED_IN,      /* any staff user or API key */
    PERM_MEMBER_READ,    /* get, list, search members */
    PERM_MEMBER_WRITE,   /* create and update members */
    PERM_MEMBER_ERASE,   /* erase a member's personal data */
    PERM_MEMBER_IMPORT,  /* CSV import */
    PERM_MEMBER_EXPORT,  /* CSV export and personal-data export */
    PERM_USER_ADMIN,     /* staff users */
    PERM_APIKEY_ADMIN,   /* API keys */
    PERM_AUDIT_READ,     /* the audit log */
    PERM_PROGRAMME_ADMIN, /* programme settings */
    PERM_POINTS_READ,    /* ledgers, transactions, balances, the catalogue */
    PERM_POINTS_WRITE,   /* purchases, returns, events, redemptions at the counter */
    PERM_POINTS_ADJUST,  /* manual adjustments and transfers */
    PERM_CATALOG_ADMIN,  /* earning rules, rewards, tiers */
    PERM_SEGMENT_READ,   /* segments: definitions, counts, members, exports */
    PERM_SEGMENT_WRITE,  /* create, change and delete segments */
    PERM_REPORT_READ,    /* key figures */
    PERM_CLASSES_READ,   /* class history of members */
    PERM_CLASSES_ADMIN,  /* recompute classes, RFM and value on demand */
    PERM_CONTACT_READ,   /* contacts beyond the members */
    PERM_CONTACT_WRITE,  /* create, change, delete and import contacts */
    PERM_SURVEY_READ,    /* surveys and their results */
    PERM_SURVEY_WRITE,   /* create and change surveys, send invitations */
    PERM_CAMPAIGN_READ,  /* campaigns, pilots, evaluations, moments */
    PERM_CAMPAIGN_WRITE, /* create and change campaigns and moments, draw pilots, launch */
    PERM_CAMPAIGN_DECIDE, /* decide after a pilot: roll out, extend, stop */
    PERM_BUDGET_READ,    /* budget lines, costs, the money report, plans */
    PERM_BUDGET_WRITE,   /* change budget lines and plans, post costs by hand */
    PERM_COMPETITOR_READ, /* competitor notes */
    PERM_COMPETITOR_WRITE, /* write competitor notes */
    PERM_WEBHOOK_ADMIN,  /* webhooks for the company's other departments */
    PERM_COUNT
} permission;

/* "owner" -> ROLE_OWNER; ROLE_NONE for anything else. */
role roles_from_name(const char *name);
const char *roles_name(role r);
bool roles_allows(role r, permission p);
/* Whether a holder of role `granter` may hand out role `granted` (to a key or a user): never a higher one. */
bool roles_may_grant(role granter, role granted);

#endif
