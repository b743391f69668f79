// Every management page in Persian: opened by its address (so a reload works), right to left, its heading and
// labels Persian, figures in Persian digits, every form field labelled, and reachable by keyboard (Tab from the
// menu lands on the page's controls); no errors in the console.
import { check, run } from './harness.mjs';
import { apiFrom, memberWithPurchase, ownerPage } from './console.mjs';

const PAGES = [
  ['/dashboard', 'داشبورد'],
  ['/rewards', 'جایزه‌ها'],
  ['/tiers', 'سطح‌های عضویت'],
  ['/rules', 'قانون‌های امتیازدهی'],
  ['/programme', 'تنظیمات باشگاه'],
  ['/segments', 'گروه‌های مشتریان'],
  ['/users', 'کاربران'],
  ['/apikeys', 'کلیدهای API'],
  ['/audit', 'سابقهٔ تغییرات'],
  ['/surveys', 'نظرسنجی‌ها'],
  ['/broadcasts', 'پیام به اعضا'],
];

await run('console_fa', async ({ server, b, shot }) => {
  const page = await ownerPage(b, server.base, 'fa');
  await memberWithPurchase(page, 'Sara', 3000000);
  const made = await apiFrom(page, 'POST', '/api/v1/segments', { name: 'همه', filter: { all: [] } });
  check(made.status === 201, `a segment (${made.status})`);
  for (const [path, title] of PAGES) {
    await page.goto(`${server.base}${path}?lang=fa`);
    await page.getByRole('heading', { name: title, exact: true, level: 1 }).waitFor();
    const state = await page.evaluate(() => ({
      dir: document.documentElement.dir,
      direction: getComputedStyle(document.querySelector('main')).direction,
      lang: document.documentElement.lang,
      // Form fields without a label a screen reader can read.
      unlabelled: [...document.querySelectorAll('main input, main select, main textarea')]
        .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
        .map((el) => el.outerHTML.slice(0, 80)),
      digits: [...document.querySelectorAll('main td.num, main dd')].map((el) => el.textContent).join(' '),
    }));
    check(state.dir === 'rtl' && state.direction === 'rtl' && state.lang === 'fa', `${path}: right to left Persian (${JSON.stringify(state)})`);
    check(state.unlabelled.length === 0, `${path}: every field labelled (${state.unlabelled.join(' | ')})`);
    check(!/[0-9]/.test(state.digits.replace(/[A-Z]{3}/g, '')), `${path}: figures in Persian digits (${state.digits.slice(0, 120)})`);
    // By keyboard: from the last menu link, Tab goes on into the page, never stuck in the header.
    await page.getByRole('navigation').getByRole('link').last().focus();
    let inMain = false;
    for (let n = 0; n < 8 && !inMain; n++) {
      await page.keyboard.press('Tab');
      inMain = await page.evaluate(() => !!document.activeElement?.closest('main'));
    }
    check(inMain, `${path}: Tab reaches the page's controls`);
    await shot(page, path.slice(1));
  }
  check(page.errors.length === 0, `no errors in the browser console: ${page.errors.join(' | ')}`);
});
