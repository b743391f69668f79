// What each staff role may use, as the server's access table (src/core/roles.c) says; the console shows only
// that. The server still checks every request: this only keeps out of sight what would be refused.
export type Ability = 'memberWrite' | 'pointsWrite' | 'campaignRead' | 'campaignWrite' | 'campaignDecide';

const abilities: Record<Ability, string[]> = {
  memberWrite: ['owner', 'manager', 'marketer', 'cashier'],
  pointsWrite: ['owner', 'manager', 'cashier'],
  campaignRead: ['owner', 'manager', 'marketer', 'analyst'],
  campaignWrite: ['owner', 'manager', 'marketer'],
  campaignDecide: ['owner', 'manager'],
};

export function can(role: string | undefined, what: Ability): boolean {
  return !!role && abilities[what].includes(role);
}
