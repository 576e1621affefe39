/**
 * A reader of the subset of Python's pickle format (protocols 2 to 5, in-band) that dataset files use:
 * dicts, lists, tuples, strings, bytes, numbers and numpy arrays (numpy.core.multiarray._reconstruct +
 * numpy.dtype + the array's setstate tuple). It runs no code: a class it does not know (anything but the
 * few numpy, codecs and collections names below) is an error naming the file, the byte offset and the
 * opcode. Browser-safe: the bytes come from a PickleSource (a Uint8Array here; a file read in pieces in
 * pickle_file.ts).
 */

/** Where the pickle's bytes come from, read front to back once. */
export interface PickleSource {
  /** The offset of the next byte. */
  readonly offset: number;
  /** The next byte, or -1 at the end. */
  byte(): number;
  /**
   * The next `n` bytes as an array the caller may keep (a view of the source or a fresh array), or
   * fewer at the end.
   */
  bytes(n: number): Uint8Array;
}

/** A PickleSource over bytes in memory (no copies: bytes() returns views). */
export class BufferSource implements PickleSource {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  get offset(): number {
    return this.pos;
  }
  byte(): number {
    return this.pos < this.buf.length ? this.buf[this.pos++] : -1;
  }
  bytes(n: number): Uint8Array {
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += out.length;
    return out;
  }
}

/**
 * A numpy array from a pickle: its dtype as numpy writes it ('<u1', '<i4', '<f4', '|O', ...), its shape,
 * C or Fortran order, and its data: the raw bytes (a view when the source allows), or for dtype object
 * its elements.
 */
export interface NdArray {
  readonly kind: 'ndarray';
  dtype: string;
  shape: number[];
  fortran: boolean;
  data: Uint8Array | PickleValue[];
}

/** A Python value as read: None is null, int a number (a bigint beyond 2^53), str a string, bytes (and Python 2 str) a Uint8Array, list and tuple arrays, dict a Map. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleDict
  | NdArray
  | NumpyDtype
  | LongText;

/**
 * A str of more than LONG_TEXT bytes of UTF-8, kept undecoded: JavaScript strings stop near 2^29
 * characters, and protocol 2 from Python 3 writes a numpy array's bytes as such a str
 * (_codecs.encode(text, 'latin1')), which this reader turns back into bytes without a string between.
 */
export interface LongText {
  readonly kind: 'text';
  utf8: Uint8Array;
}

/** Strs of more UTF-8 bytes than this are read as LongText. */
export const LONG_TEXT = 1 << 26;

/** A Python dict; bytes keys (Python 2 str) are read as Latin-1 strings. */
export type PickleDict = Map<string | number | bigint | boolean | null, PickleValue>;

/** A numpy dtype (only as the dtype argument of an array). */
export interface NumpyDtype {
  readonly kind: 'dtype';
  /** Kind and size as numpy.dtype's first argument: 'u1', 'i4', 'f8', 'O8', 'b1'. */
  code: string;
  /** '<', '>', '|' or '='; from the dtype's state. */
  order: string;
}

/** Options of readPickle. */
export interface ReadPickleOptions {
  /** The file name in error messages; default 'pickle'. */
  file?: string;
  /** Strs of more UTF-8 bytes than this are read as LongText; default LONG_TEXT. */
  longText?: number;
}

const OP_NAMES: Record<number, string> = {
  0x80: 'PROTO',
  0x95: 'FRAME',
  0x2e: 'STOP',
  0x28: 'MARK',
  0x29: 'EMPTY_TUPLE',
  0x74: 'TUPLE',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x5d: 'EMPTY_LIST',
  0x61: 'APPEND',
  0x65: 'APPENDS',
  0x6c: 'LIST',
  0x7d: 'EMPTY_DICT',
  0x73: 'SETITEM',
  0x75: 'SETITEMS',
  0x64: 'DICT',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4d: 'BININT2',
  0x8a: 'LONG1',
  0x8b: 'LONG4',
  0x47: 'BINFLOAT',
  0x4e: 'NONE',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x58: 'BINUNICODE',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
  0x8e: 'BINBYTES8',
  0x96: 'BYTEARRAY8',
  0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING',
  0x63: 'GLOBAL',
  0x93: 'STACK_GLOBAL',
  0x52: 'REDUCE',
  0x62: 'BUILD',
  0x81: 'NEWOBJ',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x94: 'MEMOIZE',
  0x68: 'BINGET',
  0x6a: 'LONG_BINGET',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  // Known but not read (text protocol 0/1 forms, out-of-band buffers, extensions):
  0x49: 'INT',
  0x4c: 'LONG',
  0x46: 'FLOAT',
  0x53: 'STRING',
  0x56: 'UNICODE',
  0x70: 'PUT',
  0x67: 'GET',
  0x69: 'INST',
  0x6f: 'OBJ',
  0x92: 'NEWOBJ_EX',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
  0x90: 'ADDITEMS',
  0x8f: 'EMPTY_SET',
  0x91: 'FROZENSET',
};

/** The classes a pickle may name, each a function of its REDUCE / NEWOBJ arguments. */
type Callable = (args: PickleValue[], fail: (m: string) => never) => PickleValue | Builder;

/** An object still to be built: BUILD passes it its state. */
interface Builder {
  readonly kind: 'builder';
  value: PickleValue;
  setState(state: PickleValue, fail: (m: string) => never): void;
}

interface GlobalRef {
  readonly kind: 'global';
  module: string;
  name: string;
  call: Callable;
}

type StackItem = PickleValue | GlobalRef | Builder;

const isArr = (v: unknown): v is PickleValue[] => Array.isArray(v);
const latin1 = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
};
const latin1Bytes = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new Error(`character U+${c.toString(16)} is not Latin-1`);
    out[i] = c;
  }
  return out;
};

/** UTF-8 of code points below 256 to those code points as bytes. */
function utf8ToLatin1(b: Uint8Array, fail: (m: string) => never): Uint8Array {
  let n = 0;
  for (let i = 0; i < b.length; i++) if ((b[i] & 0xc0) !== 0x80) n++;
  const out = new Uint8Array(n);
  let o = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c < 0x80) out[o++] = c;
    else if ((c & 0xe0) === 0xc0 && i + 1 < b.length) {
      const v = ((c & 0x1f) << 6) | (b[++i] & 0x3f);
      if (v > 255) fail(`character U+${v.toString(16)} is not Latin-1`);
      out[o++] = v;
    } else fail(`UTF-8 byte 0x${c.toString(16)} at ${i} does not start a Latin-1 character`);
  }
  return out;
}

/** The text of a str or (Python 2) bytes value; bytes are decoded as UTF-8. */
export function pickleText(v: PickleValue | undefined, what: string): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  throw new Error(`${what}: expected a string, got ${describe(v)}`);
}

/** A short description of a value's type, for errors. */
export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v === undefined) return 'nothing';
  if (v instanceof Uint8Array) return `bytes (${v.length})`;
  if (v instanceof Map) return `a dict (${v.size} keys)`;
  if (Array.isArray(v)) return `a list (${v.length})`;
  if (typeof v === 'object' && 'kind' in v) {
    const k = (v as { kind: string }).kind;
    if (k === 'ndarray') {
      const a = v as NdArray;
      return `a numpy array ${a.dtype} [${a.shape.join(', ')}]`;
    }
    return k;
  }
  return typeof v;
}

function dictKey(k: PickleValue, fail: (m: string) => never): string | number | bigint | boolean | null {
  if (k instanceof Uint8Array) return latin1(k);
  if (k === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof k))
    return k as string | number | bigint | boolean | null;
  if (isArr(k))
    return JSON.stringify(
      k.map((x) => dictKey(x, fail)),
      (_, x) => (typeof x === 'bigint' ? String(x) : x),
    );
  return fail(`a dict key of type ${describe(k)} is not supported`);
}

const DTYPE_SIZE = /^([biufcOSUV])(\d+)$/;

/** Python 2 and 3 names of the numpy and standard-library callables these files use. */
const GLOBALS: Record<string, Callable> = {
  'numpy.core.multiarray._reconstruct': reconstruct,
  'numpy._core.multiarray._reconstruct': reconstruct,
  'numpy.dtype': makeDtype,
  // Protocol 5 (in-band): _frombuffer(bytearray, dtype, shape, order).
  'numpy.core.numeric._frombuffer': frombuffer,
  'numpy._core.numeric._frombuffer': frombuffer,
  'numpy.core.multiarray.scalar': scalar,
  'numpy._core.multiarray.scalar': scalar,
  // Protocol 2 from Python 3 writes bytes as _codecs.encode(text, 'latin1').
  '_codecs.encode': (args, fail) => {
    const [text, enc] = args;
    const e = typeof enc === 'string' ? enc.toLowerCase().replace(/[-_]/g, '') : 'utf8';
    const long = (text as LongText | null)?.kind === 'text' ? (text as LongText).utf8 : undefined;
    if (typeof text !== 'string' && long === undefined) return fail(`_codecs.encode of ${describe(text)}`);
    if (e === 'latin1' || e === 'iso88591')
      return long !== undefined ? utf8ToLatin1(long, fail) : latin1Bytes(text as string);
    if (e === 'utf8') return long ?? new TextEncoder().encode(text as string);
    return fail(`_codecs.encode with encoding '${String(enc)}'`);
  },
  'builtins.bytearray': bytesOf,
  '__builtin__.bytearray': bytesOf,
  'builtins.bytes': bytesOf,
  '__builtin__.bytes': bytesOf,
  'collections.OrderedDict': (args) => (args.length === 0 ? new Map() : new Map(args[0] as never)),
};

function bytesOf(args: PickleValue[], fail: (m: string) => never): PickleValue {
  const [a, enc] = args;
  if (a === undefined) return new Uint8Array(0);
  if (a instanceof Uint8Array) return a;
  if (typeof a === 'string' && (enc === 'latin-1' || enc === 'latin1')) return latin1Bytes(a);
  if (isArr(a) && a.every((x) => typeof x === 'number')) return Uint8Array.from(a as number[]);
  return fail(`bytearray of ${describe(a)}`);
}

function frombuffer(args: PickleValue[], fail: (m: string) => never): PickleValue {
  const [buf, dtype, shape, order] = args;
  const b = arrayBuilder();
  b.setState([1, shape, dtype, order === 'F', buf], fail);
  return b.value;
}

function reconstruct(args: PickleValue[], fail: (m: string) => never): Builder {
  const cls = args[0] as unknown as GlobalRef;
  if (cls?.kind !== 'global' || cls.name !== 'ndarray')
    return fail(
      `_reconstruct of ${cls?.kind === 'global' ? `${cls.module}.${cls.name}` : describe(cls)}, not numpy.ndarray`,
    );
  return arrayBuilder();
}

/** An empty array that BUILD fills from ndarray's setstate tuple. */
function arrayBuilder(): Builder {
  const arr: NdArray = { kind: 'ndarray', dtype: '', shape: [0], fortran: false, data: new Uint8Array(0) };
  return {
    kind: 'builder',
    value: arr,
    setState(state, fail2) {
      // ndarray.__setstate__((version, shape, dtype, is_fortran, rawdata)); version 0 omits itself.
      if (!isArr(state) || (state.length !== 5 && state.length !== 4))
        return fail2(
          `numpy array state: expected (version, shape, dtype, is_fortran, data), got ${describe(state)}`,
        );
      const [shape, dtype, fortran, raw] = state.length === 5 ? state.slice(1) : state;
      if (!isArr(shape) || !shape.every((d) => typeof d === 'number'))
        return fail2(`numpy array state: shape is ${describe(shape)}`);
      const dt = dtype as unknown as NumpyDtype;
      if (dt?.kind !== 'dtype') return fail2(`numpy array state: dtype is ${describe(dtype)}`);
      arr.shape = shape as number[];
      arr.fortran = fortran === true || fortran === 1;
      const m = DTYPE_SIZE.exec(dt.code);
      if (!m) return fail2(`numpy dtype '${dt.code}' is not supported`);
      const order = dt.order === '=' ? '<' : dt.order;
      arr.dtype = m[1] === 'O' ? '|O' : `${Number(m[2]) === 1 ? '|' : order}${dt.code}`;
      const count = arr.shape.reduce((a, b) => a * b, 1);
      if (m[1] === 'O') {
        if (!isArr(raw)) return fail2(`numpy object array state: data is ${describe(raw)}, not a list`);
        if (raw.length !== count)
          return fail2(`numpy object array: ${raw.length} elements for shape [${arr.shape}]`);
        arr.data = raw;
        return;
      }
      const bytes = raw instanceof Uint8Array ? raw : typeof raw === 'string' ? latin1Bytes(raw) : undefined;
      if (bytes === undefined) return fail2(`numpy array state: data is ${describe(raw)}, not bytes`);
      if (bytes.length !== count * Number(m[2]))
        return fail2(
          `numpy array ${arr.dtype} [${arr.shape}]: ${bytes.length} bytes of data, expected ${count * Number(m[2])}`,
        );
      arr.data = bytes;
    },
  };
}

function makeDtype(args: PickleValue[], fail: (m: string) => never): Builder {
  const code = args[0];
  if (typeof code !== 'string' && !(code instanceof Uint8Array))
    return fail(`numpy.dtype of ${describe(code)}`);
  const dt: NumpyDtype = { kind: 'dtype', code: typeof code === 'string' ? code : latin1(code), order: '|' };
  return {
    kind: 'builder',
    value: dt,
    setState(state, fail2) {
      // (version, byteorder, subarray, names, fields, elsize, alignment, flags): only plain dtypes.
      if (!isArr(state) || state.length < 2) return fail2(`numpy dtype state ${describe(state)}`);
      const order = state[1];
      dt.order = typeof order === 'string' ? order : order instanceof Uint8Array ? latin1(order) : '|';
      if (state.length >= 5 && (state[2] !== null || state[3] !== null || state[4] !== null))
        return fail2(
          `numpy dtype '${dt.code}' with fields or a subarray (a structured dtype) is not supported`,
        );
    },
  };
}

/** numpy.core.multiarray.scalar(dtype, bytes): a numpy number (np.int64(3) etc.) as a number. */
function scalar(args: PickleValue[], fail: (m: string) => never): PickleValue {
  const dt = args[0] as unknown as NumpyDtype | Builder;
  const d = (dt as Builder).kind === 'builder' ? ((dt as Builder).value as NumpyDtype) : (dt as NumpyDtype);
  const raw = args[1];
  const b = raw instanceof Uint8Array ? raw : typeof raw === 'string' ? latin1Bytes(raw) : undefined;
  if (d?.kind !== 'dtype' || b === undefined)
    return fail(`numpy scalar of ${describe(dt)}, ${describe(raw)}`);
  if (d.order === '>') return fail(`big-endian numpy scalar '${d.code}' is not supported`);
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const n = (x: bigint) =>
    x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
  switch (d.code) {
    case 'b1':
      return b[0] !== 0;
    case 'u1':
      return b[0];
    case 'i1':
      return v.getInt8(0);
    case 'u2':
      return v.getUint16(0, true);
    case 'i2':
      return v.getInt16(0, true);
    case 'u4':
      return v.getUint32(0, true);
    case 'i4':
      return v.getInt32(0, true);
    case 'u8':
      return n(v.getBigUint64(0, true));
    case 'i8':
      return n(v.getBigInt64(0, true));
    case 'f4':
      return v.getFloat32(0, true);
    case 'f8':
      return v.getFloat64(0, true);
    default:
      return fail(`numpy scalar of dtype '${d.code}' is not supported`);
  }
}

/**
 * Read one pickled object. Errors name the file, the byte offset of the opcode and the opcode (or the
 * class) that is not supported.
 */
export function readPickle(src: PickleSource | Uint8Array, opts: ReadPickleOptions = {}): PickleValue {
  const s = src instanceof Uint8Array ? new BufferSource(src) : src;
  const file = opts.file ?? 'pickle';
  const longText = opts.longText ?? LONG_TEXT;
  const stack: StackItem[] = [];
  const marks: number[] = [];
  const memo = new Map<number, StackItem>();
  let at = 0;
  let op = 0;
  const opName = () => OP_NAMES[op] ?? `0x${op.toString(16).padStart(2, '0')}`;
  const fail = (m: string): never => {
    throw new Error(`${file}: byte ${at}, opcode ${opName()}: ${m}`);
  };
  const take = (n: number): Uint8Array => {
    const b = s.bytes(n);
    if (b.length !== n)
      fail(`the file ends inside the opcode's ${n} bytes of argument (a truncated pickle?)`);
    return b;
  };
  const le = (n: number): number => {
    const b = take(n);
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + b[i];
    if (v > Number.MAX_SAFE_INTEGER) fail('a length beyond 2^53');
    return v;
  };
  const line = (): string => {
    let t = '';
    for (;;) {
      const c = s.byte();
      if (c === -1) fail('the file ends inside a GLOBAL name');
      if (c === 10) return t;
      t += String.fromCharCode(c);
    }
  };
  const pop = (): StackItem => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]))
      fail('the stack is empty');
    return stack.pop()!;
  };
  const top = (): StackItem => {
    if (stack.length === 0) fail('the stack is empty');
    return stack[stack.length - 1];
  };
  const popMark = (): StackItem[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK before it');
    return stack.splice(m!);
  };
  // A value as it goes into a container or an argument list: a built object is its value.
  const val = (x: StackItem): PickleValue => {
    if (typeof x === 'object' && x !== null && 'kind' in x) {
      if (x.kind === 'builder') return (x as Builder).value;
      if (x.kind === 'global') return x as unknown as PickleValue;
    }
    return x as PickleValue;
  };
  const text = (b: Uint8Array): string | LongText =>
    b.length > longText ? { kind: 'text', utf8: b } : new TextDecoder('utf-8', { fatal: false }).decode(b);
  const global = (module: string, name: string): GlobalRef => {
    const key = `${module}.${name}`;
    if (name === 'ndarray' && /^numpy(\._core|\.core)?(\.multiarray)?$/.test(module))
      return {
        kind: 'global',
        module,
        name,
        call: (_a, f) => f('numpy.ndarray is only read through _reconstruct'),
      };
    const call = GLOBALS[key];
    if (call === undefined)
      return fail(
        `class ${key} is not supported (this reader knows numpy arrays, dtypes and scalars, bytes and OrderedDict)`,
      );
    return { kind: 'global', module, name, call };
  };
  const apply = (fn: StackItem, args: StackItem): void => {
    if (typeof fn !== 'object' || fn === null || !('kind' in fn) || fn.kind !== 'global')
      fail(`calls ${describe(fn)}, not a class`);
    const a = args as PickleValue[];
    if (!isArr(a)) fail(`the arguments are ${describe(a)}, not a tuple`);
    stack.push((fn as GlobalRef).call(a, fail) as StackItem);
  };
  for (;;) {
    at = s.offset;
    op = s.byte();
    if (op === -1) {
      op = 0x2e;
      fail('the file ends before STOP (a truncated pickle?)');
    }
    switch (op) {
      case 0x80: {
        const p = take(1)[0];
        if (p > 5) fail(`pickle protocol ${p} is newer than 5`);
        break;
      }
      case 0x95:
        le(8);
        break;
      case 0x2e: {
        if (stack.length !== 1 || marks.length > 0) fail(`STOP with ${stack.length} items on the stack`);
        return val(stack[0]);
      }
      case 0x28:
        marks.push(stack.length);
        break;
      case 0x29:
        stack.push([]);
        break;
      case 0x74: {
        const items = popMark();
        stack.push(items.map(val));
        break;
      }
      case 0x85:
        stack.push([val(pop())]);
        break;
      case 0x86: {
        const b = val(pop());
        stack.push([val(pop()), b]);
        break;
      }
      case 0x87: {
        const c = val(pop());
        const b = val(pop());
        stack.push([val(pop()), b, c]);
        break;
      }
      case 0x5d:
        stack.push([]);
        break;
      case 0x6c: {
        const items = popMark();
        stack.push(items.map(val));
        break;
      }
      case 0x61: {
        const v = val(pop());
        const l = val(top());
        if (!isArr(l)) fail(`APPEND to ${describe(l)}`);
        (l as PickleValue[]).push(v);
        break;
      }
      case 0x65: {
        const items = popMark();
        const l = val(top());
        if (!isArr(l)) fail(`APPENDS to ${describe(l)}`);
        for (const it of items) (l as PickleValue[]).push(val(it));
        break;
      }
      case 0x7d:
        stack.push(new Map());
        break;
      case 0x64: {
        const items = popMark();
        const d: PickleDict = new Map();
        for (let i = 0; i + 1 < items.length; i += 2) d.set(dictKey(val(items[i]), fail), val(items[i + 1]));
        stack.push(d);
        break;
      }
      case 0x73: {
        const v = val(pop());
        const k = val(pop());
        const d = val(top());
        if (!(d instanceof Map)) fail(`SETITEM on ${describe(d)}`);
        (d as PickleDict).set(dictKey(k, fail), v);
        break;
      }
      case 0x75: {
        const items = popMark();
        const d = val(top());
        if (!(d instanceof Map)) fail(`SETITEMS on ${describe(d)}`);
        if (items.length % 2 !== 0) fail('an odd number of items');
        for (let i = 0; i < items.length; i += 2)
          (d as PickleDict).set(dictKey(val(items[i]), fail), val(items[i + 1]));
        break;
      }
      case 0x4a: {
        const b = take(4);
        stack.push(new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true));
        break;
      }
      case 0x4b:
        stack.push(take(1)[0]);
        break;
      case 0x4d:
        stack.push(le(2));
        break;
      case 0x8a:
      case 0x8b: {
        const n = op === 0x8a ? take(1)[0] : le(4);
        const b = take(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (n > 0 && b[n - 1] >= 0x80) v -= 1n << BigInt(8 * n);
        const safe = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER);
        stack.push(safe ? Number(v) : v);
        break;
      }
      case 0x47: {
        const b = take(8);
        stack.push(new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, false));
        break;
      }
      case 0x4e:
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x58:
        stack.push(text(take(le(4))));
        break;
      case 0x8c:
        stack.push(text(take(take(1)[0])));
        break;
      case 0x8d:
        stack.push(text(take(le(8))));
        break;
      case 0x42:
        stack.push(take(le(4)));
        break;
      case 0x43:
        stack.push(take(take(1)[0]));
        break;
      case 0x8e:
      case 0x96:
        stack.push(take(le(8)));
        break;
      case 0x54: {
        const b = take(4);
        const n = new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);
        if (n < 0) fail(`negative length ${n}`);
        stack.push(take(n));
        break;
      }
      case 0x55:
        stack.push(take(take(1)[0]));
        break;
      case 0x63: {
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        const name = val(pop());
        const module = val(pop());
        if (typeof name !== 'string' || typeof module !== 'string') fail('module and name must be strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        const args = val(pop());
        apply(pop(), args);
        break;
      }
      case 0x81: {
        const args = val(pop());
        apply(pop(), args);
        break;
      }
      case 0x62: {
        const state = val(pop());
        const obj = top();
        if (typeof obj === 'object' && obj !== null && 'kind' in obj && obj.kind === 'builder')
          (obj as Builder).setState(state, fail);
        else if (obj instanceof Map && state instanceof Map) for (const [k, v] of state) obj.set(k, v);
        else fail(`BUILD on ${describe(obj)}, which takes no state`);
        break;
      }
      case 0x71:
        memo.set(take(1)[0], top());
        break;
      case 0x72:
        memo.set(le(4), top());
        break;
      case 0x94:
        memo.set(memo.size, top());
        break;
      case 0x68:
      case 0x6a: {
        const i = op === 0x68 ? take(1)[0] : le(4);
        if (!memo.has(i)) fail(`memo entry ${i} was never stored`);
        stack.push(memo.get(i)!);
        break;
      }
      case 0x30:
        pop();
        break;
      case 0x31:
        popMark();
        break;
      case 0x32:
        stack.push(top());
        break;
      default:
        fail(
          OP_NAMES[op] !== undefined
            ? 'this opcode is not supported (only binary protocols 2-5 without out-of-band buffers are read)'
            : 'not a pickle opcode (not a pickle file, or a damaged one?)',
        );
    }
  }
}

/** The value of `key` in a dict read from a pickle (str or Python 2 bytes keys alike). */
export function dictGet(d: PickleValue, key: string, what: string): PickleValue {
  if (!(d instanceof Map)) throw new Error(`${what}: expected a dict, got ${describe(d)}`);
  if (!d.has(key))
    throw new Error(`${what}: no key '${key}' (keys: ${[...d.keys()].map(String).join(', ')})`);
  return d.get(key)!;
}

/** Check that `v` is a numpy array, naming what it is in errors. */
export function asNdArray(v: PickleValue, what: string): NdArray {
  if (typeof v !== 'object' || v === null || !('kind' in v) || v.kind !== 'ndarray')
    throw new Error(`${what}: expected a numpy array, got ${describe(v)}`);
  return v as NdArray;
}

/** A numeric numpy array's (or a list of ints') elements as numbers (ints and floats, little-endian). */
export function ndNumbers(v: PickleValue, what: string): Float64Array {
  if (isArr(v)) {
    if (!v.every((x) => typeof x === 'number')) throw new Error(`${what}: a list of non-numbers`);
    return Float64Array.from(v as number[]);
  }
  const a = asNdArray(v, what);
  if (a.data instanceof Uint8Array === false) throw new Error(`${what}: an object array, not numbers`);
  const b = a.data as Uint8Array;
  const m = /^([<|])([iuf])(\d)$/.exec(a.dtype);
  if (!m) throw new Error(`${what}: dtype ${a.dtype} is not a little-endian number type`);
  const size = Number(m[3]);
  const n = b.length / size;
  const out = new Float64Array(n);
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < n; i++) {
    const o = i * size;
    out[i] =
      m[2] === 'f'
        ? size === 4
          ? dv.getFloat32(o, true)
          : dv.getFloat64(o, true)
        : m[2] === 'u'
          ? size === 1
            ? b[o]
            : size === 2
              ? dv.getUint16(o, true)
              : size === 4
                ? dv.getUint32(o, true)
                : Number(dv.getBigUint64(o, true))
          : size === 1
            ? dv.getInt8(o)
            : size === 2
              ? dv.getInt16(o, true)
              : size === 4
                ? dv.getInt32(o, true)
                : Number(dv.getBigInt64(o, true));
  }
  return out;
}
