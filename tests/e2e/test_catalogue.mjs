// The catalogue editors: a reward added in the rewards editor is redeemable (the server takes its points); a tier
// added in the tiers editor is on the ladder; an earning rule written in the rules editor says in words what it
// does as it is typed and then earns those points on a purchase; a programme setting changed is kept.
import { check, numberIn, run } from './harness.mjs';
import { apiFrom, memberWithPurchase, ownerPage } from './console.mjs';

await run('catalogue', async ({ server, b, shot }) => {
  const page = await ownerPage(b, server.base);

  // A reward, made in the editor.
  await page.getByRole('link', { name: 'Rewards', exact: true }).click();
  await page.getByRole('heading', { name: 'New reward' }).waitFor();
  await page.getByLabel('Name in English').fill('Museum pass');
  await page.getByLabel('Name in Persian').fill('کارت موزه');
  await page.getByLabel('Kind').selectOption('experience');
  await page.getByLabel('Cost in points').fill('30');
  await page.getByLabel('Stock').fill('5');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByText('The reward is saved.').waitFor();
  const row = page.locator('tr', { hasText: 'Museum pass' });
  await row.waitFor();
  check(numberIn(await row.locator('td').nth(2).innerText()) === 30, 'the new reward costs 30 points in the list');
  await shot(page, 'reward-added');
  const rewards = await apiFrom(page, 'GET', '/api/v1/rewards?limit=200');
  const reward = rewards.body.items.find((r) => r.name_en === 'Museum pass');
  check(reward && reward.cost_points === 30 && reward.stock === 5 && reward.kind === 'experience', `the server holds the reward (${JSON.stringify(reward)})`);

  // An earning rule, with its words previewed as typed: a bonus of 7 on a first purchase.
  await page.getByRole('link', { name: 'Earning rules' }).click();
  await page.getByRole('heading', { name: 'New rule' }).waitFor();
  await page.getByLabel('Name (shown in explanations)').fill('Welcome bonus');
  await page.getByLabel('Formula').selectOption('bonus');
  await page.getByLabel('Points', { exact: true }).fill('7');
  await page.getByLabel('First purchase only').check();
  const preview = await page.getByTestId('rule-preview').innerText();
  check(/a bonus of 7 points/.test(preview) && /first purchase only/.test(preview), `the preview says what the rule does (got ${preview})`);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByText('The rule is saved.').waitFor();
  await page.locator('tr', { hasText: 'Welcome bonus' }).waitFor();
  await shot(page, 'rule-added');

  // A member's first purchase earns the rule's bonus and is then able to redeem the new reward.
  const m = await memberWithPurchase(page, 'Nima', 500000);
  const ledger = await apiFrom(page, 'GET', `/api/v1/members/${m.id}/ledger`);
  const earned = ledger.body.items.find((e) => e.kind === 'earn');
  check(earned && JSON.stringify(earned.explanation).includes('Welcome bonus'), `the purchase is explained by the new rule (${JSON.stringify(earned)})`);
  const before = ledger.body.balance.available;
  check(before >= 30, `enough points to redeem (${before})`);
  const red = await apiFrom(page, 'POST', '/api/v1/redemptions', { member_id: m.id, reward_id: reward.id });
  check(red.status === 201, `the new reward is redeemable (${red.status} ${JSON.stringify(red.body)})`);
  const after = await apiFrom(page, 'GET', `/api/v1/members/${m.id}/ledger`);
  check(after.body.balance.available === before - 30, `30 points taken (${before} -> ${after.body.balance.available})`);
  await page.getByRole('link', { name: 'Rewards', exact: true }).click();
  const stock = page.locator(`tr[data-reward="${reward.id}"] td:nth-child(4)`);
  await stock.waitFor();
  check(numberIn(await stock.innerText()) === 4, 'the list shows one taken from the stock');

  // A tier.
  await page.getByRole('link', { name: 'Tiers' }).click();
  await page.getByRole('heading', { name: 'New tier' }).waitFor();
  await page.getByLabel('Name in English').fill('Platinum');
  await page.getByLabel('Name in Persian').fill('پلاتین');
  await page.getByLabel('Rank').fill('9');
  await page.getByLabel('Threshold').fill('5000');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByText('The tier is saved.').waitFor();
  await page.locator('tr', { hasText: 'Platinum' }).waitFor();
  const tiers = await apiFrom(page, 'GET', '/api/v1/tiers');
  check(tiers.body.items.some((t) => t.name_en === 'Platinum' && t.rank === 9 && t.threshold === 5000), 'the server holds the tier');
  // A rank already taken is refused, and the message sits under the field.
  await page.getByLabel('Name in English').fill('Again');
  await page.getByLabel('Name in Persian').fill('دوباره');
  await page.getByLabel('Rank').fill('9');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.locator('.field.invalid input[aria-invalid="true"]').first().waitFor();
  await shot(page, 'tier-conflict');

  // The programme: the points' English name.
  await page.getByRole('link', { name: 'Programme' }).click();
  await page.getByLabel("Points' name in English").fill('stars');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('The settings are saved.').waitFor();
  const prog = await apiFrom(page, 'GET', '/api/v1/programme');
  check(prog.body.points_name.en === 'stars', `the programme keeps the new name (${JSON.stringify(prog.body.points_name)})`);
  await shot(page, 'programme');
  // The one error expected: the refused rank (409).
  const errors = page.errors.filter((e) => !/status of 409/.test(e));
  check(errors.length === 0, `no other errors in the browser console: ${errors.join(' | ')}`);
});
