// The staff-to-member flow in Persian, right to left, with Persian digits and Jalali dates.
import { run } from './harness.mjs';
import { memberFlow } from './flow.mjs';

await run('flow_fa', (env) => memberFlow('fa', env));
