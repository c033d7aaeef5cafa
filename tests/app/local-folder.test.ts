/**
 * Reading a dropped or picked model folder (src/app/model/local-folder.ts) with the shapes the browser
 * hands over: DataTransfer items whose entries are a directory (a folder dragged from a file manager) or
 * loose files, and <input webkitdirectory> files with their relative paths. The Playwright spec
 * e2e/experiments.spec.ts drops real files on the page; a directory entry cannot be synthesized there.
 */
import { describe, expect, it } from 'vitest';
import { folderFromDrop, folderFromFileList, wanted } from '../../src/app/model/local-folder';

const file = (name: string, body = name) => new File([body], name);

/** FileSystemEntry look-alikes: what webkitGetAsEntry() returns. */
function fileEntry(name: string) {
  return { name, isFile: true, isDirectory: false, file: (ok: (f: File) => void) => ok(file(name)) };
}
function dirEntry(name: string, children: unknown[], batch = 2) {
  return {
    name,
    isFile: false,
    isDirectory: true,
    // readEntries hands out the children a batch at a time and then an empty batch, as Chromium does
    createReader() {
      let i = 0;
      return {
        readEntries(ok: (b: unknown[]) => void) {
          const b = children.slice(i, i + batch);
          i += batch;
          ok(b);
        },
      };
    },
  };
}
function transfer(entries: unknown[], files: File[] = []): DataTransfer {
  return { items: entries.map((e) => ({ webkitGetAsEntry: () => e })), files } as unknown as DataTransfer;
}

describe('local model folders', () => {
  it('a dropped folder: every top-level json and safetensors file, across readEntries batches; subfolders and other files not read', async () => {
    const names = [
      'config.json',
      'tokenizer.json',
      'README.md',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
    ];
    const sub = dirEntry('onnx', [fileEntry('model.onnx'), fileEntry('config.json')]);
    const got = await folderFromDrop(transfer([dirEntry('SmolLM2-135M', [...names.map(fileEntry), sub])]));
    expect(got?.name).toBe('SmolLM2-135M');
    expect(got?.files.map((f) => f.path).sort()).toEqual(names.filter(wanted).sort());
    expect(await got?.files.find((f) => f.path === 'config.json')?.file.text()).toBe('config.json');
  });

  it('loose dropped files (no directory entry): the model files among them; nothing usable gives null', async () => {
    const files = [file('config.json'), file('model.safetensors'), file('notes.txt')];
    const got = await folderFromDrop(transfer([null], files));
    expect(got).toEqual({
      name: 'dropped files',
      files: [
        { path: 'config.json', file: files[0] },
        { path: 'model.safetensors', file: files[1] },
      ],
    });
    expect(await folderFromDrop(transfer([], [file('a.txt')]))).toBeNull();
  });

  it('<input webkitdirectory>: files of the top level only, the folder named from the relative path', () => {
    const rel = (name: string, path: string) => Object.assign(file(name), { webkitRelativePath: path });
    const got = folderFromFileList([
      rel('config.json', 'gpt2/config.json'),
      rel('model.safetensors', 'gpt2/model.safetensors'),
      rel('config.json', 'gpt2/onnx/config.json'),
    ]);
    expect(got?.name).toBe('gpt2');
    expect(got?.files.map((f) => f.path)).toEqual(['config.json', 'model.safetensors']);
    expect(folderFromFileList([])).toBeNull();
  });
});
