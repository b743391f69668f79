// The flow the issue names, in one language: staff sign in, create (and edit) a member, record a purchase at the cashier
// screen; the member signs in to the portal (with the code staff read out), sees the points with their
// explanation, redeems a reward; the dashboard shows the change. For Persian it also checks the page is
// right-to-left, its labels Persian, its digits Persian and its dates Jalali.
import { ascii, check, numberIn, OWNER_PASSWORD } from './harness.mjs';

// What a person sees on the screen, per language (the app's words, web/src/lib/words.ts).
const W = {
  en: {
    username: 'Username', password: 'Password', signIn: 'Sign in', dashboard: 'Dashboard', newMember: 'New member',
    givenName: 'Given name', familyName: 'Family name', phone: 'Phone', language: 'Language', create: 'Create',
    cashier: 'Cashier', find: 'Find', amount: 'Amount of the purchase', record: 'Record the purchase',
    showCode: 'Show the waiting code', phoneOrEmail: 'Phone or email', sendCode: 'Send me a code',
    code: 'The code you received', verify: 'Sign in', members: 'Members', refresh: 'Refresh', history: 'History',
    earnedKind: 'Points earned', redeemKind: 'Reward redeemed', redeem: 'Redeem', reward: 'A coffee on the house',
    rule: '1 point per 10,000 rials', redeemed: 'You redeemed', edit: 'Edit', save: 'Save',
  },
  fa: {
    username: 'نام کاربری', password: 'گذرواژه', signIn: 'ورود', dashboard: 'داشبورد', newMember: 'عضو جدید',
    givenName: 'نام', familyName: 'نام خانوادگی', phone: 'تلفن', language: 'زبان', create: 'ایجاد',
    cashier: 'صندوق', find: 'یافتن', amount: 'مبلغ خرید', record: 'ثبت خرید',
    showCode: 'نمایش کد در انتظار', phoneOrEmail: 'تلفن یا ایمیل', sendCode: 'کد را بفرست',
    code: 'کدی که دریافت کردید', verify: 'ورود', members: 'اعضا', refresh: 'به‌روزرسانی', history: 'سابقه',
    earnedKind: 'امتیاز کسب‌شده', redeemKind: 'دریافت جایزه', redeem: 'دریافت', reward: 'یک قهوه مهمان ما',
    rule: '1 point per 10,000 rials', redeemed: 'را دریافت کردید', edit: 'ویرایش', save: 'ذخیره',
  },
};

const PERSIAN_DIGIT = /[\u06F0-\u06F9]/;

async function tile(page, figure) {
  return numberIn(await page.locator(`.tile[data-figure="${figure}"] dd`).innerText());
}

async function checkRtl(page, w, where) {
  const dir = await page.evaluate(() => [document.documentElement.dir, getComputedStyle(document.body).direction, document.documentElement.lang]);
  check(dir[0] === 'rtl' && dir[1] === 'rtl' && dir[2] === 'fa', `${where}: page is right-to-left Persian (got ${dir})`);
}

export async function memberFlow(lang, { server, b, shot }) {
  const w = W[lang];
  const fa = lang === 'fa';
  const q = `?lang=${lang}`;
  const staff = await b.context(fa ? 'fa-IR' : 'en-US');

  // Staff sign in.
  await staff.goto(`${server.base}/${q}`);
  await staff.getByLabel(w.username).fill('owner');
  await staff.getByLabel(w.password).fill(OWNER_PASSWORD);
  if (fa) await checkRtl(staff, w, 'sign-in');
  await shot(staff, 'staff-sign-in');
  await staff.getByRole('button', { name: w.signIn }).click();
  await staff.getByRole('heading', { name: w.dashboard }).waitFor();
  await staff.locator('.tile[data-figure="outstanding"] dd').waitFor();
  const before = { available: await tile(staff, 'outstanding'), used: await tile(staff, 'redeemed'), members: await tile(staff, 'members') };
  if (fa) {
    check(PERSIAN_DIGIT.test(await staff.locator('.tiles').innerText()), 'dashboard figures in Persian digits');
    await checkRtl(staff, w, 'dashboard');
    // The charts' periods are Jalali months, in Persian digits (the figures' tables beside the charts).
    const period = (await staff.locator('figure table tbody th').first().textContent()) ?? '';
    check(/۱۴[۰-۹]{2}/.test(period) && /(فروردین|اردیبهشت|خرداد|تیر|مرداد|شهریور|مهر|آبان|آذر|دی|بهمن|اسفند)/.test(period), `the dashboard's periods are Jalali months (got ${period})`);
  }
  await shot(staff, 'dashboard-before');

  // Create a member.
  const phone = `0912${String(Date.now() % 10000000).padStart(7, '0')}`;
  const given = fa ? 'سارا' : 'Sara';
  await staff.getByRole('link', { name: w.newMember }).click();
  await staff.getByLabel(w.givenName, { exact: true }).fill(given);
  await staff.getByLabel(w.familyName).fill(fa ? 'احمدی' : 'Ahmadi');
  // A Persian phone as people type it: Persian digits.
  await staff.getByLabel(w.phone).fill(fa ? phone.replace(/[0-9]/g, (d) => String.fromCharCode(0x06f0 + Number(d))) : phone);
  await staff.getByLabel(w.language).selectOption(lang);
  await shot(staff, 'member-new');
  await staff.getByRole('button', { name: w.create }).click();
  await staff.getByRole('heading', { name: new RegExp(given) }).waitFor();
  const memberUrl = staff.url();
  check(/\/members\/\d+/.test(memberUrl), `member page after create (${memberUrl})`);
  await shot(staff, 'member-created');

  // Edit the member: the family name changes.
  const family = fa ? 'احمدی‌نژاد' : 'Ahmadi-Nejad';
  await staff.getByRole('link', { name: w.edit }).click();
  await staff.getByLabel(w.familyName).fill(family);
  await staff.getByRole('button', { name: w.save }).click();
  await staff.getByRole('heading', { name: `${given} ${family}` }).waitFor();
  check(staff.url().split('?')[0] === memberUrl.split('?')[0], `back on the member page after editing (${staff.url()})`);

  // Record a purchase at the cashier screen: 1,000,000 rials at 1 point per 10,000 rials.
  await staff.getByRole('link', { name: w.cashier }).click();
  await staff.locator('#cashier-who').fill(phone);
  await staff.getByRole('button', { name: w.find }).click();
  await staff.getByLabel(w.amount).fill(fa ? '۱٬۰۰۰٬۰۰۰' : '1,000,000');
  await staff.getByRole('button', { name: w.record }).click();
  const earned = await staff.getByTestId('earned').innerText();
  check(numberIn(earned) === 100, `cashier shows 100 points earned at once (got ${earned})`);
  check(earned.includes(w.rule), `cashier shows why (got ${earned})`);
  if (fa) check(/۱۰۰/.test(earned), `points in Persian digits (got ${earned})`);
  await shot(staff, 'cashier-earned');

  // The member asks for a code in the portal; staff read it out at the till. The member's browser speaks
  // English: the portal starts in English and, once signed in, follows the member's own language.
  const member = await b.context('en-US');
  const m = W.en;
  await member.goto(`${server.base}/portal`);
  await member.getByLabel(m.phoneOrEmail).fill(phone);
  await member.getByRole('button', { name: m.sendCode }).click();
  await member.getByLabel(m.code).waitFor();
  await staff.goto(memberUrl);
  await staff.getByRole('button', { name: w.showCode }).click();
  const shown = await staff.getByTestId('portal-code').innerText();
  const code = ascii(shown).replace(/\D/g, '');
  check(code.length === 6, `a 6-digit code is shown (got ${shown})`);
  if (fa) check(PERSIAN_DIGIT.test(shown), `the code is shown in Persian digits (got ${shown})`);
  await shot(staff, 'member-code');
  await member.getByLabel(m.code).fill(fa ? shown : code);
  await shot(member, 'portal-code');
  await member.getByRole('button', { name: m.verify, exact: true }).click();

  // The points, with their explanation.
  await member.getByTestId('available').waitFor();
  check(numberIn(await member.getByTestId('available').innerText()) === 100, 'the portal shows 100 points');
  const earnRow = member.locator('table.ledger tr[data-kind="earn"]');
  const earnText = await earnRow.innerText();
  check(earnText.includes(w.earnedKind) && earnText.includes(w.rule), `the history explains the points (got ${earnText})`);
  if (fa) {
    await checkRtl(member, w, 'portal');
    check(/۱۴[۰-۹]{2}/.test(earnText), `dates in the Jalali calendar with Persian digits (got ${earnText})`);
  } else {
    check(/20\d\d/.test(earnText), `dates in the Gregorian calendar (got ${earnText})`);
  }
  await shot(member, 'portal-points');

  // Redeem a reward of 50 points.
  await member.getByRole('button', { name: new RegExp(`${w.redeem}.*${w.reward}`) }).click();
  const done = await member.locator('.alert.ok').innerText();
  check(done.includes(w.redeemed), `the redemption is confirmed with its code (got ${done})`);
  await member.locator('table.ledger tr[data-kind="redeem"]').waitFor();
  await member.waitForFunction(() => document.querySelector('[data-testid="available"]')?.textContent?.match(/50|۵۰/));
  await shot(member, 'portal-redeemed');

  // The dashboard shows the change.
  await staff.getByRole('link', { name: w.dashboard }).click();
  await staff.getByRole('button', { name: w.refresh }).click();
  await staff.waitForFunction(
    (want) => {
      const t = document.querySelector('.tile[data-figure="outstanding"] dd')?.textContent ?? '';
      const n = Number(t.replace(/[\u06F0-\u06F9]/g, (d) => String(d.charCodeAt(0) - 0x06f0)).replace(/\D/g, ''));
      return n === want;
    },
    before.available + 50,
  );
  check((await tile(staff, 'redeemed')) === before.used + 50, 'the dashboard counts the 50 redeemed points');
  check((await tile(staff, 'members')) === before.members + 1, 'the dashboard counts the new member');
  await shot(staff, 'dashboard-after');

  const errors = [...staff.errors, ...member.errors];
  check(errors.length === 0, `no errors in the browser console: ${errors.join(' | ')}`);
}
