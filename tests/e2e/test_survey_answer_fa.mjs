// A person answers a survey through their personal link in a browser, in Persian: the owner writes a survey with
// every question type and invites a Persian-speaking member through the API; the link (read from the outbox, as
// only the database holds it) opens the answering page in a browser whose language is English, so Persian comes
// from the member's locale: right to left, Persian digits. Sending with nothing chosen names the missing
// questions and sends nothing; the answers typed and clicked are counted in the survey's results; the link then
// says it was used, and the API refuses it (409 link-used); a closed survey's link says it closed. The same
// address still answers JSON to an API client.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { check, run } from './harness.mjs';
import { apiFrom, ownerPage } from './console.mjs';

const QUESTIONS = [
  { key: 'recommend', type: 'nps', text_en: 'Would you recommend us?', text_fa: 'ما را به دوستانتان پیشنهاد می‌کنید؟' },
  { key: 'service', type: 'rating', text_en: 'How was the service?', text_fa: 'خدمات ما چطور بود؟' },
  {
    key: 'visit',
    type: 'single',
    text_en: 'How often do you visit?',
    text_fa: 'هر چند وقت یک بار می‌آیید؟',
    options: [
      { key: 'weekly', text_en: 'Every week', text_fa: 'هر هفته' },
      { key: 'monthly', text_en: 'Every month', text_fa: 'هر ماه' },
    ],
  },
  {
    key: 'likes',
    type: 'multiple',
    text_en: 'What do you like?',
    text_fa: 'چه چیزهایی را دوست دارید؟',
    options: [
      { key: 'prices', text_en: 'Prices', text_fa: 'قیمت‌ها' },
      { key: 'staff', text_en: 'Staff', text_fa: 'کارکنان' },
      { key: 'place', text_en: 'The place', text_fa: 'فضای فروشگاه' },
    ],
  },
  { key: 'note', type: 'text', text_en: 'Anything else?', text_fa: 'حرف دیگری دارید؟' },
  { key: 'extra', type: 'text', text_en: 'A last word?', text_fa: 'سخن پایانی؟', required: false },
];
const NOTE = 'کارکنان بسیار مهربان بودند';

function linkOf(data, memberId) {
  const py = `import sqlite3, json, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
for (d,) in db.execute("SELECT data FROM message_outbox WHERE kind = 'survey_invitation' AND member_id = ?", (int(sys.argv[2]),)):
    print(json.loads(d)["link"])`;
  return execFileSync('/usr/bin/python3', ['-c', py, path.join(data, 'bashgah.db'), String(memberId)], { encoding: 'utf8' }).trim();
}

await run('survey-answer-fa', async ({ server, b, shot }) => {
  const staff = await ownerPage(b, server.base);
  const m = await apiFrom(staff, 'POST', '/api/v1/members', {
    given_name: 'نرگس',
    family_name: 'رضایی',
    email: 'narges@example.org',
    phone: '09125557777',
    consent: { email: true, sms: false },
    locale: 'fa',
  });
  check(m.status === 201, `a Persian-speaking member (${m.status} ${JSON.stringify(m.body)})`);
  const s = await apiFrom(staff, 'POST', '/api/v1/surveys', {
    title_en: 'How are we doing?',
    title_fa: 'کار ما چطور است؟',
    questions: QUESTIONS,
    k_min: 1,
  });
  check(s.status === 201, `the survey (${s.status} ${JSON.stringify(s.body)})`);
  const inv = await apiFrom(staff, 'POST', `/api/v1/surveys/${s.body.id}/invitations`, { audience: { members: 'all' } });
  check(inv.status === 201 && inv.body.invited >= 1, `the member is invited (${inv.status} ${JSON.stringify(inv.body)})`);
  const link = linkOf(server.data, m.body.id);
  check(/^\/s\/[A-Za-z0-9_-]{43}$/.test(link), `the invitation's link is in the outbox (${link})`);

  // An API client still gets JSON at the same address.
  const asJson = await fetch(`${server.base}${link}`, { headers: { Accept: 'application/json' } });
  check(asJson.headers.get('content-type') === 'application/json' && (await asJson.json()).locale === 'fa', 'JSON for an API client, with the locale');

  // The browser (English) opens the link: the page speaks the member's Persian.
  const page = await b.context('en-US');
  const requests = [];
  page.on('request', (r) => r.method() === 'POST' && requests.push(r.url()));
  const nav = await page.goto(`${server.base}${link}`);
  check(nav.headers()['content-type'].startsWith('text/html') && /accept/i.test(nav.headers()['vary'] ?? ''), 'the link gives the browser a page');
  await page.getByRole('heading', { name: 'کار ما چطور است؟' }).waitFor();
  check((await page.evaluate(() => document.documentElement.dir)) === 'rtl', 'right to left');
  const nps = page.getByRole('group', { name: /ما را به دوستانتان پیشنهاد می‌کنید؟/ });
  check((await nps.getByRole('radio').count()) === 11, 'NPS offers 0 to 10');
  check((await nps.getByRole('radio', { name: '۱۰', exact: true }).count()) === 1, 'NPS labels in Persian digits');
  check((await page.getByText('پرسش ۱ از ۶').count()) === 1, 'questions numbered in Persian digits');
  await shot(page, 'survey-fa');

  // Nothing chosen: the required questions are named and nothing is sent.
  await page.getByRole('button', { name: 'فرستادن پاسخ‌ها' }).click();
  const summary = await page.getByTestId('survey-summary').innerText();
  check(summary.includes('۵'), `five questions need an answer (${summary})`);
  check((await page.locator('[aria-invalid="true"]').count()) >= 5, 'the missing questions are marked');
  check((await page.evaluate(() => document.activeElement?.getAttribute('name'))) !== null, 'the focus goes to a question');
  check(requests.length === 0, `nothing was posted (${requests.join(', ')})`);
  await shot(page, 'survey-fa-missing');

  // The answers, by click and by keyboard.
  await nps.getByRole('radio', { name: '۹', exact: true }).check();
  const rating = page.getByRole('group', { name: /خدمات ما چطور بود؟/ });
  await rating.getByRole('radio', { name: '۳', exact: true }).focus();
  await page.keyboard.press('Space');
  await page.keyboard.press('ArrowDown'); // the next one, ۴
  check(await rating.getByRole('radio', { name: '۴', exact: true }).isChecked(), 'the arrow keys move along the scale');
  await page.getByRole('group', { name: /هر چند وقت/ }).getByRole('radio', { name: 'هر ماه' }).check();
  const likes = page.getByRole('group', { name: /چه چیزهایی/ });
  await likes.getByRole('checkbox', { name: 'فضای فروشگاه' }).check();
  await likes.getByRole('checkbox', { name: 'کارکنان' }).check();
  await page.getByLabel(/حرف دیگری دارید؟/).fill(NOTE);
  await page.getByRole('button', { name: 'فرستادن پاسخ‌ها' }).click();
  await page.getByRole('heading', { name: 'سپاسگزاریم!' }).waitFor();
  check(requests.length === 1, 'one answer posted');
  await shot(page, 'survey-fa-thanks');

  // Counted in the results.
  const res = (await apiFrom(staff, 'GET', `/api/v1/surveys/${s.body.id}/results`)).body;
  check(res.coverage.total.answered === 1, `one answer counted (${JSON.stringify(res.coverage.total)})`);
  const q = Object.fromEntries(res.questions.map((x) => [x.key, x]));
  check(q.recommend.answers === 1 && q.recommend.nps.promoters === 1, `the NPS answer is a promoter (${JSON.stringify(q.recommend)})`);
  check(q.service.mean === 4, `the rating is 4 (${JSON.stringify(q.service)})`);
  check(q.visit.counts.monthly === 1 && q.visit.counts.weekly === 0, `the single choice (${JSON.stringify(q.visit.counts)})`);
  check(q.likes.counts.place === 1 && q.likes.counts.staff === 1 && q.likes.counts.prices === 0, `the multiple choice (${JSON.stringify(q.likes.counts)})`);
  check(q.note.texts.includes(NOTE), `the Persian text (${JSON.stringify(q.note.texts)})`);
  check(!q.extra.answers, `the optional question left out (${JSON.stringify(q.extra)})`);

  // The link cannot be used twice.
  await page.reload();
  await page.getByTestId('survey-used').waitFor();
  check((await page.getByRole('heading', { name: 'از این پیوند استفاده شده است' }).count()) === 1, 'the page says the link was used');
  await shot(page, 'survey-fa-used');
  const again = await fetch(`${server.base}${link}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ answers: { recommend: 0, service: 1, visit: 'weekly', likes: ['prices'], note: 'x' } }),
  });
  const problem = await again.json();
  check(again.status === 409 && problem.type.endsWith('/link-used'), `a second answer is refused (${again.status} ${JSON.stringify(problem)})`);
  const after = (await apiFrom(staff, 'GET', `/api/v1/surveys/${s.body.id}/results`)).body;
  check(after.coverage.total.answered === 1 && after.questions.find((x) => x.key === 'recommend').answers === 1, 'still one answer');

  // A link to a survey that has closed says so (a second member, invited before the close).
  const m2 = await apiFrom(staff, 'POST', '/api/v1/members', {
    given_name: 'Omid', email: 'omid@example.org', phone: '09125558888', consent: { email: true, sms: false }, locale: 'en',
  });
  check(m2.status === 201, `a second member (${m2.status})`);
  const inv2 = await apiFrom(staff, 'POST', `/api/v1/surveys/${s.body.id}/invitations`, { audience: { members: 'all' } });
  check(inv2.status === 201, `the second member is invited (${JSON.stringify(inv2.body)})`);
  const link2 = linkOf(server.data, m2.body.id);
  const closed = await apiFrom(staff, 'PATCH', `/api/v1/surveys/${s.body.id}`, { closes_at: new Date(Date.now() - 60000).toISOString() });
  check(closed.status === 200, `the survey is closed (${closed.status} ${JSON.stringify(closed.body)})`);
  await page.goto(`${server.base}${link2}`);
  await page.getByTestId('survey-closed').waitFor();
  check((await page.getByRole('heading', { name: 'This survey is closed' }).count()) === 1, 'an English speaker is told the survey closed');
  await shot(page, 'survey-closed-en');

  // An unknown link gets its own message.
  await page.goto(`${server.base}/s/${'A'.repeat(43)}?lang=fa`);
  await page.getByTestId('survey-unknown').waitFor();
  check(page.errors.filter((e) => !/404/.test(e)).length === 0, `no errors on the page (${page.errors.join(' | ')})`);
});
