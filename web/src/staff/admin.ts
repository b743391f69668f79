// The console's management pages, loaded on first use as one chunk of their own: the cashier's screen and the
// member portal (what phones and tills open) do not carry them.
export { ReportsDashboard } from './ReportsDashboard';
export { Rewards } from './Rewards';
export { Tiers } from './Tiers';
export { Rules } from './Rules';
export { ProgrammeSettings } from './ProgrammeSettings';
export { Segments } from './Segments';
export { Users } from './Users';
export { ApiKeys } from './ApiKeys';
export { Audit } from './Audit';
export { Surveys } from './Surveys';
export { Broadcasts } from './Broadcasts';
export { Webhooks } from './Webhooks';
export { Templates } from './Templates';
