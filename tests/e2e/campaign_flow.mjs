// The campaign and pilot flow in one language: staff sign in, create a campaign (its guard rails shown beside it),
// see what a pilot of 10 + 10 can detect, draw it with a recorded seed, evaluate it, record the decision to roll
// out and roll out with a holdout; the state history shows each step. For Persian it also checks the page is
// right-to-left with Persian digits.
import { check, OWNER_PASSWORD } from './harness.mjs';

// What a person sees on the screen, per language (web/src/staff/campaignWords.ts and web/src/lib/words.ts).
const W = {
  en: {
    username: 'Username', password: 'Password', signIn: 'Sign in', dashboard: 'Dashboard', campaigns: 'Campaigns',
    newCampaign: 'New campaign', name: 'Name', goal: 'Goal', create: 'Create', draft: 'draft', pilot: 'pilot',
    running: 'running', sample: 'Pilot sample (count, or a share such as 0.05)',
    control: 'Control group (count, or a share such as 0.05)', seed: 'Seed (empty: a random one, recorded)',
    preview: 'What can it detect?', draw: 'Draw the pilot', drawn: 'Pilot drawn with seed', evaluate: 'Evaluate',
    verdicts: ['Not enough data', 'No clear difference', 'did better', 'did worse'], decision: 'Decision',
    reason: 'Reason', decide: 'Record the decision', decided: 'Decision recorded.',
    holdout: 'Long-lived holdout (share, such as 0.05)', rollOut: 'Roll out to the rest of the audience',
    rolledOut: 'Rolled out to', guard: 'Guard rails', estimated: 'Estimated from the audience’s purchases when',
  },
  fa: {
    username: 'نام کاربری', password: 'گذرواژه', signIn: 'ورود', dashboard: 'داشبورد', campaigns: 'کمپین‌ها',
    newCampaign: 'کمپین جدید', name: 'نام', goal: 'هدف', create: 'ایجاد', draft: 'پیش‌نویس', pilot: 'اجرای آزمایشی',
    running: 'در حال اجرا', sample: 'نمونهٔ آزمایشی (تعداد، یا سهمی مثل 0.05)',
    control: 'گروه کنترل (تعداد، یا سهمی مثل 0.05)', seed: 'بذر (خالی: تصادفی، و ثبت می‌شود)',
    preview: 'چه اثری را می‌تواند ببیند؟', draw: 'قرعه‌کشی اجرای آزمایشی', drawn: 'اجرای آزمایشی با بذر',
    evaluate: 'ارزیابی کن', verdicts: ['هنوز دادهٔ کافی', 'هنوز تفاوت روشنی', 'بهتر بوده', 'بدتر بوده'],
    decision: 'تصمیم', reason: 'دلیل', decide: 'ثبت تصمیم', decided: 'تصمیم ثبت شد.',
    holdout: 'گروه کنار گذاشته‌شدهٔ بلندمدت (سهم، مثل 0.05)', rollOut: 'اجرای گسترده برای بقیهٔ مخاطبان',
    rolledOut: 'برای', guard: 'حدهای حفاظتی', estimated: 'برآورد از خریدهای مخاطبان در زمان ذخیره',
  },
};

const PERSIAN_DIGIT = /[\u06F0-\u06F9]/;
const MEMBERS = 40;

export async function campaignFlow(lang, { server, b, shot }) {
  const w = W[lang];
  const fa = lang === 'fa';
  const staff = await b.context(fa ? 'fa-IR' : 'en-US');
  await staff.goto(`${server.base}/?lang=${lang}`);
  await staff.getByLabel(w.username).fill('owner');
  await staff.getByLabel(w.password).fill(OWNER_PASSWORD);
  await staff.getByRole('button', { name: w.signIn }).click();
  await staff.getByRole('heading', { name: w.dashboard }).waitFor();

  // Members to draw from, through the API with the session's CSRF token.
  const made = await staff.evaluate(async (n) => {
    const token = sessionStorage.getItem('bashgah.staff.csrf');
    let ok = 0;
    for (let k = 0; k < n; k++) {
      const r = await fetch('/api/v1/members', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token },
        body: JSON.stringify({ given_name: `E2E ${k}`, external_ref: `E2E-${Date.now()}-${k}` }),
      });
      ok += r.status === 201 ? 1 : 0;
    }
    return ok;
  }, MEMBERS);
  check(made === MEMBERS, `members created (${made})`);

  // Create a campaign.
  const name = fa ? 'کمپین بهار' : 'Spring campaign';
  await staff.getByRole('link', { name: w.campaigns }).click();
  await staff.getByRole('heading', { name: w.campaigns }).waitFor();
  await staff.getByRole('link', { name: w.newCampaign }).click();
  await staff.getByLabel(w.name, { exact: true }).fill(name);
  await staff.getByLabel(w.goal).fill(fa ? 'خرید بیشتر' : 'more spend');
  await shot(staff, 'campaign-new');
  await staff.getByRole('button', { name: w.create }).click();
  await staff.getByRole('heading', { name }).waitFor();
  check(/\/campaigns\/\d+/.test(staff.url()), `campaign page after create (${staff.url()})`);
  await staff.getByRole('heading', { name: w.guard }).waitFor();
  // the estimate kept with the campaign, and when it was made (a Jalali date with Persian digits in fa)
  const estimate = await staff.locator('section.guard p.hint').innerText();
  check(estimate.includes(w.estimated), `the guard rails say when they were estimated (${estimate})`);
  check(!fa || PERSIAN_DIGIT.test(estimate), `the estimate's date in Persian digits (${estimate})`);
  check((await staff.locator('dd[data-state]').innerText()).includes(w.draft), 'the new campaign is a draft');
  await shot(staff, 'campaign-created');

  // What a pilot of 10 + 10 can detect, then the draw with a recorded seed.
  await staff.getByLabel(w.sample).fill('10');
  await staff.getByLabel(w.control).fill('10');
  await staff.getByLabel(w.seed).fill(fa ? '۷۷۷' : '777');
  await staff.getByRole('button', { name: w.preview }).click();
  await staff.locator('#pilot-mde').waitFor();
  await shot(staff, 'pilot-preview');
  await staff.getByRole('button', { name: w.draw }).click();
  await staff.getByText(w.drawn).waitFor();
  await staff.locator('#pilot-waves').waitFor();
  check((await staff.locator('#pilot-waves td[data-treated]').getAttribute('data-treated')) === '10', 'pilot of 10');
  check((await staff.locator('#pilot-waves td[data-control]').getAttribute('data-control')) === '10', 'control of 10');
  check((await staff.locator('dd[data-state]').innerText()).includes(w.pilot), 'the campaign is in its pilot');
  if (fa) {
    check(PERSIAN_DIGIT.test(await staff.locator('#pilot-waves').innerText()), 'waves in Persian digits');
    const dir = await staff.evaluate(() => document.documentElement.dir);
    check(dir === 'rtl', `campaign page is right-to-left (${dir})`);
  }
  await shot(staff, 'pilot-drawn');

  // Evaluate: a table, a p-value line, the sample-ratio check and a verdict in plain words.
  await staff.getByRole('button', { name: w.evaluate }).click();
  await staff.locator('#evaluation').waitFor();
  const verdict = await staff.locator('#verdict').innerText();
  check(w.verdicts.some((v) => verdict.includes(v)), `a verdict in words (${verdict})`);
  await shot(staff, 'evaluation');

  // The decision, then the roll-out with a 10% holdout.
  await staff.getByLabel(w.reason).fill(fa ? 'نتیجه خوب بود' : 'looks good');
  await staff.getByRole('button', { name: w.decide }).click();
  await staff.getByText(w.decided).waitFor();
  await staff.getByLabel(w.holdout).fill('0.1');
  await staff.getByRole('button', { name: w.rollOut }).click();
  await staff.getByText(w.rolledOut).first().waitFor();
  await staff.locator('dd[data-state="running"]').waitFor();
  const history = await staff.locator('#campaign-history').innerText();
  check(history.includes(w.running) && history.includes(w.pilot), `the history shows pilot and running (${history})`);
  await shot(staff, 'rolled-out');
}
