// A real SMTP server for tests (the npm smtp-server package) on a free 127.0.0.1 port: it accepts
// every message and keeps it, so a test can wait for the email the server under test sends.
import { SMTPServer } from 'smtp-server';
import { scaled } from './server.mjs';
import { waitUntil } from './cluster.mjs';

/** Resolves {url: 'smtp://127.0.0.1:PORT', messages: [{from, to: [...], raw}], waitFor(to), stop()}. */
export async function startSmtp() {
  const messages = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],  // plain loopback SMTP: no certificate to trust
    logger: false,
    size: 1024 * 1024,
    onData(stream, session, callback) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom?.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.server.address();
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    /** Waits for a message to `to` and answers it. */
    async waitFor(to, { timeoutMs = scaled(10000) } = {}) {
      await waitUntil(() => messages.some((m) => m.to.includes(to)), { timeoutMs, what: `an email to ${to}` });
      return messages.find((m) => m.to.includes(to));
    },
    stop() { return new Promise((resolve) => server.close(resolve)); },
  };
}
