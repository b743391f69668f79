// The campaign and pilot flow in English.
import { run } from './harness.mjs';
import { campaignFlow } from './campaign_flow.mjs';

await run('campaigns_en', (env) => campaignFlow('en', env));
