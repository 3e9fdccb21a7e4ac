import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/components/App';
import { AppController, browserEnv } from './app/controller';
import { ControllerContext } from './app/controllerContext';
import { indexedDbSweepStore } from './app/sweepStore';
import { startEngineWorker } from './app/worker/client';
import { shardedSweeps, sweepWorkerBudget } from './app/worker/shardedSweeps';
import { createAppStore } from './store/appStore';
import { AppStoreContext } from './store/react';
import { settingsFromHash } from './store/settings';
import './styles/app.css';

const root = document.getElementById('root');
if (!root) throw new Error('ttc-lab: #root element missing from index.html');

// One store, one worker and one controller for the page's lifetime; the URL decides the first run.
const store = createAppStore(settingsFromHash(window.location.hash));
// Sweeps on TinyMath's CPU path split their problems over helper workers (shardedSweeps.ts).
const engine = shardedSweeps(startEngineWorker(), {
  workers: sweepWorkerBudget(
    navigator.hardwareConcurrency,
    (navigator as Navigator & { deviceMemory?: number }).deviceMemory,
  ),
  startHelper: () => startEngineWorker('ttc-lab-sweep-helper'),
});
const controller = new AppController(store, engine, browserEnv(), indexedDbSweepStore());

createRoot(root).render(
  <StrictMode>
    <AppStoreContext.Provider value={store}>
      <ControllerContext.Provider value={controller}>
        <App />
      </ControllerContext.Provider>
    </AppStoreContext.Provider>
  </StrictMode>,
);
controller.start();
