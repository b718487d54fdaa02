// The command-line programs against the real server: `outloud` in scripted mode through pipelines
// (create, join, send, history, two processes seeing each other, exit codes), its interactive
// rendering (control characters neutralised), and a short `outloud-bench` run with no gaps or duplicates.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { startAccountsServer } from '../lib/accounts.mjs';
import { connect, uniqueId } from '../lib/client.mjs';
import { fetchMetrics, metricValue } from '../lib/protocol.mjs';
import { UNTHROTTLED, binPath, freePort, scaled, startServer, track } from '../lib/server.mjs';

let server;
before(async () => { server = await startServer({ nodeId: 'cli-node' }); });
after(async () => { await server?.stop(); });

// Starts a program; `input` (if given) is written to its stdin, which is then closed unless keepOpen.
// `json`: stdout is JSON lines (scripted mode), parsed into `frames`.
function run(program, args, { input, keepOpen = false, json = true, timeoutMs = scaled(20000) } = {}) {
  const child = track(spawn(binPath(program), args, { stdio: ['pipe', 'pipe', 'pipe'] }));
  child.stdin.on('error', () => { /* the program may exit before reading its input (usage errors) */ });
  let stdout = '';
  let stderr = '';
  const listeners = [];
  child.stdout.on('data', (chunk) => {
    stdout += chunk.toString('utf8');
    for (const l of listeners.slice()) l();
  });
  child.stderr.on('data', (chunk) => { stderr += chunk.toString('utf8'); });
  if (input !== undefined) child.stdin.write(input);
  if (!keepOpen) child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, frames: json ? parseLines(stdout) : [] });
    });
  });
  return {
    child,
    done,
    get stdout() { return stdout; },
    write(text) { child.stdin.write(text); },
    end() { child.stdin.end(); },
    // Resolves when stdout satisfies `predicate`, rejects after a timeout.
    waitFor(predicate, what, ms = scaled(5000)) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(stdout)) return false;
          listeners.splice(listeners.indexOf(check), 1);
          clearTimeout(t);
          resolve(stdout);
          return true;
        };
        const t = setTimeout(() => {
          listeners.splice(listeners.indexOf(check), 1);
          reject(new Error(`timed out waiting for ${what}; stdout so far:\n${stdout}\nstderr:\n${stderr}`));
        }, ms);
        listeners.push(check);
        check();
      });
    },
  };
}

function parseLines(text) {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

const cli = (name, org, ...extra) => ['--url', server.wsUrl, '--name', name, '--org', org, ...extra];

describe('outloud scripted mode', { timeout: scaled(60000) }, () => {
  test('a pipeline creates, joins, sends and reads history; every server frame is one JSON line', async () => {
    const room = uniqueId('cli');
    const r = await run('outloud', cli('Paul Ashworth', 'essex-cc'), {
      input: `/create ${room} Affordable housing\n/join ${room}\nhello from the pipeline\n/history 5\n`,
    }).done;
    assert.equal(r.code, 0, r.stderr);
    // `sent` and the sender's own `message` event may come in either order.
    const types = r.frames.map((f) => f.type).filter((t) => t !== 'presence');
    assert.deepEqual(types.slice(0, 3), ['welcome', 'created', 'joined']);
    assert.deepEqual(types.slice(3, 5).sort(), ['message', 'sent']);
    assert.deepEqual(types.slice(5), ['history']);
    const [welcome, created, joined] = r.frames;
    assert.equal(welcome.user.name, 'Paul Ashworth');
    assert.equal(welcome.user.org, 'essex-cc');
    assert.equal(created.room.id, room);
    assert.equal(created.room.title, 'Affordable housing');
    assert.equal(joined.room.id, room);
    const sent = r.frames.find((f) => f.type === 'sent');
    const message = r.frames.find((f) => f.type === 'message');
    assert.equal(sent.seq, 1);
    assert.equal(message.seq, 1);
    assert.equal(message.text, 'hello from the pipeline');
    assert.equal(message.from.id, welcome.user.id);
    const history = r.frames.find((f) => f.type === 'history');
    assert.deepEqual(history.messages.map((m) => m.text), ['hello from the pipeline']);
    // Each reply echoes the id of its request: requests are numbered from 1 (hello) upwards.
    assert.deepEqual(r.frames.filter((f) => 're' in f).map((f) => f.re), [1, 2, 3, 4, 5]);
  });

  test('raw JSON lines are sent as they are, and the message text survives quoting', async () => {
    const room = uniqueId('raw');
    const tricky = 'quotes " and \\ backslash, ünïcödé, emoji 🎉';
    const r = await run('outloud', cli('Nadia Shah', 'nhs-trust'), {
      input: `{"type":"create","id":"c1","room":"${room}"}\n/join ${room}\n${tricky}\n{"type":"ping","id":77}\n`,
    }).done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.frames.find((f) => f.type === 'created').re, 'c1');
    assert.equal(r.frames.find((f) => f.type === 'message').text, tricky);
    assert.equal(r.frames.find((f) => f.type === 'pong').re, 77);
  });

  test('two processes see each other\'s messages', async () => {
    const room = uniqueId('two');
    const setup = await run('outloud', cli('Paul Ashworth', 'essex-cc'), { input: `/create ${room}\n` }).done;
    assert.equal(setup.code, 0, setup.stderr);

    const listener = run('outloud', cli('Amira Haddad', 'uni-essex', '--room', room), { keepOpen: true });
    await listener.waitFor((out) => out.includes('"type":"joined"'), 'the listener to join');
    const speaker = await run('outloud', cli('Tom Reed', 'police-east'), {
      input: `/join ${room}\nthe bus lane consultation closes Friday\n`,
    }).done;
    assert.equal(speaker.code, 0, speaker.stderr);
    await listener.waitFor((out) => out.includes('the bus lane consultation'), 'the speaker\'s message');
    listener.write('reply from the listener\n');
    listener.end();
    const heard = await listener.done;
    assert.equal(heard.code, 0, heard.stderr);

    const fromSpeaker = heard.frames.find((f) => f.type === 'message' && f.from.name === 'Tom Reed');
    assert.equal(fromSpeaker.text, 'the bus lane consultation closes Friday');
    assert.equal(fromSpeaker.from.org, 'police-east');
    const joinEvent = heard.frames.find((f) => f.type === 'presence' && f.event === 'join');
    assert.equal(joinEvent.user.name, 'Tom Reed');
    const own = heard.frames.find((f) => f.type === 'message' && f.from.name === 'Amira Haddad');
    assert.equal(own.text, 'reply from the listener');
    assert.equal(own.seq, fromSpeaker.seq + 1);
  });

  test('a send into a room not joined exits 1 and still prints the error', async () => {
    const room = uniqueId('nojoin');
    const r = await run('outloud', cli('Paul Ashworth', 'essex-cc'), {
      input: `/create ${room}\n{"type":"send","id":"s1","room":"${room}","text":"not a member"}\n`,
    }).done;
    assert.equal(r.code, 1, r.stderr);
    const error = r.frames.find((f) => f.type === 'error');
    assert.equal(error.re, 's1');
    assert.equal(error.code, 'forbidden');
  });

  test('an error for a frame without id still fails the run', async () => {
    const r = await run('outloud', cli('Paul Ashworth', 'essex-cc'), { input: '{"type":"no-such-frame"}\n' }).done;
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.frames.at(-1).type, 'error');
    assert.equal(r.frames.at(-1).code, 'bad_request');
    assert.equal(r.frames.some((f) => f.type === 'pong'), false, 'the CLI\'s own barrier ping is not printed');
  });

  test('usage and connection errors exit 2 with a message on stderr', async () => {
    const noName = await run('outloud', ['--url', server.wsUrl, '--org', 'essex-cc'], { input: '' }).done;
    assert.equal(noName.code, 2);
    assert.match(noName.stderr, /--name and --org are required/);

    const badUrl = await run('outloud', ['--url', 'http://127.0.0.1/ws', '--name', 'A', '--org', 'b'], { input: '' }).done;
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /ws:\/\//);

    const port = await freePort();
    const refused = await run('outloud', ['--url', `ws://127.0.0.1:${port}/ws`, '--name', 'A', '--org', 'b'], { input: '/rooms\n' }).done;
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /cannot connect/);

    const noRoom = await run('outloud', cli('Paul Ashworth', 'essex-cc'), { input: 'text before any join\n' }).done;
    assert.equal(noRoom.code, 2);
    assert.match(noRoom.stderr, /no current room/);
  });
});

describe('outloud in a session (scripted)', { timeout: scaled(60000) }, () => {
  test('the README pipeline runs twice: /create -p is fine when the room exists, a real error still fails', async () => {
    const room = uniqueId('twice');
    const input = `/create -p ${room} Affordable housing\n/join ${room}\nHello from the CLI\n`;
    for (const attempt of [1, 2]) {
      const r = await run('outloud', cli('Sam Twice', 'nhs-mse'), { input }).done;
      assert.equal(r.code, 0, `run ${attempt}: ${r.stderr}`);
      assert.equal(r.frames.filter((f) => f.type === 'sent').length, 1, `run ${attempt} sent its line`);
      if (attempt === 2) assert.equal(r.frames.find((f) => f.type === 'error')?.code, 'conflict', 'the server still said so');
    }
    const plain = await run('outloud', cli('Sam Twice', 'nhs-mse'), { input: `/create ${room}\n` }).done;
    assert.equal(plain.code, 1, 'without -p an existing room is an error');
  });

  test('/who in a script exits non-zero', async () => {
    const room = uniqueId('who');
    const r = await run('outloud', cli('Wendy Who', 'essex-cc'), { input: `/create ${room}\n/join ${room}\n/who\n` }).done;
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /\/who is interactive only/);
  });

  test('/tag tags the next message only; /tag <tag> <text> sends one tagged line', async () => {
    const room = uniqueId('tag');
    const r = await run('outloud', cli('Tia Tag', 'essex-cc'), {
      input: `/create ${room}\n/join ${room}\n/tag learn\nfirst, tagged\nsecond, not tagged\n/tag do ring the ward\n`,
    }).done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /tag: learn, for your next message only/);
    const messages = r.frames.filter((f) => f.type === 'message');
    assert.deepEqual(messages.map((m) => [m.text, m.tag ?? null]),
      [['first, tagged', 'learn'], ['second, not tagged', null], ['ring the ward', 'do']]);
  });

  test('/hand, /floor, /timer, /poll and /vote drive a session', async () => {
    const room = uniqueId('sess');
    const host = run('outloud', cli('Hal Host', 'essex-cc'), { keepOpen: true });
    host.write(`{"type":"create","id":"c","room":"${room}","kind":"session"}\n/join ${room}\n`);
    await host.waitFor((out) => out.includes('"type":"joined"'), 'the host to join');
    // Mo stays connected until the floor is given: a hand goes down when its person leaves.
    const mo = run('outloud', cli('Mo Member', 'nhs-mse'), { keepOpen: true });
    mo.write(`/join ${room}\n/hand\n/hand down\n/hand up\n`);
    await mo.waitFor((out) => (out.match(/"type":"ok"/g) || []).length >= 3, 'each /hand answered');
    // The host saw the queue change three times.
    await host.waitFor((out) => (out.match(/"type":"hands"/g) || []).length >= 3, 'three hands events');

    host.write('/floor next\n/timer start 90 Pairs\n/timer pause\n/poll open --named Which first? | Housing | Transport\n/vote 2\n/poll close\n');
    // The closed poll is an event that may come after the reply to `/poll close`: wait for it
    // before ending the script (which exits once every request is answered).
    await host.waitFor((out) => /"type":"poll"[^\n]*"open":false/.test(out), 'the closed poll');
    host.end();
    const r = await host.done;
    assert.equal(r.code, 0, r.stderr);
    mo.end();
    const member = await mo.done;
    assert.equal(member.code, 0, member.stderr);
    assert.equal(member.frames.filter((f) => f.type === 'ok').length, 3, 'each /hand answered');
    const queues = r.frames.filter((f) => f.type === 'hands').map((f) => f.queue.map((u) => u.name));
    assert.deepEqual(queues, [['Mo Member'], [], ['Mo Member'], []], 'up, down, up, then given the floor');
    assert.equal(r.frames.find((f) => f.type === 'floor')?.user?.name, 'Mo Member');
    const timers = r.frames.filter((f) => f.type === 'timer');
    assert.deepEqual(timers.map((t) => [t.state, t.label]), [['running', 'Pairs'], ['paused', 'Pairs']]);
    const polls = r.frames.filter((f) => f.type === 'poll').map((f) => f.poll);
    assert.equal(polls[0].question, 'Which first?');
    assert.deepEqual(polls[0].options, ['Housing', 'Transport']);
    assert.equal(polls[0].anonymous, false);
    assert.deepEqual(polls.at(-1).counts, [0, 1], '/vote 2 is the second option of the open poll');
    assert.equal(polls.at(-1).open, false, '/poll close closed the open poll');
    assert.equal(r.frames.filter((f) => f.type === 'error').length, 0, JSON.stringify(r.frames.filter((f) => f.type === 'error')));
  });

  test('session commands check their arguments before sending anything', async () => {
    const room = uniqueId('usage');
    const r = await run('outloud', cli('Una Usage', 'essex-cc'), {
      input: `/create ${room}\n/join ${room}\n/timer start soon\n/poll open Only one | option\n/vote\n/hand sideways\n`,
    }).done;
    assert.equal(r.code, 2);
    for (const usage of [/\/timer start <seconds/, /\/poll open/, /\/vote/, /\/hand \[up\|down\]/]) assert.match(r.stderr, usage);
  });
});

describe('outloud interactive session lines', { timeout: scaled(30000) }, () => {
  test('facilitation events print as sentences, not JSON', async () => {
    const room = uniqueId('lines');
    const setup = await run('outloud', cli('Fay Facil', 'essex-cc'), { input: `{"type":"create","id":"c","room":"${room}","kind":"session"}\n` }).done;
    assert.equal(setup.code, 0, setup.stderr);
    const viewer = run('outloud', cli('Vic Viewer', 'nhs-mse', '--interactive', '--room', room), { keepOpen: true, json: false });
    await viewer.waitFor((out) => out.includes(`joined ${room}`), 'the viewer to join');
    viewer.write('/hand\n');
    await viewer.waitFor((out) => out.includes(`[${room}] * hands up (1): 1. you`), 'the hands line');
    const host = await run('outloud', cli('Fay Facil', 'essex-cc'), {
      input: `/join ${room}\n/timer start 300 Check-in\n/poll open Ready? | Yes | No\n/breakout open 1 5\n`,
    }).done;
    assert.equal(host.code, 0, host.stderr);
    await viewer.waitFor((out) => out.includes(`[${room}] * timer "Check-in": 5:00 left`) || out.includes(`[${room}] * timer "Check-in": 4:59 left`), 'the timer line');
    await viewer.waitFor((out) => out.includes('poll p1: Ready?') && out.includes('1) Yes') && out.includes('/vote p1 <number>'), 'the poll lines');
    await viewer.waitFor((out) => out.includes(`breakout: you are in group ${room}~1 on your own, until`), 'the breakout line');
    viewer.write('/quit\n');
    const r = await viewer.done;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!/\* (hands|timer|poll|breakout): \{/.test(r.stdout), `raw JSON printed:\n${r.stdout}`);
  });
});

describe('outloud interactive room list', { timeout: scaled(30000) }, () => {
  test('/rooms shows what is unread and the mentions kept while the person was away', async () => {
    const room = uniqueId('cli-kept');
    const away = await run('outloud', cli('Ada Away', 'fire'), { input: `/create ${room} Kept for Ada\n/join ${room}\n` }).done;
    assert.equal(away.code, 0, away.stderr);
    const sender = await run('outloud', cli('Sol Sender', 'police'), {
      input: `/join ${room}\n@Ada Away over to you\nno names here\n`,
    }).done;
    assert.equal(sender.code, 0, sender.stderr);
    assert.equal(sender.frames.filter((f) => f.type === 'sent').length, 2, sender.stdout);
    const back = run('outloud', cli('Ada Away', 'fire', '--interactive'), { keepOpen: true, json: false });
    await back.waitFor((out) => out.includes('* connected as Ada Away'), 'the connection');
    back.write('/rooms\n');
    await back.waitFor((out) => out.includes(`${room} \u2014 Kept for Ada (room, 0 online, 2 unread, 1 mentioning you)`), 'the listing');
    // What the client printed is read: the server's marker follows within a second, so /rooms
    // (and the person's other devices) no longer count it; the marker's own event is not shown.
    back.write(`/join ${room}\n`);
    await back.waitFor((out) => out.includes('no names here'), 'the messages');
    let read = false;
    for (const deadline = Date.now() + scaled(5000); !read && Date.now() < deadline;) {
      back.write('/rooms\n');
      read = await back.waitFor((out) => out.includes(`${room} \u2014 Kept for Ada (room, 1 online)`), 'read', 400)
        .then(() => true, () => false);
    }
    assert.ok(read, `the room still counted unread:\n${back.stdout}`);
    assert.doesNotMatch(back.stdout, /\* read:/);
    back.write('/quit\n');
    assert.equal((await back.done).code, 0);
  });
});

describe('outloud interactive rendering', { timeout: scaled(30000) }, () => {
  test('messages are printed readably and terminal control sequences are neutralised', async () => {
    const room = uniqueId('tty');
    const setup = await run('outloud', cli('Paul Ashworth', 'essex-cc'), { input: `/create ${room}\n` }).done;
    assert.equal(setup.code, 0, setup.stderr);
    const viewer = run('outloud', cli('Viewer', 'essex-cc', '--interactive', '--room', room), { keepOpen: true, json: false });
    await viewer.waitFor((out) => out.includes(`joined ${room}`), 'the viewer to join');
    const evil = 'red \u001b[31malert\u001b]0;pwned\u0007 \u009b2J\u202egnp.exe';
    const frame = JSON.stringify({ type: 'send', id: 1, room, text: evil });
    const sender = await run('outloud', cli('Mallory', 'bad-org'), { input: `/join ${room}\n${frame.replace('"id":1', '"id":"x"')}\n` }).done;
    assert.equal(sender.code, 0, sender.stderr);
    await viewer.waitFor((out) => out.includes('Mallory (bad-org)'), 'the message');
    viewer.write('/quit\n');
    const r = await viewer.done;
    assert.equal(r.code, 0, r.stderr);
    const line = r.stdout.split('\n').find((l) => l.includes('Mallory (bad-org):'));
    assert.match(line, new RegExp(`^\\[${room}\\] \\d\\d:\\d\\d Mallory \\(bad-org\\): red \\^\\[\\[31malert`));
    assert.equal(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/.test(r.stdout), false,
      `raw control characters reached the terminal: ${JSON.stringify(r.stdout)}`);
    assert.match(line, /<U\+009B>2J<U\+202E>gnp\.exe/);
  });
});

describe('outloud interactive pasted lines', { timeout: scaled(30000) }, () => {
  test('lines typed before the connection and after a /join go in order, into that room; after a failed /join none go', async () => {
    const room = uniqueId('paste');
    const setup = await run('outloud', cli('Paul Ashworth', 'essex-cc'), { input: `/create ${room} Pasted\n` }).done;
    assert.equal(setup.code, 0, setup.stderr);
    // Written at once, before the program has even connected: as a paste into a fresh prompt.
    const paster = run('outloud', cli('Pat Paster', 'nhs-mse', '--interactive'), {
      input: `/join ${room}\nfirst pasted line\nsecond pasted line\n/join ${uniqueId('nowhere')}\nnot for ${room}\n`,
      keepOpen: true,
      json: false,
    });
    await paster.waitFor((out) => out.includes('line(s) typed after that /join not sent'), 'the failed join to drop what followed it');
    paster.write('/quit\n');
    assert.equal((await paster.done).code, 0);
    const reader = await run('outloud', cli('Rita Reader', 'police'), { input: `/join ${room}\n` }).done;
    const joined = reader.frames.find((f) => f.type === 'joined');
    assert.deepEqual(joined.messages.map((m) => m.text), ['first pasted line', 'second pasted line']);
  });
});

describe('outloud-bench', { timeout: scaled(60000) }, () => {
  test('a short run delivers every message once, in order', async () => {
    const r = await run('outloud-bench', ['--url', server.wsUrl, '--connections', '20', '--rooms', '4', '--rate', '4',
      '--duration', '2', '--warmup', '0.5', '--room-prefix', uniqueId('bench'), '--json'], { timeoutMs: scaled(40000) }).done;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const report = JSON.parse(r.stdout);
    assert.equal(report.aborted, null);
    assert.equal(report.connection_failures, 0);
    assert.equal(report.readers.joined, 20);
    assert.equal(report.gaps, 0);
    assert.equal(report.duplicates, 0);
    assert.equal(report.readers.undelivered, 0);
    assert.equal(report.unacknowledged, 0);
    assert.ok(report.messages_sent >= 20 * 4 * 2 * 0.8, `sent ${report.messages_sent}`);
    assert.equal(report.sent_acks, report.messages_sent);
    // 20 connections in 4 rooms: each message reaches the 5 members of its room.
    assert.equal(report.readers.measured_deliveries, report.messages_sent * 5);
    assert.deepEqual(report.errors, {});
    assert.ok(report.delivery_latency.p50_ms > 0);
  });

  test('--message-batches: a busy room\'s rounds come batched, still every message once, in order', async () => {
    // One room of 20 in rounds (from 2 members, one every 50 ms) at 20 messages/s per connection.
    const rounds = await startServer({ nodeId: 'bench-rounds', args: [...UNTHROTTLED, '--message-rounds-from', '2',
      '--message-round-ms', '50'] });
    try {
      const before = await fetchMetrics(rounds);
      const r = await run('outloud-bench', ['--url', rounds.wsUrl, '--connections', '20', '--rooms', '1', '--rate', '20',
        '--duration', '2', '--warmup', '0.5', '--room-prefix', uniqueId('batched'), '--message-batches', '--json'],
      { timeoutMs: scaled(40000) }).done;
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const report = JSON.parse(r.stdout);
      assert.equal(report.gaps, 0);
      assert.equal(report.duplicates, 0);
      assert.equal(report.readers.undelivered, 0);
      assert.equal(report.sent_acks, report.messages_sent);
      assert.equal(report.readers.measured_deliveries, report.messages_sent * 20);
      assert.deepEqual(report.errors, {});
      // Far fewer frames than deliveries: the rounds went as message_batch frames.
      const after = await fetchMetrics(rounds);
      const delta = (name) => metricValue(after, name) - metricValue(before, name);
      const deliveries = delta(/^outloud_deliveries_total$/);
      const frames = delta(/^outloud_frames_written_total$/);
      assert.ok(deliveries >= report.readers.measured_deliveries, `${deliveries} deliveries`);
      assert.ok(frames < deliveries / 2, `${frames} frames written for ${deliveries} deliveries`);
    } finally {
      await rounds.stop();
    }
  });

  test('refuses a non-loopback address', async () => {
    const r = await run('outloud-bench', ['--url', 'ws://192.0.2.1:8080/ws', '--duration', '1']).done;
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a loopback address/);
  });
});

describe('outloud in accounts mode', { timeout: scaled(60000) }, () => {
  test('--token signs in with a token made for the command line; a name and org alone are refused', async () => {
    const { server: accounts, adminToken } = await startAccountsServer();
    try {
      const web = await connect(accounts.wsUrl, { label: 'web' });
      const welcome = await web.request({ type: 'hello', token: adminToken });
      assert.equal(welcome.type, 'welcome', JSON.stringify(welcome));
      const made = await web.expectReply({ type: 'token' }, 'token');
      web.close();

      const room = uniqueId('cli-acc');
      const r = await run('outloud', ['--url', accounts.wsUrl, '--token', made.token], {
        input: `/create ${room} Housing\n/join ${room}\nhello with a token\n`,
      }).done;
      assert.equal(r.code, 0, r.stderr);
      const signedIn = r.frames.find((f) => f.type === 'welcome');
      assert.equal(signedIn?.user.id, welcome.user.id, 'the token signs in as the person who made it');
      assert.ok(r.frames.some((f) => f.type === 'sent' && f.room === room), r.stdout);

      // --private: the room is born private (accounts servers), with -p in either order.
      const secret = uniqueId('cli-priv');
      const p = await run('outloud', ['--url', accounts.wsUrl, '--token', made.token], {
        input: `/create --private -p ${secret} Casework\n/create -p --private ${secret}\n`,
      }).done;
      assert.equal(p.code, 0, p.stderr);
      const born = p.frames.find((f) => f.type === 'created');
      assert.equal(born?.room.visibility, 'private', p.stdout);
      assert.equal(born.room.title, 'Casework');

      const refused = await run('outloud', ['--url', accounts.wsUrl, '--name', 'Mallory', '--org', 'essex-cc'], {
        input: '/rooms\n',
      }).done;
      assert.notEqual(refused.code, 0, 'a typed name and org must not sign in on an accounts server');
    } finally {
      await accounts.stop();
    }
  });
});
