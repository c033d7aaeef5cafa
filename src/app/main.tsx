/// <reference types="vite-plugin-pwa/client" />
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { WorkbenchController } from '../state/controller';
import { openSavedExperiments } from '../state/saved';
import { createWorkbenchStore } from '../state/store';
import { App } from './App';
import { WorkbenchProvider } from './context';
import { rememberedHubToken } from './model/hub-token';
import { browserHash, pageOptions } from './page';
import { createWorkerClient } from './worker-client';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

const options = pageOptions(window.location.search);
const store = createWorkbenchStore();
// Saved experiments are optional (private windows may refuse IndexedDB): never wait long for them.
const saved = await Promise.race([
  openSavedExperiments().catch(() => null),
  new Promise<null>((resolve) => setTimeout(() => resolve(null), 3000)),
]);
const controller = new WorkbenchController({
  store,
  engine: createWorkerClient(),
  init: {
    backend: options.backend,
    hubEndpoint: options.hubEndpoint,
    baseUrl: new URL(import.meta.env.BASE_URL, window.location.href).href,
  },
  fetchText: async (path) => {
    const res = await fetch(new URL(path, new URL(import.meta.env.BASE_URL, window.location.href)));
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return res.text();
  },
  hash: browserHash(),
  saved,
  hubToken: rememberedHubToken(),
});

createRoot(root).render(
  <StrictMode>
    <WorkbenchProvider store={store} controller={controller}>
      <App />
    </WorkbenchProvider>
  </StrictMode>,
);
void controller.start();

// Offline after the first visit (vite.config.ts): the service worker, in production builds only.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  void import('virtual:pwa-register').then(({ registerSW }) => registerSW({ immediate: true })).catch(() => {}); // no offline copy; the page works as before
}
