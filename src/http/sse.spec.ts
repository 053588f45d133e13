import { EventEmitter } from 'node:events';
import type { FastifyReply } from 'fastify';
import { DONE_FRAME, EventStreamSource, sendEventStream, ServerSentEvent } from './sse';

/** A reply whose raw response records what is written to it. */
function fakeReply() {
  const raw = Object.assign(new EventEmitter(), {
    status: 0,
    headers: {} as Record<string, string>,
    chunks: [] as string[],
    ended: false,
    writeHead(status: number, headers: Record<string, string>) {
      this.status = status;
      this.headers = headers;
    },
    write(chunk: string) {
      this.chunks.push(chunk);
      return true;
    },
    end(chunk?: string) {
      if (chunk !== undefined) this.chunks.push(chunk);
      this.ended = true;
    },
  });
  const reply = {
    hijacked: false,
    raw,
    hijack() {
      this.hijacked = true;
    },
  };
  return { reply, raw, asReply: reply as unknown as FastifyReply };
}

/** A source driven by the test: `push` emits, `finish` ends; counts how often it was stopped. */
function manualSource(initial: ServerSentEvent[] = [], endAtOnce = false) {
  const state = { stops: 0, emit: (_: ServerSentEvent) => {}, end: () => {} };
  const source: EventStreamSource = (emit, end) => {
    state.emit = emit;
    state.end = end;
    for (const e of initial) emit(e);
    if (endAtOnce) end();
    return () => state.stops++;
  };
  return { source, state };
}

describe('sendEventStream', () => {
  it('takes the reply over, writes each event as a frame and ends with the done frame', () => {
    const { reply, raw, asReply } = fakeReply();
    const { source, state } = manualSource([{ id: 'e1', event: 'message', data: { n: 1 } }]);
    sendEventStream(asReply, source);
    expect(reply.hijacked).toBe(true);
    expect(raw.status).toBe(200);
    expect(raw.headers).toMatchObject({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    state.emit({ data: 'plain' });
    expect(raw.ended).toBe(false);
    state.end();
    expect(raw.chunks).toEqual(['id: e1\nevent: message\ndata: {"n":1}\n\n', 'data: "plain"\n\n', DONE_FRAME]);
    expect(raw.ended).toBe(true);
    expect(state.stops).toBe(1);
    state.emit({ data: 'late' });
    state.end();
    expect(raw.chunks).toHaveLength(3);
    raw.emit('close');
    expect(state.stops).toBe(1);
  });

  it('stops a source that ends while it starts, once', () => {
    const { raw, asReply } = fakeReply();
    const { source, state } = manualSource([{ data: 1 }], true);
    sendEventStream(asReply, source);
    expect(raw.chunks).toEqual(['data: 1\n\n', DONE_FRAME]);
    expect(state.stops).toBe(1);
  });

  it('stops the source when the client goes, and writes nothing more', () => {
    const { raw, asReply } = fakeReply();
    const { source, state } = manualSource();
    sendEventStream(asReply, source);
    raw.emit('close');
    expect(state.stops).toBe(1);
    state.emit({ data: 'after close' });
    state.end();
    expect(raw.chunks).toEqual([]);
    expect(raw.ended).toBe(false);
  });

  it('passes every frame through the redactor', () => {
    const { raw, asReply } = fakeReply();
    const { source } = manualSource([{ event: 'message', data: { message: 'failed to load /srv/data/models/x' } }], true);
    sendEventStream(asReply, source, { redact: (text) => text.replaceAll('/srv/data', '$BERTH_DATA_DIR') });
    expect(raw.chunks[0]).toBe('event: message\ndata: {"message":"failed to load $BERTH_DATA_DIR/models/x"}\n\n');
  });
});
