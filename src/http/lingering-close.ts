import type { IncomingMessage } from 'node:http';

/** How long a connection answered early may keep discarding what its client still sends. */
export const LINGER_MS = 2_000;

/**
 * Lingering close, as nginx's `lingering_close`: a request answered before its body was read (a
 * 401 to a large unauthenticated upload) gets `connection: close`, and Node would then destroy the
 * socket as soon as the answer is written. With the client's unread bytes still queued, the kernel
 * answers with a reset instead of a FIN, and a client that has not read the answer yet loses it
 * (it sees ECONNRESET, not the 401). Instead the server stops writing (FIN), discards what still
 * arrives, and closes once the client does or after `ms` — never reading the body into memory.
 */
export function lingerOnClose(request: IncomingMessage, ms = LINGER_MS): void {
  const socket = request.socket;
  socket.destroySoon = function lingeringDestroySoon(this: typeof socket): void {
    if (this.writable) this.end();
    request.resume(); // the parser still feeds the body to the request: drop it unread
    const timer = setTimeout(() => this.destroy(), ms);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
  };
}
