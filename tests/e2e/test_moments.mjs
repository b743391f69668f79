// The Moments page in English and in Persian: the owner signs in, opens Moments from the menu, creates a birthday
// moment whose hour is wrong (the server's message shows beside the field and nothing is created), corrects it, and
// finds it in the list; then the same pages in Persian are right-to-left, with Persian words and digits.
import { check, OWNER_PASSWORD, run } from './harness.mjs';

async function signIn(page, base, lang, w) {
  await page.goto(`${base}/?lang=${lang}`);
  await page.getByLabel(w.username).fill('owner');
  await page.getByLabel(w.password).fill(OWNER_PASSWORD);
  await page.getByRole('button', { name: w.signIn }).click();
  await page.getByRole('heading', { name: w.dashboard }).waitFor();
}

const EN = { username: 'Username', password: 'Password', signIn: 'Sign in', dashboard: 'Dashboard' };
const FA = { username: 'نام کاربری', password: 'گذرواژه', signIn: 'ورود', dashboard: 'داشبورد' };

await run('moments', async ({ server, b, shot }) => {
  const en = await b.context('en-US');
  await signIn(en, server.base, 'en', EN);
  await en.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Moments' }).click();
  await en.getByRole('heading', { name: 'Moments' }).waitFor();
  await en.getByText('No moments yet.').waitFor(); // an empty list at first
  await en.getByRole('link', { name: 'New moment' }).click();
  await en.getByRole('heading', { name: 'New moment' }).waitFor();
  await en.getByLabel('Name', { exact: true }).fill('Birthday gift');
  await en.getByLabel('Gift points').fill('250');
  await en.getByLabel('Local hour to send (0–23)').fill('25');
  await en.getByLabel('Channel').selectOption('inbox');
  await en.getByLabel('Subject (English)').fill('Happy birthday, {given_name}');
  await en.getByLabel('Text (English)').fill('{points} points for you');
  await en.getByLabel('Text (Persian)').fill('{points} امتیاز هدیهٔ تولد شما');
  await en.getByRole('button', { name: 'Create' }).click();
  await en.getByText('must be a whole hour from 0 to 23').waitFor();
  await shot(en, 'moment-bad-hour');
  check((await (await fetch(`${server.base}/api/v1/moments`)).status) === 401, 'the API wants credentials');
  await en.getByLabel('Local hour to send (0–23)').fill('10');
  await en.getByRole('button', { name: 'Create' }).click();
  await en.getByRole('heading', { name: 'Birthday gift' }).waitFor();
  await en.getByText('Nothing given yet.').waitFor();
  await en.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Moments' }).click();
  await en.locator('tbody tr').first().waitFor();
  const rows = await en.locator('tbody tr').allInnerTexts();
  check(rows.length === 1 && rows[0].includes('Birthday gift') && rows[0].includes('250 points') && rows[0].includes('10:00'),
    `one moment listed (got ${rows})`);
  await shot(en, 'moments-list');

  const fa = await b.context('fa-IR');
  await signIn(fa, server.base, 'fa', FA);
  await fa.getByRole('navigation').getByRole('link', { name: 'مناسبت‌ها' }).click();
  await fa.getByRole('heading', { name: 'مناسبت‌ها' }).waitFor();
  await fa.locator('tbody tr').first().waitFor();
  const row = (await fa.locator('tbody tr').allInnerTexts())[0];
  check(row.includes('تولد') && row.includes('۲۵۰') && row.includes('ساعت ۱۰'), `Persian row (got ${row})`);
  const dir = await fa.evaluate(() => document.documentElement.dir);
  check(dir === 'rtl', `right-to-left (got ${dir})`);
  await fa.locator('tbody tr a').first().click();
  await fa.getByLabel('ساعت ارسال به وقت محلی (۰ تا ۲۳)').waitFor();
  check((await fa.getByLabel('۲۹ فوریه و ۳۰ اسفند در سال‌های دیگر').inputValue()) === 'before', 'leap policy shown');
  await shot(fa, 'moment-fa');
});
