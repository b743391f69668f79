// The segment builder, in Persian and right to left: conditions typed with Persian digits, the live count as
// the filter changes equal to the server's count for the same filter, a group switched from "all" to "any",
// the segment saved, its member list and its CSV export holding the same members.
import { ascii, check, run } from './harness.mjs';
import { apiFrom, memberWithPurchase, ownerPage } from './console.mjs';

const fa = (n) => String(n).replace(/[0-9]/g, (d) => String.fromCharCode(0x06f0 + Number(d)));

async function liveCount(page, want, what) {
  const el = page.getByTestId('live-count');
  const deadline = Date.now() + 10000;
  while ((await el.getAttribute('aria-busy')) !== 'false' || (await el.getAttribute('data-count')) !== String(want)) {
    check(Date.now() < deadline, `${what}: the live count reaches ${want} (shows ${await el.getAttribute('data-count')})`);
    await page.waitForTimeout(100);
  }
  const text = await page.getByTestId('live-count').innerText();
  check(/[\u06F0-\u06F9]/.test(text) && Number(ascii(text).replace(/\D/g, '')) === want, `${what}: the live count reads ${want} in Persian digits (got ${text})`);
}

await run('segments_fa', async ({ server, b, shot }) => {
  const page = await ownerPage(b, server.base, 'fa');
  for (const [name, amount] of [['Ava', 2000000], ['Bita', 5000000], ['Cyrus', 8000000]]) await memberWithPurchase(page, name, amount);

  await page.getByRole('link', { name: 'گروه‌های مشتریان' }).click();
  await page.getByRole('heading', { name: 'گروه جدید' }).waitFor();
  const dir = await page.evaluate(() => [document.documentElement.dir, getComputedStyle(document.body).direction]);
  check(dir[0] === 'rtl' && dir[1] === 'rtl', `the builder is right to left (${dir})`);

  // One condition: money spent at least 4,000,000, typed in Persian digits.
  const first = page.locator('.cond').nth(0);
  await first.getByLabel('ویژگی').selectOption('spend');
  await first.getByLabel('عملگر').selectOption('gte');
  await first.getByLabel('مقدار').fill(fa(4000000));
  const f1 = { all: [{ field: 'spend', op: 'gte', value: 4000000 }] };
  const c1 = (await apiFrom(page, 'POST', '/api/v1/segments/count', { filter: f1 })).body.count;
  check(c1 >= 2, `the server counts the two big spenders at least (${c1})`);
  await liveCount(page, c1, 'spend ≥ 4,000,000');
  await shot(page, 'one-condition');

  // A second condition nobody meets: with "all" the count falls to what the server says (none).
  await page.getByRole('button', { name: 'افزودن شرط' }).first().click();
  const second = page.locator('.cond').nth(1);
  await second.getByLabel('ویژگی').selectOption('purchase_count');
  await second.getByLabel('عملگر').selectOption('gte');
  await second.getByLabel('مقدار').fill(fa(50));
  const c2 = (await apiFrom(page, 'POST', '/api/v1/segments/count', { filter: { all: [...f1.all, { field: 'purchase_count', op: 'gte', value: 50 }] } })).body.count;
  await liveCount(page, c2, 'and purchases ≥ 50');

  // "Any" of them: the count is the server's for the "any" filter.
  await page.locator('fieldset.group').first().locator('legend select').selectOption('any');
  const anyFilter = { any: [...f1.all, { field: 'purchase_count', op: 'gte', value: 50 }] };
  const c3 = (await apiFrom(page, 'POST', '/api/v1/segments/count', { filter: anyFilter })).body.count;
  check(c3 === c1, `any of the two is the big spenders again (${c3} vs ${c1})`);
  await liveCount(page, c3, 'any of the two');

  // Save it, by keyboard: the segment's page lists its members, and the CSV holds the same number.
  await page.getByLabel('نام', { exact: true }).fill('خریداران بزرگ');
  await page.getByLabel('نام', { exact: true }).press('Enter');
  await page.waitForURL(/\/segments\/\d+/);
  const id = Number(page.url().match(/segments\/(\d+)/)[1]);
  await page.getByTestId('segment-count').waitFor();
  check(Number(ascii(await page.getByTestId('segment-count').innerText())) === c3, 'the saved segment counts the same members');
  await page.locator('table.seg-members tbody tr').first().waitFor();
  const rows = await page.locator('table.seg-members tbody tr').count();
  check(rows === Math.min(c3, 50), `the member list shows the segment's members (${rows})`);
  const stored = await apiFrom(page, 'GET', `/api/v1/segments/${id}`);
  check(JSON.stringify(stored.body.filter) === JSON.stringify(anyFilter), `the stored filter is the one built (${JSON.stringify(stored.body.filter)})`);
  const exportHref = await page.getByRole('link', { name: 'دریافت CSV' }).getAttribute('href');
  const csv = await page.evaluate(async (u) => (await fetch(u)).text(), exportHref);
  const lines = csv.trim().split(/\r?\n/).length;
  check(lines === c3 + 1, `the CSV has a header and one line per member (${lines} lines for ${c3})`);
  await shot(page, 'segment-saved');
  check(page.errors.length === 0, `no errors in the browser console: ${page.errors.join(' | ')}`);
});
