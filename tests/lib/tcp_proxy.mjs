// A loopback TCP proxy that can lose the network silently: `freeze()` stops forwarding in both
// directions without closing anything (like a cable pulled or a NAT entry dropped: the peers'
// sockets stay open and hear nothing), and new connections are accepted but go nowhere.
// `thaw()` ends the connections held during the freeze (as the lost network eventually would)
// and lets new ones through again.
import net from 'node:net';

/** Starts a proxy on a free loopback port to `target` {host, port}; resolves with its controls. */
export async function startTcpProxy(target) {
  let frozen = false;
  const pairs = new Set();
  const server = net.createServer((client) => {
    const pair = { client, upstream: null, held: frozen };
    pairs.add(pair);
    client.on('error', () => {});
    client.on('close', () => {
      pairs.delete(pair);
      if (pair.upstream) pair.upstream.destroy();
    });
    if (frozen) return; // accepted, never forwarded: the handshake hangs
    const upstream = net.connect(target.port, target.host);
    pair.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk) => {
      if (!pair.held) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!pair.held) client.write(chunk);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    /** Silently drops everything from now on; connections stay open. */
    freeze() {
      frozen = true;
      for (const pair of pairs) pair.held = true;
    },
    /** Closes what the freeze held and forwards new connections again. */
    thaw() {
      frozen = false;
      for (const pair of [...pairs]) {
        if (!pair.held) continue;
        pair.client.destroy();
        if (pair.upstream) pair.upstream.destroy();
      }
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        if (pair.upstream) pair.upstream.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
