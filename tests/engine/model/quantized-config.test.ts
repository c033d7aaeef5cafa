/**
 * A checkpoint saved quantized (config.json's quantization_config) is refused from config.json alone, before any
 * weight is read (issue 13, bad input: "a quantized checkpoint the engine cannot read, named, with the dtype").
 */
import { describe, expect, it } from 'vitest';
import { SafetensorsDtypeError } from '../../../src/engine/errors';
import { specFromConfig } from '../../../src/engine/model/families';
import { loadModelFromFiles } from '../../../src/engine/model/load';
import { tinyModel } from '../../fixtures/tiny-models';
import { mutatedModel } from '../../support/mutate-model';

const refusal = (config: Record<string, unknown>) => {
  try {
    specFromConfig(config);
  } catch (e) {
    return e as SafetensorsDtypeError;
  }
  throw new Error('not refused');
};

describe('quantized checkpoints', () => {
  const base = tinyModel('llama-gqa').config;

  it('names the method, its bits and the dtype it stores, and what to load instead', () => {
    const gptq = refusal({ ...base, quantization_config: { quant_method: 'gptq', bits: 4, group_size: 128 } });
    expect(gptq).toBeInstanceOf(SafetensorsDtypeError);
    expect(gptq.message).toBe(
      'This checkpoint is quantized (quantization_config: gptq, 4 bits): its weights are stored as packed 4-bit integers in int32 "qweight" tensors (I32) with "qzeros" and "scales", which DropLab cannot read. Load the original float checkpoint (F32, F16 or BF16) and choose the q8 or q4 weight precision to analyse it at 8 or 4 bits.',
    );
    expect(gptq.details).toEqual({ quantMethod: 'gptq', bits: 4 });
    expect(refusal({ ...base, quantization_config: { quant_method: 'fp8' } }).message).toContain('(F8_E4M3)');
    const bnb = refusal({ ...base, quantization_config: { quant_method: 'bitsandbytes', load_in_4bit: true } });
    expect(bnb.message).toContain(
      '(quantization_config: bitsandbytes, 4 bits): its weights are stored as uint8 tensors (U8)',
    );
    expect(refusal({ ...base, quantization_config: { quant_method: 'mystery' } }).message).toContain(
      'stored as integer or 8-bit float tensors instead of F32, F16 or BF16',
    );
  });

  it('the loader refuses it before reading the checkpoint (its weights here are float, so only the config decides)', async () => {
    const { files } = mutatedModel('llama-gqa', { config: { quantization_config: { quant_method: 'awq', bits: 4 } } });
    const read: string[] = [];
    const spy = {
      names: () => files.names(),
      read: async (name: string) => {
        read.push(name);
        return files.read(name);
      },
    };
    const err = await loadModelFromFiles(spy).catch((e) => e);
    expect(err).toBeInstanceOf(SafetensorsDtypeError);
    expect(err.message).toContain('quantization_config: awq, 4 bits');
    expect(read.filter((n) => n.endsWith('.safetensors'))).toEqual([]);
  });

  it('a config without quantization_config (or with null) loads as before', () => {
    expect(specFromConfig(base).numLayers).toBeGreaterThan(0);
    expect(specFromConfig({ ...base, quantization_config: null }).numLayers).toBeGreaterThan(0);
  });
});
