/**
 * A restricted interpreter of Python pickles, for the `data.pkl` of a PyTorch checkpoint.
 *
 * Python's own unpickler imports any global a pickle names and calls it: a checkpoint can run
 * `os.system` the moment it is loaded. This interpreter never evaluates anything. It knows the
 * opcodes `torch.save` emits (protocol 2, plus the few protocol-4 ones newer writers add) and
 * builds plain values: numbers, strings, lists, tuples (frozen arrays), dicts (Maps). A global is
 * only what the caller's `findGlobal` hands back for it, and the caller refuses every global it
 * does not know, by name, before anything is built from it. REDUCE and BUILD only reach the
 * caller's own functions. Unknown opcodes are refused too.
 */

/** A global the caller allows: `call` stands in for Python calling it (REDUCE). */
export interface PickleCallable {
  readonly kind: 'callable';
  readonly name: string;
  call(args: readonly unknown[]): unknown;
}

/** What a persistent id (BINPERSID) resolves to is the caller's business too. */
export interface UnpickleHooks {
  /** Returns the allowed global, or throws (naming it) when it is refused. */
  findGlobal(module: string, name: string): unknown;
  persistentLoad(pid: unknown): unknown;
  /** BUILD: sets `state` on `target` (Python's `__setstate__`), or throws when that is not allowed. */
  build(target: unknown, state: unknown): void;
}

/** A malformed pickle or a refused construct; the message is one line, without the file name. */
export class PickleError extends Error {}

/** Opcode names for error messages (the ones refused included, so a refusal says what it met). */
const OPCODE_NAMES: Record<number, string> = {
  0x80: 'PROTO',
  0x95: 'FRAME',
  0x2e: 'STOP',
  0x63: 'GLOBAL',
  0x93: 'STACK_GLOBAL',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x94: 'MEMOIZE',
  0x68: 'BINGET',
  0x6a: 'LONG_BINGET',
  0x28: 'MARK',
  0x7d: 'EMPTY_DICT',
  0x29: 'EMPTY_TUPLE',
  0x5d: 'EMPTY_LIST',
  0x74: 'TUPLE',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x73: 'SETITEM',
  0x75: 'SETITEMS',
  0x61: 'APPEND',
  0x65: 'APPENDS',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4d: 'BININT2',
  0x8a: 'LONG1',
  0x58: 'BINUNICODE',
  0x8c: 'SHORT_BINUNICODE',
  0x51: 'BINPERSID',
  0x52: 'REDUCE',
  0x62: 'BUILD',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x4e: 'NONE',
  0x47: 'BINFLOAT',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x81: 'NEWOBJ',
  0x92: 'NEWOBJ_EX',
  0x69: 'INST',
  0x6f: 'OBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x50: 'PERSID',
  0x43: 'SHORT_BINBYTES',
  0x42: 'BINBYTES',
  0x8e: 'BINBYTES8',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

/** The value a pickle describes; `hooks` decide what its globals and persistent ids become. */
export function unpickle(bytes: Uint8Array, hooks: UnpickleHooks): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pos = 0;
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const need = (n: number): number => {
    if (pos + n > bytes.byteLength) throw new PickleError(`pickle ends in the middle of an opcode at byte ${pos} (truncated)`);
    const at = pos;
    pos += n;
    return at;
  };
  const text = (n: number): string => {
    const at = need(n);
    try {
      return decoder.decode(bytes.subarray(at, at + n));
    } catch {
      throw new PickleError(`string at byte ${at} is not valid UTF-8`);
    }
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw new PickleError(`pickle ends inside a GLOBAL name at byte ${pos} (truncated)`);
    const value = new TextDecoder('latin1').decode(bytes.subarray(pos, end));
    pos = end + 1;
    return value;
  };
  const pop = (): unknown => {
    if (stack.length === 0) throw new PickleError(`stack underflow at byte ${pos}`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw new PickleError(`stack underflow at byte ${pos}`);
    return stack[stack.length - 1];
  };
  /** Items since the last MARK, removing the mark (Python's `pop_mark`). */
  const popMark = (): unknown[] => {
    const items = stack;
    const previous = marks.pop();
    if (!previous) throw new PickleError(`no MARK to pop at byte ${pos}`);
    stack = previous;
    return items;
  };
  const put = (index: number): void => {
    if (stack.length === 0) throw new PickleError(`memo write with an empty stack at byte ${pos}`);
    memo.set(index, stack[stack.length - 1]);
  };
  const get = (index: number): void => {
    if (!memo.has(index)) throw new PickleError(`memo slot ${index} read before it was written (byte ${pos})`);
    stack.push(memo.get(index));
  };
  const dictOf = (target: unknown): Map<unknown, unknown> => {
    if (!(target instanceof Map)) throw new PickleError(`SETITEM on a value that is not a dict (byte ${pos})`);
    return target;
  };
  const listOf = (target: unknown): unknown[] => {
    if (!Array.isArray(target) || Object.isFrozen(target)) throw new PickleError(`APPEND on a value that is not a list (byte ${pos})`);
    return target;
  };
  const resolveGlobal = (module: string, name: string): void => {
    stack.push(hooks.findGlobal(module, name));
  };

  for (;;) {
    const at = need(1);
    const op = bytes[at];
    switch (op) {
      case 0x80: // PROTO
        if (bytes[need(1)] > 5) throw new PickleError(`pickle protocol ${bytes[at + 1]} is newer than any Python writes`);
        break;
      case 0x95: // FRAME: a length hint only
        need(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length !== 0) throw new PickleError('STOP with an unbalanced stack');
        return stack[0];
      case 0x63: {
        // GLOBAL: "module\nname\n"
        const module = line();
        resolveGlobal(module, line());
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw new PickleError('STACK_GLOBAL needs two strings');
        resolveGlobal(module, name);
        break;
      }
      case 0x71: // BINPUT
        put(bytes[need(1)]);
        break;
      case 0x72: // LONG_BINPUT
        put(view.getUint32(need(4), true));
        break;
      case 0x94: // MEMOIZE
        put(memo.size);
        break;
      case 0x68: // BINGET
        get(bytes[need(1)]);
        break;
      case 0x6a: // LONG_BINGET
        get(view.getUint32(need(4), true));
        break;
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(Object.freeze([]));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x74: {
        // TUPLE (popMark swaps `stack`, so it runs before the push is looked up)
        const items = popMark();
        stack.push(Object.freeze(items));
        break;
      }
      case 0x85: // TUPLE1
        stack.push(Object.freeze([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(Object.freeze([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(Object.freeze([pop(), b, c]));
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        dictOf(top()).set(key, value);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        if (items.length % 2 !== 0) throw new PickleError(`SETITEMS with an odd number of items (byte ${at})`);
        const dict = dictOf(top());
        for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
        break;
      }
      case 0x61: {
        // APPEND
        const value = pop();
        listOf(top()).push(value);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        listOf(top()).push(...items);
        break;
      }
      case 0x4a: // BININT
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x4b: // BININT1
        stack.push(bytes[need(1)]);
        break;
      case 0x4d: // BININT2
        stack.push(view.getUint16(need(2), true));
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement of n bytes
        const n = bytes[need(1)];
        const start = need(n);
        let value = 0n;
        for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[start + i]);
        if (n > 0 && bytes[start + n - 1] & 0x80) value -= 1n << BigInt(8 * n);
        stack.push(value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value);
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(text(view.getUint32(need(4), true)));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(bytes[need(1)]));
        break;
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop()));
        break;
      case 0x52: {
        // REDUCE: callable(*args), only for callables the caller handed out
        const args = pop();
        const callable = pop();
        if (!isCallable(callable)) throw new PickleError(`REDUCE on a value that is not an allowed callable (byte ${at})`);
        if (!Array.isArray(args)) throw new PickleError(`REDUCE of ${callable.name} without an argument tuple (byte ${at})`);
        stack.push(callable.call(args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        hooks.build(top(), state);
        break;
      }
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x47: // BINFLOAT: big-endian double
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x30: // POP
        if (stack.length > 0) pop();
        else popMark();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      default: {
        const name = OPCODE_NAMES[op];
        throw new PickleError(
          `opcode 0x${op.toString(16).padStart(2, '0')}${name ? ` (${name})` : ''} at byte ${at} is not one a state dict needs; refusing to go on`,
        );
      }
    }
  }
}

function isCallable(value: unknown): value is PickleCallable {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'callable';
}
