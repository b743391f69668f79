// The campaign and pilot flow in Persian, right to left, with Persian digits.
import { run } from './harness.mjs';
import { campaignFlow } from './campaign_flow.mjs';

await run('campaigns_fa', (env) => campaignFlow('fa', env));
