// search (protocol/README.md "Edits, removal and search"): every word, newest first, paged with
// `next`, literal words only (no input makes it fail), deleted messages never found, edits found
// as they stand, hidden rooms not_found. The SQLite store (FTS5) and the Redis store (bounded scan).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { startCluster } from '../lib/cluster.mjs';
import { expectError } from '../lib/protocol.mjs';
import { UNTHROTTLED, binPath, scaled, track } from '../lib/server.mjs';
import { serverForFile } from '../lib/server_suite.mjs';

const suite = serverForFile('search-node');
const { user } = suite;

const HOSTILE = ['"', '""', 'NEAR(a b)', 'a*', 'OR', 'AND NOT', 'text:x', '^start', '(', ')', '{text}:x', '-x', "'", '\\'];

async function seededRoom(a) {
  const room = uniqueId('search');
  await a.create(room);
  await a.join(room);
  await a.say(room, 'The housing budget is late');           // 1
  await a.say(room, 'Nothing to see here');                  // 2
  await a.say(room, 'Budget for HOUSING: agreed by all');    // 3
  await a.say(room, 'Café on the corner, housing budget');   // 4
  return room;
}

describe('search on the embedded store (FTS5)', { timeout: scaled(60000) }, () => {
  test('every word, newest first, paged; diacritics folded; operators are plain words', async () => {
    const a = await user('Sam Searcher');
    const room = await seededRoom(a);
    const found = await a.expectReply({ type: 'search', room, query: 'housing  budget' }, 'found');
    assert.deepEqual(found.messages.map((m) => m.seq), [4, 3, 1]);
    assert.equal(found.query, 'housing  budget');
    assert.equal(found.next, null);
    assert.equal(found.messages[0].type, 'message', 'results are MESSAGE objects');
    const cafe = await a.expectReply({ type: 'search', room, query: 'cafe' }, 'found');
    assert.deepEqual(cafe.messages.map((m) => m.seq), [4]);
    const page1 = await a.expectReply({ type: 'search', room, query: 'budget', limit: 2 }, 'found');
    assert.deepEqual(page1.messages.map((m) => m.seq), [4, 3]);
    assert.equal(typeof page1.next, 'number');
    const page2 = await a.expectReply({ type: 'search', room, query: 'budget', limit: 2, before: page1.next }, 'found');
    assert.deepEqual(page2.messages.map((m) => m.seq), [1]);
    assert.equal(page2.next, null);
    for (const query of HOSTILE) {
      const reply = await a.request({ type: 'search', room, query });
      assert.equal(reply.type, 'found', `${query}: ${JSON.stringify(reply)}`);
    }
    await a.say(room, 'we said "NEAR" and OR* here');
    const literal = await a.expectReply({ type: 'search', room, query: 'near or' }, 'found');
    assert.deepEqual(literal.messages.map((m) => m.seq), [5]);
  });

  test('edits are found as they stand, deleted and removed messages never', async () => {
    const a = await user('Eve Edits');
    const room = await seededRoom(a);
    await a.expectReply({ type: 'edit', room, seq: 4, text: 'rewritten entirely' }, 'changed');
    await a.expectReply({ type: 'delete', room, seq: 1 }, 'changed');
    const budget = await a.expectReply({ type: 'search', room, query: 'budget' }, 'found');
    assert.deepEqual(budget.messages.map((m) => m.seq), [3]);
    const rewritten = await a.expectReply({ type: 'search', room, query: 'rewritten' }, 'found');
    assert.deepEqual(rewritten.messages.map((m) => m.seq), [4]);
  });

  test('bad queries are bad_request; unknown rooms not_found; other rooms never leak in', async () => {
    const a = await user('Val Idate');
    const room = await seededRoom(a);
    const other = await seededRoom(a);
    await expectError(a, { type: 'search', room, query: '   ' }, 'bad_request');
    await expectError(a, { type: 'search', room, query: 'a b c d e f g h i j k' }, 'bad_request');
    await expectError(a, { type: 'search', room, query: 'x'.repeat(201) }, 'bad_request');
    await expectError(a, { type: 'search', room: uniqueId('nowhere'), query: 'budget' }, 'not_found');
    const found = await a.expectReply({ type: 'search', room: other, query: 'budget' }, 'found');
    assert.ok(found.messages.every((m) => m.room === other));
  });
});

describe('the command-line client', { timeout: scaled(60000) }, () => {
  test('/search, /edit, /delete and /remove print readable lines', async () => {
    const a = await user('Cli Owner');
    const room = await seededRoom(a);
    const args = ['--url', suite.server.wsUrl, '--name', 'Cli Owner', '--org', 'essex-cc', '--interactive', '--room', room];
    const child = track(spawn(binPath('outloud'), args, { stdio: ['pipe', 'pipe', 'pipe'] }));
    let out = '';
    child.stdout.on('data', (chunk) => { out += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk) => { out += chunk.toString('utf8'); });
    const until = (pattern, what) => new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (pattern.test(out)) { clearInterval(poll); resolve(); }
        else if (Date.now() - started > scaled(8000)) { clearInterval(poll); reject(new Error(`no ${what} in:\n${out}`)); }
      }, 25);
    });
    try {
      await until(new RegExp(`joined ${room}`), 'join');
      child.stdin.write('/search housing budget\n');
      await until(/3 found for "housing budget"/, 'search results');
      assert.match(out, /Cli Owner \(essex-cc\): Café on the corner, housing budget/);
      child.stdin.write('/edit 2 Something to see here\n');
      await until(/#2 edited: Something to see here/, 'the edit');
      child.stdin.write('/remove 3 duplicate of #1\n');
      await until(/#3 removed by Cli Owner \(essex-cc\): duplicate of #1/, 'the removal');
      child.stdin.write('/delete x\n');
      await until(/usage: \/delete <seq>/, 'the usage line');
      child.stdin.write('/quit\n');
      const code = await new Promise((resolve) => child.once('exit', resolve));
      assert.equal(code, 0, out);
    } finally {
      child.kill();
    }
  });
});

describe('search on the Redis store (bounded scan)', { timeout: scaled(90000) }, () => {
  let cluster;
  before(async () => {
    cluster = await startCluster({ nodes: 2, name: 'search', args: [...UNTHROTTLED, '--search-scan', '3'] });
  });
  after(async () => { await cluster?.stop(); });

  test('finds across nodes; a scan cut short says how far it read and goes on with next', async () => {
    const [n1, n2] = cluster.nodes;
    const a = await connectAs(n1.wsUrl, 'Rita Redis', 'essex-cc');
    const b = await connectAs(n2.wsUrl, 'Nico Nodetwo', 'fire');
    try {
      const room = await seededRoom(a);
      await b.join(room);
      // At most 3 messages read per request: 4, 3, 2 first.
      const first = await b.expectReply({ type: 'search', room, query: 'HOUSING budget' }, 'found');
      assert.deepEqual(first.messages.map((m) => m.seq), [4, 3]);
      assert.equal(first.scanned, 3);
      assert.equal(first.next, 2);
      const rest = await b.expectReply({ type: 'search', room, query: 'housing budget', before: first.next }, 'found');
      assert.deepEqual(rest.messages.map((m) => m.seq), [1]);
      assert.equal(rest.next, null);
      for (const query of HOSTILE) {
        const reply = await b.request({ type: 'search', room, query });
        assert.equal(reply.type, 'found', `${query}: ${JSON.stringify(reply)}`);
      }
      await a.expectReply({ type: 'delete', room, seq: 4 }, 'changed');
      const after = await b.expectReply({ type: 'search', room, query: 'budget' }, 'found');
      assert.deepEqual(after.messages.map((m) => m.seq), [3]);
      await expectError(b, { type: 'search', room: uniqueId('nowhere'), query: 'budget' }, 'not_found');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
