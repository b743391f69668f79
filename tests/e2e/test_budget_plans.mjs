// The club's money and plan pages, in English and then in Persian: a manager (the owner) adds a budget line and
// posts a cost by hand, and the report's table and chart show it against the budget with the points liability;
// creates a plan with a goal on the number of members, shown on track; writes a competitor note. In Persian the
// same pages are right-to-left with Persian words and digits.
import { check, numberIn, OWNER_PASSWORD, run } from './harness.mjs';

const PERSIAN_DIGIT = /[\u06F0-\u06F9]/;
const DAY_MS = 86400000;
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);

async function signIn(page, base, lang, username, password) {
  await page.goto(`${base}/?lang=${lang}`);
  await page.getByLabel(lang === 'fa' ? 'نام کاربری' : 'Username').fill(username);
  await page.getByLabel(lang === 'fa' ? 'گذرواژه' : 'Password').fill(password);
  await page.getByRole('button', { name: lang === 'fa' ? 'ورود' : 'Sign in' }).click();
  await page.getByRole('heading', { name: lang === 'fa' ? 'داشبورد' : 'Dashboard' }).waitFor();
}

async function cells(page, selector) {
  return (await page.locator(selector).allInnerTexts()).map((s) => s.trim());
}

async function english(page, base, shot) {
  await signIn(page, base, 'en', 'owner', OWNER_PASSWORD);
  const nav = page.getByRole('navigation', { name: 'Main menu' });
  await nav.getByRole('link', { name: 'Budget' }).click();
  await page.getByRole('heading', { name: 'Budget', level: 1 }).waitFor();
  await page.locator('table[data-table="report"]').waitFor();
  const period = await page.getByLabel('Period', { exact: true }).first().inputValue();
  check(/^\d{4}$/.test(period), `the period starts as the club's current year (got ${period})`);

  // a line for gifts in this year, then a cost by hand
  await page.locator('#line-category').selectOption('gifts');
  await page.getByLabel('Planned amount (minor units)', { exact: true }).fill('500000');
  await page.locator('form[aria-labelledby="add-line-title"]').getByRole('button', { name: 'Save' }).click();
  await page.locator('table[data-table="lines"] tbody tr').first().waitFor();
  await page.locator('#cost-category').selectOption('gifts');
  await page.getByLabel('Amount (minor units)', { exact: true }).fill('120000');
  await page.getByRole('button', { name: 'Post' }).click();
  await page.locator('table[data-table="costs"] tbody tr').first().waitFor();
  const gifts = await cells(page, 'table[data-table="report"] tr[data-category="gifts"] td');
  check(numberIn(gifts[0]) === 500000 && numberIn(gifts[1]) === 120000 && numberIn(gifts[2]) === 380000,
    `report row for gifts: planned, actual, remaining (got ${gifts})`);
  check((await page.locator('.chart canvas').count()) === 1, 'the report has its chart');
  check(!Number.isNaN(numberIn(await page.locator('.tile[data-figure="liability"] dd').innerText())), 'liability shown');
  // a bad cost: the field is named beside it, nothing is posted
  await page.getByLabel('Amount (minor units)', { exact: true }).fill('0');
  await page.getByRole('button', { name: 'Post' }).click();
  await page.locator('.field.invalid').first().waitFor();
  check((await page.locator('table[data-table="costs"] tbody tr').count()) === 1, 'the bad cost was not posted');
  await shot(page, 'budget-en');

  // a plan with a goal on members
  await nav.getByRole('link', { name: 'Plans' }).click();
  await page.getByRole('heading', { name: 'Plans', level: 1 }).waitFor();
  await page.getByLabel('Title', { exact: true }).fill('Next twelve months');
  await page.getByLabel('Starts', { exact: true }).fill(isoDay(Date.now() - DAY_MS));
  await page.getByLabel('Ends', { exact: true }).fill(isoDay(Date.now() + 300 * DAY_MS));
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('heading', { name: 'Next twelve months' }).waitFor();
  await page.getByLabel('Target', { exact: true }).fill('1000');
  await page.getByLabel('Due', { exact: true }).fill(isoDay(Date.now() + 100 * DAY_MS));
  await page.getByRole('button', { name: 'Add a goal' }).click();
  const goal = page.locator('table[data-table="goals"] tr[data-goal="members"]');
  await goal.waitFor();
  check((await goal.getAttribute('data-track')) === 'on_track', 'a goal just set is on track');
  check((await goal.innerText()).includes('On track'), 'on track in words');
  await shot(page, 'plans-en');

  // a competitor note
  await nav.getByRole('link', { name: 'Competitors' }).click();
  await page.getByRole('heading', { name: 'Competitors', level: 1 }).waitFor();
  await page.getByLabel('Competitor', { exact: true }).last().fill('Rival Mart');
  await page.getByLabel('What they offer').fill('Double points on Fridays');
  await page.getByLabel('Seen on').fill('2026-04-10');
  await page.locator('form[aria-labelledby="add-note-title"]').getByRole('button', { name: 'Save' }).click();
  await page.locator('table[data-table="notes"] tbody tr').first().waitFor();
  check((await page.locator('table[data-table="notes"]').innerText()).includes('Double points on Fridays'), 'note listed');
  await shot(page, 'competitors-en');
}

async function persian(page, base, shot) {
  await signIn(page, base, 'fa', 'owner', OWNER_PASSWORD);
  const nav = page.getByRole('navigation', { name: 'منوی اصلی' });
  await nav.getByRole('link', { name: 'بودجه' }).click();
  await page.getByRole('heading', { name: 'بودجه', level: 1 }).waitFor();
  await page.locator('table[data-table="report"] tr[data-category="gifts"]').waitFor();
  const dir = await page.evaluate(() => [document.documentElement.dir, document.documentElement.lang]);
  check(dir[0] === 'rtl' && dir[1] === 'fa', `budget page is right-to-left Persian (got ${dir})`);
  const gifts = await page.locator('table[data-table="report"] tr[data-category="gifts"]').innerText();
  check(gifts.includes('هدیه‌ها') && PERSIAN_DIGIT.test(gifts), `gifts row in Persian words and digits (got ${gifts})`);
  check(numberIn(await page.locator('table[data-table="report"] tr[data-category="gifts"] td').nth(1).innerText()) === 120000,
    'the actual in Persian digits reads as the cost');
  await shot(page, 'budget-fa');
  await nav.getByRole('link', { name: 'برنامه‌ها' }).click();
  await page.locator('table[data-table="goals"] tr[data-goal="members"]').waitFor();
  check((await page.locator('table[data-table="goals"]').innerText()).includes('در مسیر'), 'on track in Persian');
  await shot(page, 'plans-fa');
  await nav.getByRole('link', { name: 'رقبا' }).click();
  await page.locator('table[data-table="notes"] tbody tr').first().waitFor();
  check(PERSIAN_DIGIT.test(await page.locator('table[data-table="notes"] tbody tr td').first().innerText()),
    'the day seen in Persian digits (Jalali)');
  await shot(page, 'competitors-fa');
}

await run('budget_plans', async ({ server, b, shot }) => {
  const en = await b.context('en-US');
  await english(en, server.base, shot);
  // the one 400 is the bad cost the flow posts on purpose
  const unexpected = en.errors.filter((e) => !/status of 400/.test(e));
  check(unexpected.length === 0, `no console errors (got ${unexpected.join(' | ')})`);
  const fa = await b.context('fa-IR');
  await persian(fa, server.base, shot);
  check(fa.errors.length === 0, `no console errors in Persian (got ${fa.errors.join(' | ')})`);
});
