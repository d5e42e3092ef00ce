// The web console in a real browser: Debian's chromium driven by puppeteer-core, against a
// collector and agents a C++ test (tests/integration/web_console_test.cc) started.
//
//   node console-test.js BASE_URL ADMIN_TOKEN VIEWER_TOKEN STATUS_JSON [SCREENSHOT_DIR]
//
// Every page renders in Dutch and English without a missing text; axe-core finds no serious or
// critical WCAG 2.1 AA violation; Tab reaches every link and form control; the overview's
// numbers equal `paraatctl status --json`; the hostile file name an agent reported stays inert
// (no dialog, no request anywhere else); a viewer can neither open nor post the exercise, review
// and incident forms; a form without its CSRF token is refused; an admin records an exercise and a
// review, and runs an incident (open, a NIS2 report, close) through the forms, whose pages pass
// the same checks with the incident clock running. Exit 0 when all hold, 1 with the failures on
// standard error.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const puppeteer = require('puppeteer-core');
const { AxePuppeteer } = require('@axe-core/puppeteer');

const [base, adminToken, viewerToken, statusFile, shotDir] = process.argv.slice(2);
const failures = [];
const fail = (what) => { failures.push(what); console.error('FAIL: ' + what); };
const PAGES = [
  ['overview', '/'], ['plan', '/plans/brp'], ['evidence', '/evidence'], ['agents', '/agents'],
  ['exercise', '/plans/brp/exercise'], ['review', '/plans/brp/review'], ['incident', '/plans/brp/incident'],
  ['chain', '/plans/paspoort'],
];
const FORMS = ['exercise', 'review', 'incident'];

async function signIn(page, token) {
  await page.goto(base + '/login', { waitUntil: 'load' });
  await page.type('#token', token);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')]);
}

// Tab through the page; every focusable element must be reached.
async function keyboardReachesEverything(page, name) {
  const focusable = await page.$$eval(
      'a[href], button, input:not([type=hidden]), select, textarea, summary',
      (els) => els.filter((e) => !e.disabled && e.getClientRects().length > 0).length);
  await page.evaluate(() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); });
  const seen = new Set();
  for (let i = 0; i < focusable + 10; i++) {
    await page.keyboard.press('Tab');
    const id = await page.evaluate(() => {
      const e = document.activeElement;
      if (!e || e === document.body) return null;
      if (!e.dataset.kbd) e.dataset.kbd = String(Math.random());
      return e.dataset.kbd;
    });
    if (id) seen.add(id);
  }
  const missed = await page.$$eval(
      'a[href], button, input:not([type=hidden]), select, textarea, summary',
      (els) => els.filter((e) => !e.disabled && e.getClientRects().length > 0 && !e.dataset.kbd)
          .map((e) => e.outerHTML.slice(0, 80)));
  // Radio groups take one Tab stop: the others are reached with the arrow keys.
  const missedReal = missed.filter((m) => !m.includes('type="radio"'));
  if (missedReal.length) fail(`${name}: Tab does not reach ${missedReal.join(' | ')}`);
}

async function checkPage(page, name, url, lang) {
  const resp = await page.goto(`${base}${url}${url.includes('?') ? '&' : '?'}lang=${lang}`, { waitUntil: 'load' });
  if (resp.status() !== 200) fail(`${name} (${lang}): HTTP ${resp.status()}`);
  const csp = resp.headers()['content-security-policy'] || '';
  if (!csp.includes("default-src 'none'")) fail(`${name}: no strict Content-Security-Policy`);
  const text = await page.evaluate(() => document.body.innerText);
  const htmlLang = await page.evaluate(() => document.documentElement.lang);
  if (htmlLang !== lang) fail(`${name}: <html lang=${htmlLang}>, wanted ${lang}`);
  const missing = text.match(/\[\[[a-z_.]+\]\]/g);
  if (missing) fail(`${name} (${lang}): missing texts ${missing.join(', ')}`);
  if (!(await page.$('main h1'))) fail(`${name} (${lang}): no h1 in main`);
  const axe = await new AxePuppeteer(page).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  for (const v of axe.violations) {
    if (v.impact === 'serious' || v.impact === 'critical') {
      fail(`${name} (${lang}): axe ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
  }
  await keyboardReachesEverything(page, `${name} (${lang})`);
  if (shotDir) {
    await page.evaluate(() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); });
    await page.setViewport({ width: 1280, height: 900 });
    await page.screenshot({ path: path.join(shotDir, `console-${name}-${lang}.png`), fullPage: true });
  }
}

async function numbersMatchStatus(page) {
  const status = JSON.parse(fs.readFileSync(statusFile, 'utf8'));
  const plans = status.plans || [];
  await page.goto(base + '/?lang=en', { waitUntil: 'load' });
  const rows = await page.$$eval('#plans tbody tr', (trs) => trs.map((t) => [t.dataset.plan, t.dataset.state]));
  const want = plans.map((p) => [p.plan, p.state]);
  if (JSON.stringify(rows) !== JSON.stringify(want)) {
    fail(`overview rows ${JSON.stringify(rows)} differ from paraatctl status --json ${JSON.stringify(want)}`);
  }
  const counts = await page.$$eval('[data-count-state]', (lis) => lis.map((l) => [l.dataset.countState, l.querySelector('.paraat-count').textContent.trim()]));
  for (const [state, n] of counts) {
    const expected = plans.filter((p) => p.state === state).length;
    if (String(expected) !== n) fail(`overview count ${state} = ${n}, paraatctl says ${expected}`);
  }
}

// Form posts outside the browser: a viewer's, and ones without their CSRF token or with a wrong one.
async function formsAreGuarded(adminCookie, viewerCookie, viewerCsrf) {
  const post = (form, cookie, body) => fetch(`${base}/plans/brp/${form}`, {
    method: 'POST', redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
    body: new URLSearchParams(body).toString(),
  });
  const bodies = {
    exercise: { kind: 'tabletop', date: '2026-01-05', passed: 'yes', notes: 'forged' },
    review: { by: 'Forged Reviewer', notes: 'forged' },
    incident: { action: 'open', summary: 'forged incident', significant: 'yes' },
  };
  for (const form of FORMS) {
    const body = bodies[form];
    let r = await post(form, viewerCookie, { ...body, csrf: viewerCsrf });
    if (r.status !== 403) fail(`a viewer's ${form} post answered ${r.status}, wanted 403`);
    r = await post(form, adminCookie, body);
    if (r.status !== 403) fail(`a ${form} post without a CSRF token answered ${r.status}, wanted 403`);
    r = await post(form, adminCookie, { ...body, csrf: 'a'.repeat(64) });
    if (r.status !== 403) fail(`a ${form} post with a wrong CSRF token answered ${r.status}, wanted 403`);
  }
}

async function adminRecordsAnExercise(page) {
  await page.goto(base + '/plans/brp/exercise?lang=en', { waitUntil: 'load' });
  // Invalid first: a date in the future is refused with paraatctl's message, next to the field.
  await page.$eval('#x-date', (e) => { e.value = ''; });
  await page.type('#x-date', '2999-01-01');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('main button[type=submit]')]);
  const errors = await page.$eval('main', (m) => m.innerText);
  if (!errors.includes('the exercise date must be set and not in the future')) fail('the form does not say the date is wrong');
  await page.$eval('#x-date', (e) => { e.value = ''; });
  await page.type('#x-date', '2026-01-05');
  await page.type('#x-notes', 'Tabletop via the web console');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('main button[type=submit]')]);
  if (!page.url().includes('/plans/brp?recorded=')) fail(`recording an exercise led to ${page.url()}`);
  const text = await page.$eval('main', (m) => m.innerText);
  if (!text.includes('Tabletop via the web console')) fail('the recorded exercise is not on the plan page');
}

// Submit the form on the page that holds `selector` and wait for the answer.
async function submitFormOf(page, selector) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                     page.$eval(selector, (e) => e.form.querySelector('button[type=submit]').click())]);
}

async function mainText(page) { return page.$eval('main', (m) => m.innerText); }

async function adminRecordsAReview(page) {
  await page.goto(base + '/plans/brp/review?lang=en', { waitUntil: 'load' });
  // Without a name the review is refused, the message linked to the field.
  await submitFormOf(page, '#r-by');
  if (!(await mainText(page)).includes('give the name of whoever reviewed the plan')) fail('the review form does not ask for a name');
  if (!(await page.$('#form-errors a[href="#r-by"]'))) fail('the review error does not link to its field');
  if ((await page.$eval('#r-by', (e) => e.getAttribute('aria-invalid'))) !== 'true') fail('the name field is not marked invalid');
  await page.type('#r-by', 'Anne de Vries');
  await page.type('#r-notes', 'Annual review via the web console');
  await submitFormOf(page, '#r-by');
  if (!page.url().includes('/plans/brp?reviewed=')) fail(`recording a review led to ${page.url()}`);
  const review = await page.$eval('[data-field=review]', (e) => e.innerText);
  if (!review.includes('Anne de Vries')) fail(`the plan page's review line says "${review}"`);
}

async function adminRunsAnIncident(page) {
  await page.goto(base + '/plans/brp/incident?lang=en', { waitUntil: 'load' });
  if (await page.$('#i-recovered')) fail('the close form is offered with no incident open');
  // A start in the future is refused with paraatctl's message.
  await page.type('#i-summary', 'Database server lost, restoring from the dump');
  await page.type('#i-started', '2999-01-01T09:30');
  await submitFormOf(page, '#i-summary');
  if (!(await mainText(page)).includes('is in the future')) fail('the incident form does not say the start is in the future');
  if ((await page.$eval('#i-summary', (e) => e.value)) !== 'Database server lost, restoring from the dump') {
    fail('the refused incident form lost its summary');
  }
  await page.$eval('#i-started', (e) => { e.value = ''; });
  await page.click('#i-significant');
  await submitFormOf(page, '#i-summary');
  if (!page.url().includes('/plans/brp?incident=')) fail(`opening an incident led to ${page.url()}`);
  const planClock = await page.$eval('#incident-clock', (e) => e.innerText).catch(() => '');
  if (!/RTO .* passes in/.test(planClock) || !planClock.includes('NIS2 early warning')) {
    fail(`the plan page's incident clock shows no RTO or NIS2 deadlines: ${planClock}`);
  }
  // The incident page with the clock running, in both languages, passes the same checks.
  for (const lang of ['nl', 'en']) await checkPage(page, 'incident-open', '/plans/brp/incident', lang);
  const clock = await page.$eval('#incident-clock', (e) => e.innerText);
  if (!clock.includes('NIS2 early warning')) fail(`the incident clock does not show the NIS2 deadlines: ${clock}`);
  // The next report due is preselected: record it.
  if (!(await page.$eval('#i-kind-early-warning', (e) => e.checked))) fail('the early warning is not the report preselected');
  await submitFormOf(page, '#i-at');
  if (!page.url().includes('/plans/brp?incident=')) fail(`recording a report led to ${page.url()}`);
  await page.goto(base + '/plans/brp/incident?lang=en', { waitUntil: 'load' });
  if (!(await page.$eval('#i-kind-notification', (e) => e.checked))) fail('after the early warning, the notification is not next');
  if (await page.$('#i-kind-early-warning')) fail('the early warning is offered again after it was recorded');
  await page.type('#i-close-notes', 'Restored from the night dump');
  await submitFormOf(page, '#i-recovered');
  if (!page.url().includes('/plans/brp?incident=')) fail(`closing the incident led to ${page.url()}`);
  const text = await page.$eval('#incident-clock', (e) => e.innerText).catch(() => '');
  if (!/recovered in/i.test(text)) fail(`the closed incident does not show its recovery time: ${text}`);
}

async function cookieHeader(page) {
  const cookies = await page.cookies();
  return cookies.map((c) => `${c.name}=${c.value}`).join('; ');
}

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'paraat-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    userDataDir: profile,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
           '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.on('dialog', async (d) => { fail(`a dialog opened: ${d.message()}`); await d.dismiss(); });
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith('data:')) fail(`a request left the console: ${r.url()}`);
    });
    page.on('pageerror', (e) => fail(`a script ran and failed: ${e.message}`));
    // Signed out: the pages ask to sign in.
    const r = await page.goto(base + '/', { waitUntil: 'load' });
    if (!page.url().includes('/login')) fail(`signed out, / led to ${page.url()} (HTTP ${r.status()})`);
    await checkPage(page, 'login', '/login', 'nl');
    await checkPage(page, 'login', '/login', 'en');
    await signIn(page, adminToken);
    for (const lang of ['nl', 'en']) {
      for (const [name, url] of PAGES) await checkPage(page, name, url, lang);
    }
    await numbersMatchStatus(page);
    const html = await (await page.goto(base + '/plans/brp', { waitUntil: 'load' })).text();
    if (!html.includes('&lt;img src=x onerror=alert(1)&gt;')) fail('the hostile file name is not shown escaped on the plan page');
    const imgs = await page.$$eval('img', (is) => is.length);
    if (imgs) fail(`the plan page holds ${imgs} <img> elements: agent text became markup`);

    const viewerContext = await browser.createBrowserContext();
    const viewer = await viewerContext.newPage();
    await signIn(viewer, viewerToken);
    for (const form of FORMS) {
      const vr = await viewer.goto(`${base}/plans/brp/${form}`, { waitUntil: 'load' });
      if (vr.status() !== 403) fail(`a viewer opened the ${form} form: HTTP ${vr.status()}`);
    }
    const vr2 = await viewer.goto(base + '/evidence', { waitUntil: 'load' });
    if (vr2.status() !== 403) fail(`a viewer opened the evidence page: HTTP ${vr2.status()}`);
    await viewer.goto(base + '/', { waitUntil: 'load' });
    const viewerCsrf = await viewer.$eval('input[name=csrf]', (e) => e.value);
    await formsAreGuarded(await cookieHeader(page), await cookieHeader(viewer), viewerCsrf);
    await adminRecordsAnExercise(page);
    await adminRecordsAReview(page);
    await adminRunsAnIncident(page);
    // A download reuses paraatctl's export: the CSV header line.
    const csv = await (await fetch(base + '/evidence/export?format=csv&plan=brp',
                                   { headers: { Cookie: await cookieHeader(page) } })).text();
    if (!csv.startsWith('seq,recorded_at,type,plans,agent,check,kind,status')) fail(`the CSV download starts ${csv.slice(0, 60)}`);
  } catch (e) {
    fail(`the test itself failed: ${e.stack || e}`);
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log(failures.length ? `${failures.length} failures` : 'web console: every check passed');
  process.exit(failures.length ? 1 : 0);
})();
