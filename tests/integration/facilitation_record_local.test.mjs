// The record as people read it (protocol/README.md, `export` with `tz` and `format`): times in the
// zone the client names, the zone named; Learn/Do/… items in the order they were written across the
// room and its groups; text as written ("A&E", not "A\&E"); and a printable HTML page with each
// poll's result as inline SVG bars, every text from people HTML-escaped.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { ok } from '../lib/facilitation.mjs';
import { expectError } from '../lib/protocol.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

let server;
const clients = [];
before(async () => { server = await startServer({ nodeId: 'record-local', args: UNTHROTTLED }); });
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.stop();
});

async function user(name, org) {
  const c = await connectAs(server.wsUrl, name, org);
  clients.push(c);
  return c;
}

const stamp = /(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ([A-Z][A-Za-z]+|UTC[+-]\d\d:\d\d)/;

// The wall-clock time of `ms` in `timeZone`, as the record writes it (without the zone).
function wall(ms, timeZone) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

test('the record in local time, items in time order, text as written, and as a printable page', { timeout: scaled(30000) }, async () => {
  const room = uniqueId('loc');
  const host = await user('Rhian Host', 'essex-cc');
  const amy = await user('Amy A&E', 'nhs-mse');
  const bo = await user('Bo Police', 'essex-police');
  await host.create(room, { kind: 'session', title: 'A&E <= winter plan' });
  for (const c of [host, amy, bo]) await c.join(room);
  await Promise.all([host, amy, bo].map((c) => c.sync()));

  // A tagged item in the room, then one in a group, then one in the room again: time order wins.
  const first = await amy.request({ type: 'send', room, text: 'A&E waits are the first problem', tag: 'learn' });
  assert.equal(first.type, 'sent');
  await ok(host, { type: 'breakout', room, action: 'open', groups: 1, strategy: 'mix' });
  const group = (await amy.next('breakout')).group;
  await amy.join(group);
  await bo.join(group);
  assert.equal((await bo.request({ type: 'send', room: group, text: 'Share the bed state hourly', tag: 'learn' })).type, 'sent');
  assert.equal((await host.request({ type: 'send', room, text: 'Winter money lands in March', tag: 'learn' })).type, 'sent');
  await ok(host, { type: 'breakout', room, action: 'close' });
  await ok(host, { type: 'poll', room, action: 'open', question: 'Which <first>?', options: ['Beds & flow', 'Staff'], multi: false, anonymous: true });
  const pollId = (await amy.next('poll')).poll.id;
  await ok(amy, { type: 'vote', room, poll: pollId, choices: [0] });
  await ok(bo, { type: 'vote', room, poll: pollId, choices: [0] });

  // Default: UTC, named.
  const utc = await host.request({ type: 'export', room });
  assert.equal(utc.type, 'export');
  assert.match(utc.markdown, /Times are in UTC\./);
  assert.ok(utc.markdown.includes(`${wall(first.ts, 'UTC')} UTC`), 'message times in UTC');

  // A zone with summer time: the stamp is that zone's wall clock and abbreviation, the zone named.
  const london = await host.request({ type: 'export', room, tz: 'America/New_York' });
  assert.equal(london.type, 'export', JSON.stringify(london).slice(0, 300));
  const md = london.markdown;
  assert.match(md, /Times are in America\/New\\?_York\./);
  const sentAt = wall(first.ts, 'America/New_York');
  const abbreviation = new Date(first.ts).toLocaleString('en-US', { timeZone: 'America/New_York', timeZoneName: 'short' }).split(' ').pop();
  assert.ok(md.includes(`${sentAt} ${abbreviation}`), `expected "${sentAt} ${abbreviation}" in:\n${md}`);
  assert.ok(!md.includes(' UTC ·'), 'no UTC stamps left');
  // A fixed offset works too.
  const offset = await host.request({ type: 'export', room, tz: '+05:30' });
  assert.ok(offset.markdown.includes(`${wall(first.ts, 'Asia/Kolkata')} UTC+05:30`), offset.markdown);
  // Unknown zones and nonsense are refused.
  await expectError(host, { type: 'export', room, tz: 'Mars/Olympus_Mons' }, 'bad_request');
  await expectError(host, { type: 'export', room, tz: '../../etc/passwd' }, 'bad_request');
  await expectError(host, { type: 'export', room, format: 'pdf' }, 'bad_request');

  // Text as written: no backslash before & or < that could not act as Markdown or HTML.
  assert.ok(md.includes('# A&E <= winter plan'), `title as written:\n${md.slice(0, 400)}`);
  assert.ok(md.includes('**Amy A&E**'), 'names as written');
  assert.ok(md.includes('> A&E waits are the first problem'), 'message text as written');
  assert.ok(!md.includes('\\&'), 'no escaped ampersand anywhere');

  // Learn items in the order they were written, the group's between the room's.
  const learn = md.slice(md.indexOf('## Learn'), md.indexOf('## Do'));
  const order = ['A&E waits are the first problem', 'Share the bed state hourly', 'Winter money lands in March'].map((t) => learn.indexOf(t));
  assert.ok(order.every((i) => i >= 0) && order[0] < order[1] && order[1] < order[2], `Learn out of order:\n${learn}`);
  assert.ok(learn.includes(`in \`${group}\``), 'the group item says where it was written');

  // The printable page: same content, HTML-escaped, with an SVG bar per option.
  const page = await host.request({ type: 'export', room, format: 'html', tz: 'Europe/London' });
  assert.equal(page.type, 'export');
  assert.equal(page.format, 'html');
  assert.ok(!('markdown' in page));
  const html = page.html;
  assert.match(html, /^<!doctype html>/);
  assert.ok(html.includes('<h1>A&amp;E &lt;= winter plan</h1>'), 'title escaped');
  assert.ok(!html.includes('<first>'), 'no raw text from people');
  assert.ok(html.includes('Times are in Europe/London.'));
  assert.match(html, stamp);
  const svg = /<svg[^>]*role="img"[^>]*>([\s\S]*?)<\/svg>/.exec(html);
  assert.ok(svg, 'a chart for the poll');
  assert.ok(svg[1].includes('Which &lt;first&gt;?'), 'the chart is titled with its question');
  const bars = [...svg[1].matchAll(/<rect [^>]*width="(\d+)"/g)].map((m) => Number(m[1]));
  assert.equal(bars.length, 2, 'one bar per option');
  assert.ok(bars[0] > bars[1], `the option with 2 votes has the longer bar: ${bars}`);
  assert.ok(svg[1].includes('Beds &amp; flow'));
  const learnHtml = html.slice(html.indexOf('<h2>Learn</h2>'), html.indexOf('<h2>Do</h2>'));
  const htmlOrder = ['A&amp;E waits', 'Share the bed state', 'Winter money'].map((t) => learnHtml.indexOf(t));
  assert.ok(htmlOrder[0] >= 0 && htmlOrder[0] < htmlOrder[1] && htmlOrder[1] < htmlOrder[2], 'time order in the page too');

  // Over HTTP (open mode: the session's own route), with ?tz= percent-encoded.
  const res = await fetch(`${server.url}/api/rooms/${room}/export.html?tz=Europe%2FLondon`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.match(res.headers.get('content-disposition'), new RegExp(`${room}\\.html`));
  assert.ok((await res.text()).includes('Times are in Europe/London.'));
  const bad = await fetch(`${server.url}/api/rooms/${room}/export.md?tz=Nowhere%2FAtAll`);
  assert.equal(bad.status, 400);
});

test('a record over --max-export-bytes of text is refused as too_large, not built whole in memory', { timeout: scaled(30000) }, async () => {
  const small = await startServer({ nodeId: 'record-cap', args: [...UNTHROTTLED, '--max-export-bytes', '4096'] });
  try {
    const host = await connectAs(small.wsUrl, 'Rhian Host', 'essex-cc');
    const [big, fits] = [uniqueId('big'), uniqueId('fits')];
    for (const room of [big, fits]) {
      await host.create(room, { kind: 'session' });
      await host.join(room);
    }
    for (let i = 0; i < 3; i++) assert.equal((await host.request({ type: 'send', room: big, text: 'x'.repeat(1500) })).type, 'sent');
    assert.equal((await host.request({ type: 'send', room: fits, text: 'short' })).type, 'sent');
    const refused = await expectError(host, { type: 'export', room: big }, 'too_large');
    assert.match(refused.message, /--max-export-bytes/);
    assert.equal((await host.request({ type: 'export', room: fits })).type, 'export');
    await host.close();
  } finally {
    await small.stop();
  }
});
