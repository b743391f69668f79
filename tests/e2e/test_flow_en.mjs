// The staff-to-member flow in English.
import { run } from './harness.mjs';
import { memberFlow } from './flow.mjs';

await run('flow_en', (env) => memberFlow('en', env));
