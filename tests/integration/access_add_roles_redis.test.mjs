// Every rule of access_add_roles.test.mjs again, with the accounts, rooms and roles held in a real
// redis-server (the Redis AccountStore and Store) instead of the embedded SQLite file.
await import('./access_add_roles.test.mjs?backend=redis');
