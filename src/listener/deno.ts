/**
 * Whether every response must close its connection. Deno 2.9's node:http
 * serves only the first request of a connection handed to it with
 * `server.emit("connection", socket)`, then closes the connection while
 * its response still announced keep-alive. A client that reuses the
 * connection races that close and gets a reset (the docker CLI failed 4
 * of 30 `docker exec` runs this way). Closing on purpose, with
 * `Connection: close`, makes clients open a new connection instead.
 */
export const closeAfterEachResponse = "Deno" in globalThis;
