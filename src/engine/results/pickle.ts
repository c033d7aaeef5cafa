/**
 * A pickle reader that only builds data: the subset of the pickle protocol (0-5) that torch.save uses
 * for tensors. It never executes anything. A GLOBAL (a reference to Python code) is accepted only if
 * `allow` names it, and becomes an inert `PyGlobal` record; REDUCE (a call) becomes a `PyCall` record;
 * BINPERSID (torch's storage references) becomes a `PyPersistent` record. The caller interprets these
 * records (torch-pt.ts). Any other opcode, a global not on the list, or malformed bytes: PickleError.
 */

export class PickleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PickleError';
  }
}

export interface PyGlobal {
  py: 'global';
  module: string;
  name: string;
}
export interface PyCall {
  py: 'call';
  fn: PyValue;
  args: PyValue[];
}
export interface PyPersistent {
  py: 'persistent';
  id: PyValue;
}
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PyValue[]
  | { py: 'tuple'; items: PyValue[] }
  | { py: 'dict'; entries: [PyValue, PyValue][] }
  | PyGlobal
  | PyCall
  | PyPersistent;

const MARK = Symbol('mark');
type Slot = PyValue | typeof MARK;

/** Tuples are kept apart from lists so a reader can tell (size, stride) from data. */
export const tuple = (items: PyValue[]): PyValue => ({ py: 'tuple', items });

/** Largest pickle this reader will look at (torch writes a few hundred bytes for one tensor). */
const MAX_PICKLE_BYTES = 1 << 20;

export function readPickle(bytes: Uint8Array, allow: ReadonlySet<string>): PyValue {
  if (bytes.length > MAX_PICKLE_BYTES)
    throw new PickleError(`the pickle is ${bytes.length} bytes; a tensor's is a few hundred.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('latin1');
  const stack: Slot[] = [];
  const memo = new Map<number, PyValue>();
  let p = 0;
  const need = (n: number) => {
    if (p + n > bytes.length) throw new PickleError('the pickle ends in the middle of an instruction.');
  };
  const u8 = () => {
    need(1);
    return bytes[p++];
  };
  const u16 = () => {
    need(2);
    const v = view.getUint16(p, true);
    p += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(p, true);
    p += 4;
    return v;
  };
  const str = (n: number, dec: TextDecoder = text) => {
    need(n);
    const s = dec.decode(bytes.subarray(p, p + n));
    p += n;
    return s;
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) throw new PickleError('the pickle ends in the middle of a GLOBAL.');
    const s = latin1.decode(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw new PickleError('the pickle pops from an empty stack.');
    return v;
  };
  const popMark = (): PyValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new PickleError('the pickle has no MARK where one is needed.');
    const items = stack.splice(i) as Slot[];
    return items.slice(1) as PyValue[];
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw new PickleError('the pickle reads an empty stack.');
    return v;
  };
  const global = (module: string, name: string): PyGlobal => {
    const full = `${module}.${name}`;
    if (!allow.has(full)) throw new PickleError(`it refers to ${full}, which is not part of a tensor.`);
    return { py: 'global', module, name };
  };
  const get = (i: number) => {
    const v = memo.get(i);
    if (v === undefined) throw new PickleError(`the pickle reads memo slot ${i}, which was never written.`);
    return v;
  };
  const signedLong = (n: number): bigint | number => {
    need(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[p + i]);
    if (n > 0 && bytes[p + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    p += n;
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME (8-byte length; frames are only a read-ahead hint)
        need(8);
        p += 8;
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) throw new PickleError('the pickle stops with a malformed stack.');
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(view.getInt32(p, true));
        p += 4;
        break;
      case 0x8a: // LONG1
        stack.push(signedLong(u8()));
        break;
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(p, false));
        p += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(str(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(str(u8()));
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          throw new PickleError('the pickle names a global with something other than strings.');
        stack.push(global(module, name));
        break;
      }
      case 0x29: // EMPTY_TUPLE
        stack.push(tuple([]));
        break;
      case 0x85: // TUPLE1
        stack.push(tuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(tuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(tuple([pop(), b, c]));
        break;
      }
      case 0x74: // TUPLE
        stack.push(tuple(popMark()));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push({ py: 'dict', entries: [] });
        break;
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = top();
        if (!Array.isArray(list)) throw new PickleError('the pickle appends to something that is not a list.');
        list.push(...items);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const d = top();
        if (!d || typeof d !== 'object' || Array.isArray(d) || !('py' in d) || d.py !== 'dict')
          throw new PickleError('the pickle sets items on something that is not a dict.');
        for (let i = 0; i + 1 < items.length; i += 2) d.entries.push([items[i], items[i + 1]]);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(get(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(get(u32()));
        break;
      case 0x51: // BINPERSID
        stack.push({ py: 'persistent', id: pop() });
        break;
      case 0x52: {
        // REDUCE: recorded, never called
        const args = pop();
        const fn = pop();
        if (!args || typeof args !== 'object' || Array.isArray(args) || !('py' in args) || args.py !== 'tuple')
          throw new PickleError('the pickle calls something with arguments that are not a tuple.');
        stack.push({ py: 'call', fn, args: args.items });
        break;
      }
      default:
        throw new PickleError(
          `it uses pickle instruction 0x${op.toString(16).padStart(2, '0')} at byte ${p - 1}, which a saved tensor never needs.`,
        );
    }
  }
}
