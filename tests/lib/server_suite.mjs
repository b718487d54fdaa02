// One server for a whole test file, started before its tests and stopped after them, and the
// signed-in clients the tests open, closed at the end.
import { after, before } from 'node:test';
import { connectAs } from './client.mjs';
import { UNTHROTTLED, startServer } from './server.mjs';

/**
 * Registers the file's before/after hooks; call it at the top level of a test file. `server` is
 * the running server (from `before` on); `user(name, org)` opens a signed-in client on it.
 * Rate limiting is off by default (tested in limits.test.mjs): bulk sends must not be throttled.
 */
export function serverForFile(nodeId, { args = UNTHROTTLED } = {}) {
  const suite = { server: null, clients: [] };
  before(async () => { suite.server = await startServer({ nodeId, args }); });
  after(async () => { await suite.server?.stop(); });
  suite.user = async (name, org = 'essex-cc') => {
    const c = await connectAs(suite.server.wsUrl, name, org);
    suite.clients.push(c);
    return c;
  };
  after(async () => { await Promise.all(suite.clients.map((c) => c.close())); });
  return suite;
}
