// Surveys and messages: a survey written in the form (an NPS question), the planner's size equal to the
// server's plan for the same audience, everyone invited; the members answer through their personal links (read
// from the outbox, as only the database holds them); the results page shows the NPS and its 95% interval as
// docs/surveys.md computes them, and the margin of error. Then a message to the portal inbox, previewed for one
// member with their name filled in, sent, reported, and read by that member in the portal.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { check, numberIn, run } from './harness.mjs';
import { apiFrom, ownerPage } from './console.mjs';

const SCORES = [10, 9, 9, 7, 3, 0];
const Z = 1.959964;

/** NPS and its interval, as docs/surveys.md has them. */
function nps(scores) {
  const n = scores.length;
  const p = scores.filter((s) => s >= 9).length / n;
  const d = scores.filter((s) => s <= 6).length / n;
  const se = Math.sqrt((p + d - (p - d) ** 2) / n);
  const score = 100 * (p - d);
  return { score, low: Math.max(-100, score - 100 * Z * se), high: Math.min(100, score + 100 * Z * se) };
}

function invitationLinks(data) {
  const py = `import sqlite3, json, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
for (d,) in db.execute("SELECT data FROM message_outbox WHERE kind = 'survey_invitation' ORDER BY id"):
    print(json.loads(d)["link"])`;
  return execFileSync('/usr/bin/python3', ['-c', py, path.join(data, 'bashgah.db')], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
}

await run('surveys', async ({ server, b, shot }) => {
  const page = await ownerPage(b, server.base);
  const people = [];
  for (const [n, given] of ['Ava', 'Bita', 'Cyrus', 'Dara', 'Elham', 'Farid'].entries()) {
    const m = await apiFrom(page, 'POST', '/api/v1/members', {
      given_name: given,
      family_name: 'Test',
      email: `${given.toLowerCase()}${n}@example.org`,
      phone: `0912555${String(1000 + n)}`,
      consent: { email: true, sms: false },
      locale: 'en',
    });
    check(m.status === 201, `member ${given} (${m.status} ${JSON.stringify(m.body)})`);
    people.push(m.body);
  }

  // A survey with one NPS question.
  await page.getByRole('link', { name: 'Surveys' }).click();
  await page.getByRole('heading', { name: 'New survey' }).waitFor();
  await page.getByLabel('Title in English').fill('How are we doing?');
  await page.getByLabel('Title in Persian').fill('چطور هستیم؟');
  await page.getByLabel('Fewest answers before results show').fill('3');
  await page.getByLabel('Key (a-z, 0-9, _)').fill('recommend');
  await page.getByLabel('Type').selectOption('nps');
  await page.getByLabel('Question in English').fill('Would you recommend us to a friend?');
  await page.getByLabel('Question in Persian').fill('ما را به دوستانتان پیشنهاد می‌کنید؟');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForURL(/\/surveys\/\d+/);
  const id = Number(page.url().match(/surveys\/(\d+)/)[1]);
  const stored = await apiFrom(page, 'GET', `/api/v1/surveys/${id}`);
  check(stored.body.questions[0].type === 'nps' && stored.body.k_min === 3, `the server holds the survey (${JSON.stringify(stored.body.questions)})`);

  // The planner: the audience's size and the number to invite, as the server plans them.
  const all = (await apiFrom(page, 'POST', '/api/v1/segments/count', { filter: { all: [] } })).body.count;
  await page.getByTestId('population').filter({ hasText: /\d/ }).waitFor();
  check(numberIn(await page.getByTestId('population').innerText()) === all, 'the planner counts every member');
  await page.getByLabel('Margin of error wanted (percent)').fill('10');
  await page.getByLabel('Expected response rate (percent)').fill('50');
  const plan = (await apiFrom(page, 'GET', `/api/v1/surveys/plan?population=${all}&margin_of_error=0.1&response_rate=0.5`)).body;
  await page.locator(`[data-testid="plan"][data-invite="${plan.invite}"]`).waitFor();
  await shot(page, 'survey-plan');

  // Everyone is invited.
  await page.getByRole('button', { name: 'Invite', exact: true }).click();
  const report = await page.getByTestId('invite-report').innerText();
  const links = invitationLinks(server.data);
  check(links.length >= people.length, `an invitation per member reachable by email (${links.length})`);
  check(report.includes(`invited ${links.length}`), `the report says how many were invited (${report})`);

  // Six answers through the personal links.
  for (const [n, score] of SCORES.entries()) {
    const r = await fetch(`${server.base}${links[n]}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ answers: { recommend: score } }),
    });
    check(r.status === 200 || r.status === 201, `answer ${n} taken (${r.status})`);
  }
  await page.getByRole('button', { name: 'Refresh the results' }).click();
  await page.getByTestId('nps').waitFor();
  const want = nps(SCORES);
  const got = (await apiFrom(page, 'GET', `/api/v1/surveys/${id}/results`)).body;
  check(Math.abs(got.nps.score - want.score) < 0.05 && Math.abs(got.nps.low - want.low) < 0.05 && Math.abs(got.nps.high - want.high) < 0.05,
    `the server's NPS and interval are the formula's (${JSON.stringify(got.nps)} vs ${JSON.stringify(want)})`);
  const f = (x) => new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 }).format(x);
  const npsText = await page.getByTestId('nps').innerText();
  check(npsText.includes(`NPS ${f(want.score)}`) && npsText.includes(`${f(want.low)} to ${f(want.high)}`), `the page shows NPS ${f(want.score)} [${f(want.low)}, ${f(want.high)}] (got ${npsText})`);
  const margin = await page.getByTestId('margin').innerText();
  check(margin.startsWith('±') && Math.abs(numberIn(margin.replace(/\.\d+/, '')) - Math.trunc(got.coverage.total.margin_of_error * 100)) <= 1, `the margin of error is shown (${margin})`);
  await shot(page, 'survey-results');

  // A message to the portal inbox, previewed for Ava, sent to every member.
  await page.getByRole('link', { name: 'Messages' }).click();
  await page.getByLabel('Channel').selectOption('inbox');
  await page.getByLabel('Subject in English').fill('News for {given_name}');
  await page.getByLabel('Text in English').fill('Hello {given_name}, you have {points} points.');
  await page.getByLabel('Text in Persian').fill('سلام {given_name}، شما {points} امتیاز دارید.');
  await page.getByLabel('Preview for member number').fill(String(people[0].id));
  await page.getByRole('button', { name: 'Preview' }).click();
  const preview = await page.getByTestId('preview').innerText();
  check(preview.includes('Hello Ava, you have 0 points.'), `the preview fills in the member (${preview})`);
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByText(/Sent to \d+ members/).waitFor();
  check(numberIn(await page.getByTestId('recipients').innerText()) === all, 'the report counts every member as a recipient');
  await shot(page, 'broadcast-sent');

  // Ava reads it in the portal.
  const code = await apiFrom(page, 'POST', '/api/v1/portal/code', { phone: people[0].phone });
  check(code.status < 300, `a portal code is asked for (${code.status})`);
  const waiting = await apiFrom(page, 'GET', `/api/v1/members/${people[0].id}/portal-code`);
  const member = await b.context('en-US');
  await member.goto(`${server.base}/portal?lang=en`);
  await member.getByLabel('Phone or email').fill(people[0].phone);
  await member.getByRole('button', { name: 'Send me a code' }).click();
  await member.getByLabel('The code you received').waitFor();
  const fresh = await apiFrom(page, 'GET', `/api/v1/members/${people[0].id}/portal-code`);
  await member.getByLabel('The code you received').fill(fresh.body.code ?? waiting.body.code);
  await member.getByRole('button', { name: 'Sign in', exact: true }).click();
  await member.getByRole('heading', { name: /Messages/ }).waitFor();
  let text = '';
  for (let n = 0; n < 50 && !text.includes('News for Ava'); n++) {
    await member.reload();
    await member.getByRole('heading', { name: /Messages/ }).waitFor();
    text = await member.locator('ul.inbox').innerText().catch(() => '');
    if (!text.includes('News for Ava')) await member.waitForTimeout(200);
  }
  check(text.includes('News for Ava'), `the message is in Ava's inbox (${text})`);
  await member.getByText('News for Ava').click();
  await member.getByText('Hello Ava, you have 0 points.').waitFor();
  await member.locator('ul.inbox li[data-read="yes"]').waitFor();
  await shot(member, 'portal-inbox');
  const errors = [...page.errors, ...member.errors];
  check(errors.length === 0, `no errors in the browser console: ${errors.join(' | ')}`);
});
