// facilitation.md "Timer", "Polls" and "Agenda": the events every client gets, their shapes, the
// server's `done` (within 1 s of the deadline, exactly once), one ballot per user, anonymous vs
// named polls, multi-choice, close, and agenda set/next/prev.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { uniqueId } from '../lib/client.mjs';
import {
  assertAgenda, assertPollEvent, assertSession, assertTimer, ok, userFactory,
} from '../lib/facilitation.mjs';
import { expectError } from '../lib/protocol.mjs';
import { UNTHROTTLED, scaled, sleep, startServer } from '../lib/server.mjs';

let server;
before(async () => { server = await startServer({ nodeId: 'facil-timer-polls', args: UNTHROTTLED }); });
after(async () => { await server?.stop(); });

const clients = [];
const user = userFactory(() => server, clients);
after(async () => { await Promise.all(clients.map((c) => c.close())); });

async function session(names) {
  const room = uniqueId('ft');
  const people = [];
  for (const [name, org] of names) people.push(await user(name, org));
  await people[0].create(room, { kind: 'session', title: 'Timer and polls' });
  for (const p of people) await p.join(room);
  return { room, people };
}

describe('timer', { timeout: scaled(30000), concurrency: true }, () => {
  test('start 2 s: running for everyone, then one `done` within 1 s of the deadline, and no second', async () => {
    const { room, people } = await session([['Tim Keeper', 'essex-cc'], ['Ann Att', 'nhs-mse'], ['Bo Att', 'police']]);
    const [host] = people;
    const t0 = Date.now();
    await ok(host, { type: 'timer', room, action: 'start', seconds: 2, label: 'Pairs' });
    const t1 = Date.now();
    let endsAt;
    for (const p of people) {
      const e = assertTimer(await p.next('timer'), room, 'running', 'Pairs');
      assert.ok(e.ends_at >= t0 + 2000 - 50 && e.ends_at <= t1 + 2000 + 50, `ends_at ${e.ends_at} vs start ${t0}..${t1}`);
      assert.ok(e.remaining_ms <= 2000 && e.remaining_ms >= 1500, `remaining_ms ${e.remaining_ms}`);
      endsAt ??= e.ends_at;
      assert.equal(e.ends_at, endsAt, 'one deadline for everyone');
    }
    const joined = await people[1].join(room);
    assertSession(joined.session);
    assert.equal(joined.session.timer.state, 'running');
    assert.equal(joined.session.timer.ends_at, endsAt);

    const waitFor = endsAt + 1000 - Date.now() + scaled(1000);
    const done = await Promise.all(people.map((p) => p.next((f) => f.type === 'timer' && f.state === 'done', waitFor)));
    const arrived = Date.now();
    for (const e of done) assertTimer(e, room, 'done', 'Pairs');
    assert.ok(arrived >= endsAt - 20, `done ${endsAt - arrived} ms before the deadline`);
    assert.ok(arrived <= endsAt + scaled(1000), `done ${arrived - endsAt} ms after the deadline (limit 1000)`);

    // Exactly once: nothing more for a couple of seconds.
    for (const p of people) await p.expectNone('timer', 0);
    await sleep(scaled(2000));
    for (const p of people) await p.expectNone('timer', 0);
    const later = await people[2].join(room);
    assert.equal(later.session.timer.state, 'done');
    assert.equal(later.session.timer.remaining_ms, 0);
  });

  test('pause, resume, stop: states and remaining_ms; a paused timer does not run out', async () => {
    const { room, people } = await session([['Tia Keeper', 'essex-cc'], ['Ed Att', 'fire']]);
    const [host, member] = people;
    await ok(host, { type: 'timer', room, action: 'start', seconds: 2, label: 'Check-in' });
    const started = assertTimer(await member.next('timer'), room, 'running', 'Check-in');
    await sleep(300);
    await ok(host, { type: 'timer', room, action: 'pause' });
    const paused = assertTimer(await member.next('timer'), room, 'paused', 'Check-in');
    assert.ok(paused.remaining_ms < 2000 - 250 && paused.remaining_ms > 1000, `paused remaining_ms ${paused.remaining_ms}`);
    // The deadline passes while paused: no `done`.
    await sleep(Math.max(0, started.ends_at - Date.now()) + 700);
    await member.expectNone('timer', 0);
    const whilePaused = await member.join(room);
    assert.equal(whilePaused.session.timer.state, 'paused');
    assert.equal(whilePaused.session.timer.remaining_ms, paused.remaining_ms);
    assert.ok(!('ends_at' in whilePaused.session.timer));

    // A second pause is refused (no timer is running); nothing changes.
    const again = await host.request({ type: 'timer', room, action: 'pause' });
    assert.equal(again.type, 'error', JSON.stringify(again));
    const beforeResume = Date.now();
    await ok(host, { type: 'timer', room, action: 'resume' });
    const resumed = assertTimer(await member.next('timer'), room, 'running', 'Check-in');
    assert.ok(Math.abs(resumed.ends_at - (beforeResume + paused.remaining_ms)) < 300,
      `resumed ends_at ${resumed.ends_at} vs ${beforeResume + paused.remaining_ms}`);
    assert.ok(Math.abs(resumed.remaining_ms - paused.remaining_ms) < 300, `resumed remaining_ms ${resumed.remaining_ms}`);

    await sleep(200);
    await ok(host, { type: 'timer', room, action: 'stop' });
    const stopped = assertTimer(await member.next('timer'), room, 'stopped', 'Check-in');
    assert.ok(stopped.remaining_ms < resumed.remaining_ms && stopped.remaining_ms > 0, `stopped remaining_ms ${stopped.remaining_ms}`);
    // A stopped timer never fires.
    await sleep(Math.max(0, resumed.ends_at - Date.now()) + 700);
    await member.expectNone('timer', 0);
    await host.expectNone((f) => f.type === 'timer' && f.state === 'done', 0);

    // Start again replaces it; a restarted timer runs to done.
    await ok(host, { type: 'timer', room, action: 'start', seconds: 1, label: 'Again' });
    assertTimer(await member.next('timer'), room, 'running', 'Again');
    assertTimer(await member.next('timer', scaled(3000)), room, 'done', 'Again');
    await expectError(host, { type: 'timer', room, action: 'resume' }, 'conflict');
  });
});

describe('polls', { timeout: scaled(30000) }, () => {
  test('anonymous single choice: counts and voters, re-vote replaces, close is final', async () => {
    const { room, people } = await session([
      ['Pol Host', 'essex-cc'], ['Va One', 'nhs-mse'], ['Vb Two', 'police'], ['Vc Three', 'uni-essex'],
    ]);
    const [host, a, b, c] = people;
    const question = 'Which first?';
    const options = ['Housing', 'Transport', 'Health'];
    await ok(host, { type: 'poll', room, action: 'open', question, options, multi: false, anonymous: true });
    let pollId;
    for (const p of people) {
      const e = assertPollEvent(await p.next('poll'), room,
        { question, options, multi: false, anonymous: true, open: true, counts: [0, 0, 0], voters: 0 });
      pollId ??= e.id;
      assert.equal(e.id, pollId);
    }
    // One open poll at a time.
    await expectError(host, { type: 'poll', room, action: 'open', question: 'Another?', options: ['y', 'n'], multi: false, anonymous: true }, 'conflict');

    const vote = async (who, choices, counts, voters) => {
      const id = `v-${uniqueId('x')}`;
      const reply = await who.request({ type: 'vote', id, room, poll: pollId, choices });
      assert.deepEqual(reply, { type: 'ok', re: id });
      for (const p of people) assertPollEvent(await p.next('poll'), room, { id: pollId, open: true, counts, voters });
    };
    await vote(a, [0], [1, 0, 0], 1);
    await vote(b, [2], [1, 0, 1], 2);
    await vote(a, [2], [0, 0, 2], 2);  // replaces a's ballot
    await vote(host, [1], [0, 1, 2], 3);  // the facilitator votes too
    // Two choices on a single-choice poll, an unknown option, an unknown poll.
    await expectError(c, { type: 'vote', room, poll: pollId, choices: [0, 1] }, 'bad_request');
    await expectError(c, { type: 'vote', room, poll: pollId, choices: [3] }, 'bad_request');
    await expectError(c, { type: 'vote', room, poll: 'no-such-poll', choices: [0] }, 'not_found');

    const j = await c.join(room);
    assertSession(j.session);
    assert.equal(j.session.poll.id, pollId);
    assert.deepEqual(j.session.poll.counts, [0, 1, 2]);
    assert.equal(j.session.poll.voters, 3);

    await ok(host, { type: 'poll', room, action: 'close', poll: pollId });
    for (const p of people) {
      assertPollEvent(await p.next('poll'), room,
        { id: pollId, question, options, multi: false, anonymous: true, open: false, counts: [0, 1, 2], voters: 3 });
    }
    await expectError(c, { type: 'vote', room, poll: pollId, choices: [0] }, 'conflict');
    await expectError(host, { type: 'poll', room, action: 'close', poll: pollId }, 'conflict');
    for (const p of people) await p.expectNone('poll', 0);
    assert.equal((await c.join(room)).session.poll, null, 'no open poll after close');
  });

  test('named multi-choice poll carries ballots; one ballot per user', async () => {
    const { room, people } = await session([['Nel Host', 'essex-cc'], ['Na One', 'charity-x'], ['Nb Two', 'fire']]);
    const [host, a, b] = people;
    await ok(host, { type: 'poll', room, action: 'open', question: 'Which days?', options: ['Mon', 'Tue', 'Wed', 'Thu'], multi: true, anonymous: false });
    const opened = assertPollEvent(await a.next('poll'), room, { multi: true, anonymous: false, open: true, counts: [0, 0, 0, 0], voters: 0, ballots: {} });
    await host.next('poll');
    await b.next('poll');
    const pollId = opened.id;
    // Everyone gets the updated poll, with the ballots.
    const voted = async (who, choices, counts, ballots) => {
      await ok(who, { type: 'vote', room, poll: pollId, choices });
      for (const p of people) {
        const e = assertPollEvent(await p.next('poll'), room, { counts, voters: Object.keys(ballots).length });
        assert.deepEqual(e.ballots, ballots);
      }
    };
    await voted(a, [0, 2], [1, 0, 1, 0], { [a.user.id]: [0, 2] });
    await voted(b, [2, 3], [1, 0, 2, 1], { [a.user.id]: [0, 2], [b.user.id]: [2, 3] });
    await voted(a, [1], [0, 1, 1, 1], { [a.user.id]: [1], [b.user.id]: [2, 3] });  // replaces a's two choices
    await expectError(b, { type: 'vote', room, poll: pollId, choices: [1, 1] }, 'bad_request');
    await expectError(b, { type: 'vote', room, poll: pollId, choices: [] }, 'bad_request');

    await ok(host, { type: 'poll', room, action: 'close', poll: pollId });
    for (const p of people) {
      const final = assertPollEvent(await p.next('poll'), room, { open: false, counts: [0, 1, 1, 1], voters: 2 });
      assert.deepEqual(final.ballots, { [a.user.id]: [1], [b.user.id]: [2, 3] });
    }
    // A poll needs 2 to 10 options.
    await expectError(host, { type: 'poll', room, action: 'open', question: 'One?', options: ['only'], multi: false, anonymous: true }, 'bad_request');
    await expectError(host, { type: 'poll', room, action: 'open', question: 'Many?', options: Array.from({ length: 11 }, (_, i) => `o${i}`), multi: false, anonymous: true }, 'bad_request');
    // After close a new poll may open, with another id.
    await ok(host, { type: 'poll', room, action: 'open', question: 'Next?', options: ['y', 'n'], multi: false, anonymous: true });
    const next = assertPollEvent(await a.next('poll'), room, { open: true, voters: 0 });
    assert.notEqual(next.id, pollId);
  });
});

describe('agenda', { timeout: scaled(30000) }, () => {
  test('set, next, prev: everyone gets items and current', async () => {
    const { room, people } = await session([['Ag Host', 'essex-cc'], ['Ag Member', 'nhs-mse']]);
    const [host, member] = people;
    assert.deepEqual((await member.join(room)).session.agenda, { items: [], current: -1 });
    const items = [{ title: 'Check-in', minutes: 5 }, { title: 'Pairs', minutes: 15 }, { title: 'Vote', minutes: 10 }];
    const id = 'agenda-set';
    const reply = await host.request({ type: 'agenda', id, room, items });
    assert.deepEqual(reply, { type: 'ok', re: id });
    for (const p of people) assertAgenda(await p.next('agenda'), room, items, 0);

    await ok(host, { type: 'agenda', room, action: 'next' });
    for (const p of people) assertAgenda(await p.next('agenda'), room, items, 1);
    await ok(host, { type: 'agenda', room, action: 'next' });
    for (const p of people) assertAgenda(await p.next('agenda'), room, items, 2);
    await ok(host, { type: 'agenda', room, action: 'next' });  // already at the end: stays, everyone told
    for (const p of people) assertAgenda(await p.next('agenda'), room, items, 2);
    await ok(host, { type: 'agenda', room, action: 'prev' });
    for (const p of people) assertAgenda(await p.next('agenda'), room, items, 1);
    await ok(host, { type: 'agenda', room, action: 'prev' });
    for (const p of people) assertAgenda(await p.next('agenda'), room, items, 0);
    await ok(host, { type: 'agenda', room, action: 'prev' });  // already at the start: stays, everyone told
    for (const p of people) assertAgenda(await p.next('agenda'), room, items, 0);
    for (const p of people) await p.expectNone('agenda', scaled(200));
    const j = await member.join(room);
    assert.deepEqual(j.session.agenda, { items, current: 0 });

    // A new agenda replaces the items.
    const shorter = [{ title: 'Wrap-up', minutes: 5 }];
    await ok(host, { type: 'agenda', room, items: shorter });
    for (const p of people) assertAgenda(await p.next('agenda'), room, shorter, 0);
  });
});
