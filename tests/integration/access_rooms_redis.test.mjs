// Every access.md frame rule of access_rooms.test.mjs again, with the accounts, rooms and messages
// in a real redis-server (the Redis AccountStore and Store) instead of the embedded SQLite file.
await import('./access_rooms.test.mjs?backend=redis');
