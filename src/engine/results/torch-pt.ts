/**
 * Reads one 1-D float tensor from a `.pt` file written by `torch.save` (the zip format PyTorch has
 * written by default since 1.6): `<archive>/data.pkl` describes the tensor, `<archive>/data/<key>` holds
 * its storage's raw bytes, `<archive>/byteorder` (newer PyTorch) says little or big endian.
 *
 * Only what a tensor needs is read: the pickle goes through pickle.ts, which never runs code and refuses
 * any global but torch._utils._rebuild_tensor_v2, the float storage classes and an empty
 * collections.OrderedDict (the tensor's backward hooks). LLM-Drop's similarity caches are such files.
 */
import { unzipSync } from 'fflate';
import { ImportError } from '../errors';
import { f16BitsToFloat } from '../model/safetensors';
import { PickleError, type PyValue, readPickle } from './pickle';

export type TorchDtype = 'float32' | 'float16' | 'bfloat16' | 'float64';

const STORAGES: Record<string, { dtype: TorchDtype; bytes: number }> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
};

const ALLOWED = new Set([
  'torch._utils._rebuild_tensor_v2',
  'collections.OrderedDict',
  ...Object.keys(STORAGES).map((s) => `torch.${s}`),
]);

/** The most elements a similarity vector can have (4096 layers, as CONFIG_BOUNDS allows, with room). */
const MAX_ELEMENTS = 1 << 16;

export interface TorchVector {
  dtype: TorchDtype;
  values: Float64Array;
}

const isObj = (v: PyValue, py: string): v is PyValue & { py: string } =>
  !!v && typeof v === 'object' && !Array.isArray(v) && (v as { py?: string }).py === py;

function ints(v: PyValue, what: string, file: string): number[] {
  if (!isObj(v, 'tuple')) throw new ImportError(`${file}: the tensor's ${what} is not a tuple.`, { file });
  const items = (v as { items: PyValue[] }).items;
  if (!items.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0))
    throw new ImportError(`${file}: the tensor's ${what} is not a tuple of whole numbers.`, { file });
  return items as number[];
}

/** A .pt file's one 1-D float tensor; ImportError saying what is wrong otherwise. */
export function readTorchVector(bytes: Uint8Array, file = 'the .pt file'): TorchVector {
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] <= 5)
    throw new ImportError(
      `${file} was saved in PyTorch's old (pre-1.6) format, which DropLab does not read. Save it again with torch.save(t, path) in a current PyTorch.`,
      { file },
    );
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b)
    throw new ImportError(`${file} is not a PyTorch .pt file (it is not a zip archive).`, { file });
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    throw new ImportError(
      `${file} is a damaged or truncated zip archive (${(e as Error).message}); copy the file again.`,
      { file },
    );
  }
  const names = Object.keys(entries);
  const pkl = names.find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) throw new ImportError(`${file} is a zip archive without data.pkl, so not a torch.save file.`, { file });
  const root = pkl.slice(0, -'data.pkl'.length);
  const big = entries[`${root}byteorder`] && new TextDecoder().decode(entries[`${root}byteorder`]).trim() === 'big';

  let v: PyValue;
  try {
    v = readPickle(entries[pkl], ALLOWED);
  } catch (e) {
    const other = e instanceof PickleError && /torch\.(\w+)Storage/.exec(e.message);
    if (other)
      throw new ImportError(
        `${file} holds a ${other[1]} tensor; DropLab reads a 1-D float tensor (float32, float16 or bfloat16).`,
        { file },
      );
    if (e instanceof PickleError)
      throw new ImportError(
        `${file} does not hold just a tensor: ${e.message} DropLab reads only a 1-D float tensor.`,
        {
          file,
        },
      );
    throw e;
  }
  const notTensor = () =>
    new ImportError(
      `${file} holds a Python object that is not a tensor; DropLab reads a .pt file holding one 1-D float tensor (torch.save(tensor, path)).`,
      { file },
    );
  if (!isObj(v, 'call')) throw notTensor();
  const call = v as { fn: PyValue; args: PyValue[] };
  if (!isObj(call.fn, 'global') || (call.fn as { name: string }).name !== '_rebuild_tensor_v2') throw notTensor();
  const [storage, offset, sizeT, strideT] = call.args;
  if (!isObj(storage, 'persistent')) throw notTensor();
  const pid = (storage as { id: PyValue }).id;
  if (!isObj(pid, 'tuple')) throw notTensor();
  const [tag, cls, key, , numel] = (pid as { items: PyValue[] }).items;
  if (tag !== 'storage' || !isObj(cls, 'global') || typeof key !== 'string' || typeof numel !== 'number')
    throw notTensor();
  const kind = STORAGES[(cls as { name: string }).name];
  if (!kind) throw notTensor();
  const size = ints(sizeT, 'size', file);
  const stride = ints(strideT, 'stride', file);
  if (size.length !== 1)
    throw new ImportError(
      `${file} holds a ${size.length}-D tensor of shape [${size.join(', ')}]; a similarity cache is 1-D (one value per layer).`,
      { file, shape: size },
    );
  if (size[0] < 1 || size[0] > MAX_ELEMENTS)
    throw new ImportError(`${file} holds a tensor of ${size[0]} values; a similarity cache holds one per layer.`, {
      file,
    });
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) throw notTensor();
  const data = entries[`${root}data/${key}`];
  if (!data)
    throw new ImportError(`${file} lacks the tensor's data (data/${key}); the archive is incomplete.`, { file });
  if (data.length !== numel * kind.bytes || !Number.isInteger(numel))
    throw new ImportError(
      `${file}: the tensor's storage should hold ${numel} ${kind.dtype} values (${numel * kind.bytes} bytes) but has ${data.length} bytes.`,
      { file },
    );
  const step = stride[0] ?? 1;
  if (offset + (size[0] - 1) * step >= numel)
    throw new ImportError(`${file}: the tensor reads past the end of its storage.`, { file });

  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = !big;
  const out = new Float64Array(size[0]);
  const bf16 = new DataView(new ArrayBuffer(4));
  for (let i = 0; i < size[0]; i++) {
    const at = (offset + i * step) * kind.bytes;
    switch (kind.dtype) {
      case 'float32':
        out[i] = dv.getFloat32(at, le);
        break;
      case 'float64':
        out[i] = dv.getFloat64(at, le);
        break;
      case 'float16':
        out[i] = f16BitsToFloat(dv.getUint16(at, le));
        break;
      case 'bfloat16': // the upper half of a float32
        bf16.setUint32(0, dv.getUint16(at, le) << 16);
        out[i] = bf16.getFloat32(0);
        break;
    }
  }
  return { dtype: kind.dtype, values: out };
}
