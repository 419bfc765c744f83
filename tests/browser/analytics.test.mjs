// The desk's analytics in the browser (issue #17, M17): the demo store's
// supervisor and agent open the desk; the figures panel renders with its
// charts, switches ranges (30 days draws 30 bars' days; a reversed custom
// range is refused with what is wrong), and offers the CSV export. When
// the sqlite3 command is there, a deterministic month of calls and orders
// is written into the demo database first, so the figures and the
// screenshots show a store at work; the supervisor's "calls offered"
// must then equal the calls written.
//
// Screenshots (1280×800 and 390×844) go to $LIVEMALL_SHOTS (default
// /tmp/shots).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoStaff, enrollStaff, serverAndBrowser, shotsDir } from './server.mjs';

const shots = shotsDir();
const STORE = 'vinoteca-rossi';
const STORE_TIME_ZONE = 'Europe/Berlin'; // mall.DemoTimeZone
/** shot keeps the sticky top bar out of element screenshots. */
const shot = { style: '.topbar { position: static !important; }' };

let server;
let browser;

serverAndBrowser({ demo: true }, (s, b) => {
  server = s;
  browser = b;
});

/** needSqlite fails clearly when the sqlite3 command (scripts/deps.sh installs it) is missing. */
function needSqlite() {
  try {
    execFileSync('sqlite3', ['-version'], { stdio: 'ignore' });
  } catch {
    throw new Error('the sqlite3 command is missing: bash scripts/deps.sh (or apt-get install sqlite3) installs it');
  }
}

/** ts writes an instant as the database keeps times. */
function ts(ms) {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.(\d{3})Z$/, '.$1000000+00:00');
}

/**
 * seedMonth writes 30 days of calls (and their orders) of the store into
 * the demo database, shared among the agents' emails; it returns how many
 * calls it wrote within the last 30 days. Same numbers every run.
 */
function seedMonth(dataDir, agentEmails) {
  let seed = 17;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const now = Date.now();
  // The report's days are the store's (the demo store keeps Berlin's
  // time): day d's calls are written between 09:00 and 20:00 UTC of the
  // store's date, which is the same date in Berlin, so the 30 days the
  // page shows hold them all even when UTC's date is not Berlin's yet.
  const storeDate = new Intl.DateTimeFormat('en-CA', { timeZone: STORE_TIME_ZONE }).format(now);
  const today = Date.parse(storeDate + 'T00:00:00Z');
  const store = `(SELECT id FROM stores WHERE slug = '${STORE}')`;
  const product = (k) => `(SELECT id FROM products WHERE store_id = ${store} ORDER BY id LIMIT 1 OFFSET ${k})`;
  const agent = (e) => `(SELECT id FROM accounts WHERE email = '${e}')`;
  const sql = ['BEGIN;'];
  let calls = 0;
  let n = 0;
  for (let d = 29; d >= 0; d--) {
    const busy = 5 + Math.floor(rnd() * 9) + (d % 7 === 1 || d % 7 === 2 ? 5 : 0);
    for (let i = 0; i < busy; i++) {
      const entered = today - d * 86_400_000 + (9 + rnd() * 11) * 3_600_000;
      if (entered > now - 60_000) continue;
      n++;
      calls++;
      const id = `qe_seed_${n}`;
      const guest = `gh_seed_${n}`;
      const r = rnd();
      const who = agentEmails[Math.floor(rnd() * agentEmails.length)];
      const cols = { id: `'${id}'`, store_id: store, call_id: `'call_seed_${n}'`, node: `'seed'`, conn_id: `'seed'`, guest_hash: `'${guest}'`, shopper_name: `'Guest'`, context: `'{}'`, entered_at: `'${ts(entered)}'` };
      if (r < 0.8) {
        const wait = (3 + rnd() * rnd() * 70) * 1000;
        const handle = (90 + rnd() * 800) * 1000;
        Object.assign(cols, { state: `'served'`, agent_account_id: agent(who), offered_at: `'${ts(entered)}'`, answered_at: `'${ts(entered + wait)}'`, ended_at: `'${ts(entered + wait + handle)}'` });
        if (rnd() < 0.38) {
          const paid = Math.min(entered + wait + handle * rnd() + (rnd() < 0.3 ? rnd() * 20 * 3_600_000 : 0), now - 1000);
          const main = 1800 + Math.floor(rnd() * 200) * 100;
          const addOn = rnd() < 0.45 ? 900 + Math.floor(rnd() * 36) * 100 : 0;
          const total = Math.round((main + addOn) * 1.2);
          const o = `ord_seed_${n}`;
          sql.push(
            `INSERT INTO orders (id, store_id, guest_hash, state, subtotal_minor, tax_minor, total_minor, currency, needs_verification, created_at, updated_at) VALUES ('${o}', ${store}, '${guest}', 'paid', ${main + addOn}, ${total - main - addOn}, ${total}, 'EUR', 0, '${ts(paid - 60_000)}', '${ts(paid)}');`,
            `INSERT INTO order_lines (order_id, product_id, sku, name, unit_price_minor, quantity, age_limit) VALUES ('${o}', ${product(0)}, 'SEED', 'Seeded line', ${main}, 1, 0);`,
            `INSERT INTO order_events (order_id, to_state, actor, reason, at) VALUES ('${o}', 'draft', 'seed', 'seeded history', '${ts(paid - 60_000)}');`,
            `INSERT INTO order_events (order_id, from_state, to_state, actor, reason, at) VALUES ('${o}', 'draft', 'paid', 'seed', 'seeded history', '${ts(paid)}');`,
          );
          if (addOn) {
            sql.push(`INSERT INTO order_lines (order_id, product_id, sku, name, unit_price_minor, quantity, age_limit, suggested_by) VALUES ('${o}', ${product(1)}, 'SEED-ADD', 'Seeded add-on', ${addOn}, 1, 0, ${agent(who)});`);
          }
        }
      } else if (r < 0.92) {
        Object.assign(cols, { state: `'abandoned'`, ended_at: `'${ts(entered + (10 + rnd() * 100) * 1000)}'` });
      } else {
        Object.assign(cols, { state: `'message'`, ended_at: `'${ts(entered + 120_000)}'` });
      }
      sql.push(`INSERT INTO queue_entries (${Object.keys(cols).join(', ')}) VALUES (${Object.values(cols).join(', ')});`);
    }
  }
  sql.push('COMMIT;');
  execFileSync('sqlite3', ['-cmd', '.timeout 10000', join(dataDir, 'livemall.db')], { input: sql.join('\n') });
  return calls;
}

test('the supervisor and the agent see their figures with charts, by range, and export them', async () => {
  const { stores } = await server.api('/stores');
  const store = stores.find((s) => s.slug === STORE);
  const staff = demoStaff(server).filter((s) => s.store === store.name);
  const supervisorLink = staff.find((s) => s.role === 'supervisor').link;
  const agentLink = staff.find((s) => s.role === 'agent').link;
  await server.addAgent(STORE, 'bruno.agent@vinoteca.test', { name: 'Bruno Costa' });

  needSqlite();
  const seeded = seedMonth(server.dataDir, [`agent.${STORE}@demo.livemall.example`, 'bruno.agent@vinoteca.test']);
  assert.ok(seeded > 0, 'a month of history was written');

  const sup = await enrollStaff(browser, supervisorLink, { viewport: { width: 1280, height: 800 } });
  const panel = sup.page.getByTestId('analytics');
  await panel.getByRole('heading', { name: 'Store figures' }).waitFor();
  await panel.getByTestId('chart-calls').locator('svg').waitFor();
  await panel.getByRole('button', { name: '30 days' }).click();
  await sup.page.waitForFunction(() => document.querySelectorAll('[data-testid=chart-calls] svg > g > title').length === 30);
  assert.equal(await panel.getByTestId('chart-revenue').locator('svg > g > title').count(), 30, 'the revenue chart has 30 days');
  assert.equal(await panel.getByTestId('analytics-offered').textContent(), String(seeded), 'calls offered over 30 days are the calls written');
  assert.ok((await sup.page.locator('[data-testid=chart-calls] rect.bar-answered').count()) >= 20, 'answered calls are drawn');
  const agents = panel.getByTestId('analytics-agents');
  await agents.getByRole('rowheader', { name: 'Bruno Costa' }).waitFor();

  // The export holds the same range.
  const href = await panel.getByTestId('analytics-csv').getAttribute('href');
  assert.match(href, /analytics\.csv\?range=30d/);
  const csv = await sup.page.evaluate(async (h) => (await fetch(h)).text(), href);
  assert.match(csv, /^period,agent,offered,answered,abandoned,/);
  assert.ok(csv.includes(',Bruno Costa,'), 'the export lists the agents');
  await sup.page.screenshot({ path: join(shots, 'analytics-supervisor-1280-desk.png'), ...shot });
  await panel.screenshot({ path: join(shots, 'analytics-supervisor-1280.png'), ...shot });

  // One agent's figures, and back to the store's.
  await agents.getByRole('button', { name: 'Bruno Costa' }).click();
  await panel.getByRole('heading', { name: "Bruno Costa's figures" }).waitFor();
  assert.equal(await panel.getByTestId('analytics-agents').count(), 0, "one agent's figures have no agents' table");
  assert.match(await panel.getByTestId('analytics-csv').getAttribute('href'), /agent=/);
  await panel.getByRole('button', { name: '← The whole store' }).click();
  await panel.getByRole('heading', { name: 'Store figures' }).waitFor();

  // A reversed custom range says what is wrong.
  await panel.getByRole('button', { name: 'Custom' }).click();
  await panel.getByLabel('From', { exact: true }).fill('2026-03-05');
  await panel.getByLabel('To', { exact: true }).fill('2026-03-01');
  await panel.getByRole('button', { name: 'Show' }).click();
  await panel.getByRole('alert').filter({ hasText: 'before it starts' }).waitFor();

  await sup.page.setViewportSize({ width: 390, height: 844 });
  await panel.getByRole('button', { name: '7 days' }).click();
  await panel.getByRole('alert').waitFor({ state: 'detached' });
  await panel.screenshot({ path: join(shots, 'analytics-supervisor-390.png'), ...shot });

  // The agent sees their own figures, no one else's.
  const ag = await enrollStaff(browser, agentLink, { viewport: { width: 1280, height: 800 } });
  const own = ag.page.getByTestId('analytics');
  await own.getByRole('heading', { name: 'Your figures' }).waitFor();
  await own.getByTestId('chart-calls').locator('svg').waitFor();
  assert.equal(await own.getByTestId('analytics-agents').count(), 0, 'an agent sees no table of colleagues');
  await own.screenshot({ path: join(shots, 'analytics-agent-1280.png'), ...shot });
  await ag.page.setViewportSize({ width: 390, height: 844 });
  await own.screenshot({ path: join(shots, 'analytics-agent-390.png'), ...shot });
  await sup.context.close();
  await ag.context.close();
});
