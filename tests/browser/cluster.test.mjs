// The reference web client in a real Chromium against a real cluster: Redis and three nodes. Two
// people, each page served by a different node, chat in one room and see each other in presence;
// a protocol client on the third node joins in. When one page's node restarts, that page comes back
// by itself and shows every message exactly once, in seq order, including what was said meanwhile.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  WAIT, WEB_ROOT, assertExactlyOnce, joinRoom, launchBrowser, send, shownSeqs, waitForText, waitOnline,
} from '../lib/browser.mjs';
import { connectAs } from '../lib/client.mjs';
import { figure, startCluster } from '../lib/cluster.mjs';
import { UNTHROTTLED, scaled } from '../lib/server.mjs';

const SCREENSHOT = process.env.OUTLOUD_CLUSTER_SCREENSHOT || '/tmp/outloud-web-cluster.png';

let cluster;
let browser;
const clients = [];

before(async () => {
  cluster = await startCluster({ nodes: 3, name: 'web', args: [...UNTHROTTLED, '--web-root', WEB_ROOT] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await Promise.allSettled(clients.map((c) => c.close()));
  await cluster?.stop();
});

/** A person with their own browser context, signed in on the page served by `node`. */
function openPerson(node, name, org, options = {}) {
  return browser.openPerson({
    ...options,
    url: `${node.url}/`,
    name,
    org,
    node,
    // While its node restarts the page's reconnection attempts are refused: expected.
    expectedConsoleErrors: /WebSocket connection|ERR_CONNECTION_REFUSED/,
  });
}

test('two people on two different nodes chat in one room in the web client', { timeout: scaled(90000) }, async () => {
  const [node1, node2, node3] = cluster.nodes;
  const paul = await openPerson(node1, 'Paul Ashworth', 'essex-cc');
  const nadia = await openPerson(node2, 'Nadia Shah', 'nhs-mse');

  // Paul creates the room on node 1; Nadia, on node 2, joins it by id.
  await paul.page.click('#create-room summary');
  await paul.page.fill('#create-title', 'Hospital discharge and housing');
  await paul.page.fill('#create-id', 'discharge');
  await paul.page.click('#create-form button[type="submit"]');
  await paul.page.waitForSelector('#room-section:not([hidden])', { timeout: WAIT });
  await joinRoom(nadia.page, 'discharge');
  // The title comes with the `joined` reply, a moment after the room section shows.
  await nadia.page.waitForFunction(() => document.querySelector('#room-title')?.textContent === 'Hospital discharge and housing',
    null, { timeout: WAIT });  // the room made on node 1 is known on node 2

  // Each sees the other in presence, under their organisation, across nodes.
  await paul.page.waitForSelector('#presence-groups .org-group[data-org="nhs-mse"] .person-name >> text=Nadia Shah', { timeout: WAIT });
  await nadia.page.waitForSelector('#presence-groups .org-group[data-org="essex-cc"] .person-name >> text=Paul Ashworth', { timeout: WAIT });
  assert.equal(await paul.page.textContent('#present-count'), '2');
  assert.equal(await nadia.page.textContent('#present-count'), '2');

  // Typing on node 2 shows on node 1.
  await nadia.page.type('#composer-text', 'Hm');
  await paul.page.waitForFunction(
    () => document.getElementById('typing').textContent.includes('Nadia Shah (nhs-mse) is typing'),
    null,
    { timeout: WAIT },
  );
  await nadia.page.fill('#composer-text', '');

  // Chat both ways.
  const t0 = Date.now();
  await send(paul.page, 'Morning Nadia, this is Paul on the county side.');
  await waitForText(nadia.page, 'Morning Nadia, this is Paul on the county side.');
  const crossNodeMs = Date.now() - t0;
  await send(nadia.page, 'Hi Paul. Three delayed discharges this week were about housing.');
  await waitForText(paul.page, 'Hi Paul. Three delayed discharges this week were about housing.');

  // A third person, a protocol client on node 3, joins in: both pages see them and their words.
  const sam = await connectAs(node3.wsUrl, 'Sam Ortiz', 'essex-police');
  clients.push(sam);
  await sam.join('discharge');
  for (const p of [paul, nadia]) {
    await p.page.waitForSelector('#presence-groups .org-group[data-org="essex-police"] .person-name >> text=Sam Ortiz', { timeout: WAIT });
  }
  await sam.say('discharge', 'Police here: we see the same addresses come up.');
  for (const p of [paul, nadia]) await waitForText(p.page, 'Police here: we see the same addresses come up.');
  assertExactlyOnce(await shownSeqs(paul.page), 3, 'Paul');
  assertExactlyOnce(await shownSeqs(nadia.page), 3, 'Nadia');
  await paul.page.screenshot({ path: SCREENSHOT });

  // Nadia's node restarts (SIGTERM, same port): her page reconnects by itself; what Paul and Sam
  // said meanwhile on the other nodes shows once, in order.
  const stoppedAt = Date.now();
  await node2.stop('SIGTERM');
  await nadia.page.waitForSelector('#conn-pill[data-state="reconnecting"]', { state: 'attached', timeout: WAIT });
  await send(paul.page, 'Nadia, your side dropped for a moment.');
  await sam.say('discharge', 'Said while node 2 was down.');
  cluster.nodes[1] = await node2.restart();
  await waitOnline(nadia.page).catch(async () => {
    await nadia.page.click('#conn-retry');
    await waitOnline(nadia.page);
  });
  await waitForText(nadia.page, 'Said while node 2 was down.');
  const backMs = Date.now() - stoppedAt;
  await send(nadia.page, 'Back now. Shall we meet on Thursday?');
  await waitForText(paul.page, 'Back now. Shall we meet on Thursday?');
  assertExactlyOnce(await shownSeqs(nadia.page), 6, 'Nadia after her node restarted');
  assertExactlyOnce(await shownSeqs(paul.page), 6, 'Paul');
  const samSeqs = sam.frames.filter((f) => f.type === 'message').map((m) => m.seq);
  assert.deepEqual(samSeqs, [3, 4, 5, 6], 'the protocol client on node 3 saw the same sequence');
  await paul.page.waitForSelector('#presence-groups .person-name >> text=Nadia Shah', { timeout: WAIT });

  assert.deepEqual([...paul.problems, ...nadia.problems], [], 'no script errors or CSP violations');
  figure(`web cluster: pages on ${node1.nodeId} and ${node2.nodeId} (+ a client on ${node3.nodeId}); `
    + `a message from node 1 shown on node 2's page in ${crossNodeMs} ms; page back with the missed messages ${backMs} ms after its node was stopped`);
});

// Counts the `rooms` requests the page sends, in window.__roomsSent.
function countRoomsRequests() {
  window.__roomsSent = 0;
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function countingSend(data) {
    if (typeof data === 'string' && data.includes('"type":"rooms"')) window.__roomsSent++;
    return send.call(this, data);
  };
}

test('a page whose node lost Redis pub/sub for a moment lists the rooms again at once', { timeout: scaled(60000) }, async () => {
  const node3 = cluster.nodes[2];
  const rhea = await openPerson(node3, 'Rhea Relist', 'police', { initScript: countRoomsRequests });
  await rhea.page.waitForFunction(() => window.__roomsSent >= 1, null, { timeout: WAIT });  // its first listing
  const listed = await rhea.page.evaluate(() => window.__roomsSent);
  // Notices published while the node was away are lost to it: the node says so once it has
  // subscribed again, and the page reads the list again. Well before its own 20 s refresh.
  const killedAt = Date.now();
  assert.match(await cluster.redis.command('CLIENT KILL TYPE pubsub'), /^:[1-9]/);
  await rhea.page.waitForFunction((n) => window.__roomsSent > n, listed, { timeout: 10000 });
  const relistedIn = Date.now() - killedAt;
  assert.deepEqual(rhea.problems, [], 'no script errors');
  figure(`web cluster: the page listed the rooms again ${relistedIn} ms after its node's subscriber was dropped`);
});
