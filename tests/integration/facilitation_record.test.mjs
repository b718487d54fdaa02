// facilitation.md "The record" (export over the protocol and GET /api/rooms/<room>/export.md) and
// "survives a restart of any one server process": after SIGTERM and a restart on the same data file,
// `joined` still carries the agenda, the open poll with its counts, roles, the lock, the hands, and a
// timer that was running still ends with one `done`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { assertSession, assertTimer, ok } from '../lib/facilitation.mjs';
import { expectError } from '../lib/protocol.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

let server;
before(async () => { server = await startServer({ nodeId: 'facil-record', args: UNTHROTTLED }); });
after(async () => { await server?.stop(); });

const clients = [];
async function user(name, org) {
  const c = await connectAs(server.wsUrl, name, org);
  clients.push(c);
  return c;
}
after(async () => { await Promise.all(clients.map((c) => c.close())); });

// The text of a Markdown section: from the heading line matching `heading` to the next heading of the
// same or a higher level.
function section(md, heading) {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => /^#{1,6} /.test(l) && heading.test(l.replace(/^#+ /, '')));
  assert.ok(start >= 0, `no heading ${heading} in the record:\n${md}`);
  const level = /^#+/.exec(lines[start])[0].length;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    const m = /^(#+) /.exec(lines[i]);
    if (m && m[1].length <= level) { end = i; break; }
  }
  return lines.slice(start + 1, end).join('\n');
}

// Asserts the strings occur in `text` in this order.
function assertInOrder(text, strings, what) {
  let at = -1;
  for (const s of strings) {
    const i = text.indexOf(s, at + 1);
    assert.ok(i > at, `${what}: "${s}" missing or out of order in:\n${text}`);
    at = i;
  }
}

describe('the record', { timeout: scaled(30000) }, () => {
  test('export (protocol and HTTP): title, participants by organisation, agenda, polls, messages, tags, groups', async () => {
    const room = uniqueId('rec');
    const title = 'Winter pressures review';
    const host = await user('Rita Record', 'essex-cc');
    const ann = await user('Ann Nurse', 'nhs-mse');
    const bob = await user('Bob Beat', 'essex-police');
    const cat = await user('Cat Clerk', 'essex-cc');
    const dan = await user('Dan Doctor', 'nhs-mse');
    const people = [host, ann, bob, cat, dan];
    await host.create(room, { kind: 'session', title });
    for (const p of people) await p.join(room);
    await Promise.all(people.map((p) => p.sync()));

    await ok(host, { type: 'agenda', room, items: [{ title: 'Check-in round', minutes: 5 }, { title: 'Pairs on discharge', minutes: 15 }, { title: 'Next steps', minutes: 10 }] });
    await ok(host, { type: 'poll', room, action: 'open', question: 'Biggest bottleneck?', options: ['Beds', 'Staff', 'Transport'], multi: false, anonymous: true });
    const { poll } = await ann.next('poll');
    await ok(ann, { type: 'vote', room, poll: poll.id, choices: [1] });
    await ok(bob, { type: 'vote', room, poll: poll.id, choices: [1] });
    await ok(cat, { type: 'vote', room, poll: poll.id, choices: [0] });
    await ok(host, { type: 'poll', room, action: 'close', poll: poll.id });

    const said = [
      [ann, 'Discharge waits are mostly about care packages', null],
      [bob, 'We see the same people at weekends', 'learn'],
      [cat, 'Council can share the care provider list', 'do'],
      [dan, 'Plain message with no tag', null],
      [ann, 'The check-in helped me hear the police view', 'reflect'],
      [host, 'Write up the provider list for the newsletter', 'share'],
      [bob, 'Second learning: data sharing agreement exists', 'learn'],
    ];
    for (const [who, text, tag] of said) await who.say(room, text, tag ? { tag } : {});

    // Breakout groups with a message in each.
    await ok(host, { type: 'breakout', room, action: 'open', groups: 2, strategy: 'mix' });
    const groupOf = new Map();
    for (const p of [ann, bob, cat, dan]) {
      const e = await p.next((f) => f.type === 'breakout' && f.state === 'open');
      groupOf.set(p, e.group);
      await p.join(e.group);
    }
    await ann.say(groupOf.get(ann), 'In our group: transport is the gap', { tag: 'learn' });
    await bob.say(groupOf.get(bob), 'Group note from Bob');
    await ok(host, { type: 'breakout', room, action: 'close' });

    const id = 'export-1';
    const reply = await cat.request({ type: 'export', id, room });
    assert.equal(reply.type, 'export', JSON.stringify(reply).slice(0, 300));
    assert.equal(reply.re, id);
    assert.equal(reply.room, room);
    assert.equal(typeof reply.markdown, 'string');
    const md = reply.markdown;

    // Title.
    assert.ok(md.split('\n').some((l) => /^# /.test(l) && l.includes(title)), `title missing:\n${md}`);
    // Who took part, under their organisations.
    const participants = section(md, /Participants|took part/i);
    const orgs = ['essex-cc', 'nhs-mse', 'essex-police'];
    for (const p of people) {
      const at = participants.indexOf(p.user.name);
      assert.ok(at >= 0, `${p.user.name} missing from participants:\n${participants}`);
      const nearestOrg = orgs.map((o) => [o, participants.lastIndexOf(o, at)]).sort((a, b) => b[1] - a[1])[0];
      assert.equal(nearestOrg[0], p.user.org, `${p.user.name} not listed under ${p.user.org}:\n${participants}`);
    }
    // The agenda, in order.
    assertInOrder(section(md, /Agenda/i), ['Check-in round', 'Pairs on discharge', 'Next steps'], 'agenda');
    // The poll with its result: each option on a line with its count.
    const polls = section(md, /Polls?\b/i);
    assert.ok(polls.includes('Biggest bottleneck?'), `poll question missing:\n${polls}`);
    for (const [option, count] of [['Beds', 1], ['Staff', 2], ['Transport', 0]]) {
      const line = polls.split('\n').find((l) => l.includes(option));
      assert.ok(line, `option ${option} missing:\n${polls}`);
      assert.match(line, new RegExp(`\\b${count}\\b`), `option ${option} without its count ${count}: ${line}`);
    }
    // Every message, in order.
    const messages = section(md, /^Messages/i);
    assertInOrder(messages, said.map(([, text]) => text), 'messages');
    for (const [who] of said) assert.ok(messages.includes(who.user.name));
    // Tagged ones under Learn, Do, Reflect and Share.
    const headings = md.split('\n').filter((l) => /^#{1,6} (Learn|Do|Reflect|Share)\s*$/.test(l)).map((l) => l.replace(/^#+ /, '').trim());
    assert.deepEqual(headings, ['Learn', 'Do', 'Reflect', 'Share'], `tag headings:\n${md}`);
    const byTag = { Learn: 'learn', Do: 'do', Reflect: 'reflect', Share: 'share' };
    for (const [heading, tag] of Object.entries(byTag)) {
      const text = section(md, new RegExp(`^${heading}\\s*$`));
      const expected = said.filter(([, , t]) => t === tag).map(([, s]) => s);
      assertInOrder(text, expected, `${heading} section`);
      for (const [, s, t] of said) if (t !== tag) assert.ok(!text.includes(s), `"${s}" (${t}) under ${heading}:\n${text}`);
    }
    assert.ok(section(md, /^Learn\s*$/).includes('In our group: transport is the gap'), 'a tagged group message belongs under Learn');
    // Breakout groups are sections of the parent's record, with their messages.
    const groupLines = md.split('\n').map((l, i) => [l, i]).filter(([l]) => /^#{1,6} /.test(l) && l.includes(`${room}~`));
    const groupRooms = [...new Set(groupOf.values())];
    for (const g of groupRooms) {
      const heading = groupLines.find(([l]) => l.includes(g));
      assert.ok(heading, `no section for group ${g}:\n${md}`);
      const body = section(md, new RegExp(g.replace(/[.~-]/g, '\\$&')));
      for (const [p, text] of [[ann, 'In our group: transport is the gap'], [bob, 'Group note from Bob']]) {
        if (groupOf.get(p) === g) assert.ok(body.includes(text), `${text} missing from the section of ${g}:\n${body}`);
        else assert.ok(!body.includes(text), `${text} in the wrong group section ${g}`);
      }
    }

    // Over HTTP: the same record.
    const res = await server.get(`/api/rooms/${room}/export.md`);
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.match(res.headers.get('content-type'), /^text\/markdown/);
    assert.equal(res.text, md);
    assert.equal((await server.get(`/api/rooms/${uniqueId('none')}/export.md`)).status, 404);
    await expectError(cat, { type: 'export', room: uniqueId('none') }, 'not_found');
  });
});

describe('restart', { timeout: scaled(60000) }, () => {
  test('the session survives SIGTERM and a restart on the same data file', async () => {
    const room = uniqueId('survive');
    const host = await user('Sue Survivor', 'essex-cc');
    const fac = await user('Fay Second', 'uni-essex');
    const mem = await user('Mal Member', 'nhs-mse');
    const obs = await user('Oz Observer', 'residents');
    await host.create(room, { kind: 'session', title: 'Survives restarts' });
    for (const p of [host, fac, mem, obs]) await p.join(room);
    await ok(host, { type: 'role', room, user: fac.user.id, role: 'facilitator' });
    await ok(host, { type: 'role', room, user: obs.user.id, role: 'observer' });
    const items = [{ title: 'Opening', minutes: 5 }, { title: 'Middle', minutes: 20 }, { title: 'Close', minutes: 5 }];
    await ok(fac, { type: 'agenda', room, items });
    await ok(fac, { type: 'agenda', room, action: 'next' });
    await ok(host, { type: 'poll', room, action: 'open', question: 'Keep going?', options: ['Yes', 'No'], multi: false, anonymous: false });
    const { poll } = await mem.next('poll');
    await ok(mem, { type: 'vote', room, poll: poll.id, choices: [0] });
    await ok(fac, { type: 'vote', room, poll: poll.id, choices: [1] });
    await ok(host, { type: 'vote', room, poll: poll.id, choices: [0] });
    await ok(mem, { type: 'hand', room, up: true });
    await ok(fac, { type: 'hand', room, up: true });
    await ok(host, { type: 'lock', room, locked: true });
    await ok(host, { type: 'timer', room, action: 'start', seconds: 3, label: 'Across the restart' });
    const running = assertTimer(await mem.next((f) => f.type === 'timer' && f.state === 'running'), room, 'running', 'Across the restart');
    const beforeRecord = (await host.request({ type: 'export', room })).markdown;

    const stopped = await server.stop('SIGTERM');
    assert.equal(stopped.code, 0, `SIGTERM exit: ${JSON.stringify(stopped)}`);
    server = await server.restart();

    const host2 = await user('Sue Survivor', 'essex-cc');
    const fac2 = await user('Fay Second', 'uni-essex');
    const mem2 = await user('Mal Member', 'nhs-mse');
    const obs2 = await user('Oz Observer', 'residents');
    assert.equal(mem2.user.id, mem.user.id, 'open mode: same name and org, same user id');
    const joinedAt = Date.now();
    const j = await mem2.join(room);
    const s = assertSession(j.session);
    assert.deepEqual(j.you, { role: 'member' });
    assert.deepEqual(s.agenda, { items, current: 1 });
    assert.equal(s.locked, true);
    assert.equal(s.poll?.id, poll.id);
    assert.equal(s.poll.open, true);
    assert.deepEqual(s.poll.counts, [2, 1]);
    assert.equal(s.poll.voters, 3);
    assert.deepEqual(s.poll.ballots, { [mem.user.id]: [0], [fac.user.id]: [1], [host.user.id]: [0] });
    assert.deepEqual(s.hands.map((u) => u.id), [mem.user.id, fac.user.id]);
    assert.deepEqual((await host2.join(room)).you, { role: 'owner' });
    assert.deepEqual((await fac2.join(room)).you, { role: 'facilitator' });
    assert.deepEqual((await obs2.join(room)).you, { role: 'observer' });

    // The running timer ends once, within 1 s of its deadline (or of the room being loaded, if the
    // restart took longer than the timer).
    const due = Math.max(running.ends_at, joinedAt);
    const done = await mem2.next((f) => f.type === 'timer' && f.state === 'done', due - Date.now() + scaled(1500));
    assertTimer(done, room, 'done', 'Across the restart');
    assert.ok(Date.now() <= due + scaled(1000), `done ${Date.now() - due} ms late`);
    await host2.next((f) => f.type === 'timer' && f.state === 'done', scaled(1000));
    await mem2.expectNone('timer', scaled(1500));

    // The lock, the roles and the poll still act: a member cannot send, the facilitator can; votes count on.
    await expectError(mem2, { type: 'send', room, text: 'still locked?' }, 'forbidden');
    await fac2.say(room, 'facilitator after the restart');
    assert.equal((await obs2.request({ type: 'export', room })).type, 'export', 'observers read the record');
    await ok(mem2, { type: 'vote', room, poll: poll.id, choices: [1] });
    const updated = await host2.next('poll');
    assert.deepEqual(updated.poll.counts, [1, 2]);
    const afterRecord = (await host2.request({ type: 'export', room })).markdown;
    assert.ok(afterRecord.includes('Survives restarts') && afterRecord.includes('Keep going?'));
    assert.ok(beforeRecord.includes('Sue Survivor') && afterRecord.includes('Oz Observer'));
  });
});
