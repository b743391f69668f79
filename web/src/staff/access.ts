// What each staff role may use, as the server's access table (src/core/roles.c) says; the console shows only
// that. The server still checks every request: this only keeps out of sight what would be refused.
export type Ability =
  | 'memberWrite'
  | 'pointsWrite'
  | 'reports'
  | 'catalogAdmin'
  | 'programmeAdmin'
  | 'segmentRead'
  | 'segmentWrite'
  | 'userAdmin'
  | 'apikeyAdmin'
  | 'auditRead'
  | 'surveyRead'
  | 'surveyWrite'
  | 'budgetRead'
  | 'budgetWrite'
  | 'competitorRead'
  | 'competitorWrite'
  | 'momentsRead'
  | 'momentsWrite'
  | 'campaignRead'
  | 'campaignWrite'
  | 'campaignDecide'
  | 'webhookAdmin'
  | 'templateRead'
  | 'templateWrite';

const abilities: Record<Ability, string[]> = {
  memberWrite: ['owner', 'manager', 'marketer', 'cashier'],
  pointsWrite: ['owner', 'manager', 'cashier'],
  reports: ['owner', 'manager', 'marketer', 'analyst'],
  catalogAdmin: ['owner', 'manager', 'marketer'],
  programmeAdmin: ['owner', 'manager'],
  segmentRead: ['owner', 'manager', 'marketer', 'analyst'],
  segmentWrite: ['owner', 'manager', 'marketer'],
  userAdmin: ['owner'],
  apikeyAdmin: ['owner', 'manager'],
  auditRead: ['owner'],
  surveyRead: ['owner', 'manager', 'marketer', 'analyst'],
  surveyWrite: ['owner', 'manager', 'marketer'],
  budgetRead: ['owner', 'manager', 'marketer', 'analyst'],
  budgetWrite: ['owner', 'manager'],
  competitorRead: ['owner', 'manager', 'marketer'],
  competitorWrite: ['owner', 'manager', 'marketer'],
  momentsRead: ['owner', 'manager', 'marketer', 'analyst'], // PERM_CAMPAIGN_READ
  momentsWrite: ['owner', 'manager', 'marketer'], // PERM_CAMPAIGN_WRITE
  campaignRead: ['owner', 'manager', 'marketer', 'analyst'],
  campaignWrite: ['owner', 'manager', 'marketer'],
  campaignDecide: ['owner', 'manager'],
  webhookAdmin: ['owner', 'manager'], // PERM_WEBHOOK_ADMIN
  templateRead: ['owner', 'manager', 'marketer', 'analyst'], // PERM_SEGMENT_READ: list, read, preview
  templateWrite: ['owner', 'manager', 'marketer'], // PERM_SEGMENT_WRITE: create, change, delete
};

export function can(role: string | undefined, what: Ability): boolean {
  return !!role && abilities[what].includes(role);
}
