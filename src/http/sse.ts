import type { FastifyReply } from 'fastify';

/** One server-sent event; `data` is sent as JSON. */
export interface ServerSentEvent {
  id?: string;
  event?: string;
  data: unknown;
}

/**
 * A live source of events. It is started once with `emit` and `end` and returns the function that
 * stops it; it may emit, and even end, before it returns. After `end` (or once the client has
 * gone) it is stopped and further calls are ignored.
 */
export type EventStreamSource = (emit: (event: ServerSentEvent) => void, end: () => void) => () => void;

export interface EventStreamOptions {
  /**
   * Applied to every frame written. Server-sent events bypass the hook that redacts server paths
   * from JSON bodies (path-redaction.ts), so the caller passes its redactor here.
   */
  redact?: (text: string) => string;
}

const HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' };

/** The frame that closes a stream, as the OpenAI API ends its streams. */
export const DONE_FRAME = 'event: done\ndata: [DONE]\n\n';

export function eventFrame(e: ServerSentEvent): string {
  return `${e.id !== undefined ? `id: ${e.id}\n` : ''}${e.event !== undefined ? `event: ${e.event}\n` : ''}data: ${JSON.stringify(e.data)}\n\n`;
}

/**
 * Answers the request with a `text/event-stream` fed by `source`: takes the reply over from Nest
 * (the route's return value is ignored), writes each event as it is emitted, ends with
 * {@link DONE_FRAME} when the source ends, and stops the source when the client disconnects.
 * Anything that may refuse the request (an unknown id) must be checked before this is called.
 */
export function sendEventStream(reply: FastifyReply, source: EventStreamSource, options: EventStreamOptions = {}): void {
  const redact = options.redact ?? ((text: string) => text);
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, HEADERS);
  let closed = false;
  let stop: (() => void) | undefined;
  const close = (): boolean => {
    if (closed) return false;
    closed = true;
    stop?.();
    return true;
  };
  const emit = (event: ServerSentEvent): void => {
    if (!closed) raw.write(redact(eventFrame(event)));
  };
  const end = (): void => {
    if (close()) raw.end(DONE_FRAME);
  };
  raw.on('close', close);
  stop = source(emit, end);
  // Ended (or disconnected) while starting: `close` ran before there was anything to stop.
  if (closed) stop();
}
