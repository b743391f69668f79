// What each staff role may use, as the server's access table (src/core/roles.c) says; the console shows only
// that. The server still checks every request: this only keeps out of sight what would be refused.
export type Ability =
  | 'memberWrite'
  | 'pointsWrite'
  | 'budgetRead'
  | 'budgetWrite'
  | 'competitorRead'
  | 'competitorWrite';

const abilities: Record<Ability, string[]> = {
  memberWrite: ['owner', 'manager', 'marketer', 'cashier'],
  pointsWrite: ['owner', 'manager', 'cashier'],
  budgetRead: ['owner', 'manager', 'marketer', 'analyst'],
  budgetWrite: ['owner', 'manager'],
  competitorRead: ['owner', 'manager', 'marketer'],
  competitorWrite: ['owner', 'manager', 'marketer'],
};

export function can(role: string | undefined, what: Ability): boolean {
  return !!role && abilities[what].includes(role);
}
