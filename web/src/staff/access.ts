// What each staff role may use, as the server's access table (src/core/roles.c) says; the console shows only
// that. The server still checks every request: this only keeps out of sight what would be refused.
export type Ability = 'memberWrite' | 'pointsWrite' | 'momentsRead' | 'momentsWrite';

const abilities: Record<Ability, string[]> = {
  memberWrite: ['owner', 'manager', 'marketer', 'cashier'],
  pointsWrite: ['owner', 'manager', 'cashier'],
  momentsRead: ['owner', 'manager', 'marketer', 'analyst'], // PERM_CAMPAIGN_READ
  momentsWrite: ['owner', 'manager', 'marketer'], // PERM_CAMPAIGN_WRITE
};

export function can(role: string | undefined, what: Ability): boolean {
  return !!role && abilities[what].includes(role);
}
