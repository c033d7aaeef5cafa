/**
 * "Import results" (the workbench side): read the picked or dropped files all at once (readImportFiles),
 * then either show the results without their model (imported.ts), or apply an LLM-Drop config's drops
 * to the loaded model when its depth matches. A file that cannot be read leaves everything as it was
 * and says why.
 */
import { type DropConfig, type ImportBundle, type ImportFile, readImportFiles } from '../engine/api';
import { ImportError } from '../engine/errors';
import { configScalars } from './share-results';
import { uiError, type WorkbenchStore } from './store';

export type ImportOutcome = { kind: 'results' } | { kind: 'drops'; drop: DropConfig } | { kind: 'refused' };

/** `applyDrops` sets the loaded model's drops (undoable: the controller's setDrops). */
export function importFiles(
  store: WorkbenchStore,
  files: ImportFile[],
  applyDrops: (d: DropConfig) => void,
): ImportOutcome {
  const s = store.getState();
  let bundle: ImportBundle;
  try {
    bundle = readImportFiles(files);
  } catch (e) {
    s.importFailed(uiError(e));
    return { kind: 'refused' };
  }
  const { results, config } = bundle;
  if (results) {
    s.setImported({
      results,
      config: config ? configScalars(config.raw) : null,
      selection: config?.drop ?? results.drop,
    });
    return { kind: 'results' };
  }
  // A pruned config.json alone: its drops go to the loaded model.
  const drop = config?.drop;
  const info = s.model.info;
  if (!config || !drop) return { kind: 'refused' };
  if (!info) {
    s.importFailed(
      uiError(new ImportError(`${config.file}: load a model first; its drops apply to the model loaded.`)),
    );
    return { kind: 'refused' };
  }
  const L = info.spec.numLayers;
  if (config.spec.numLayers !== L) {
    s.importFailed(
      uiError(
        new ImportError(
          `${config.file} is the config of a ${config.spec.numLayers}-layer model${config.model ? ` (${config.model})` : ''}; the loaded model ${info.name} has ${L} layers, so its drops cannot be applied. Load the model it belongs to, then import it again. The current experiment is unchanged.`,
        ),
      ),
    );
    return { kind: 'refused' };
  }
  s.importFailed(null);
  applyDrops(drop);
  return { kind: 'drops', drop };
}
