// The Socket.IO 4 side of scripts/bench: the smallest server that does what the workloads need.
// `join` (acknowledged) puts the socket in a room; `pub` emits the payload to everyone in the room,
// the sender included (as OutLoud and NATS do). Nothing is stored. WebSocket transport only, no
// compression, so every system moves the same bytes. Usage: node socketio.mjs [port] (0: any).
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const httpServer = createServer();
const io = new Server(httpServer, { transports: ['websocket'], perMessageDeflate: false, serveClient: false, cors: { origin: '*' } });
io.on('connection', (socket) => {
  socket.on('join', (room, ack) => {
    socket.join(String(room));
    if (typeof ack === 'function') ack();
  });
  socket.on('pub', (room, payload) => io.to(String(room)).emit('msg', room, payload));
});
httpServer.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => console.log(`listening on ${httpServer.address().port}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
