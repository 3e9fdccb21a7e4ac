import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

function App() {
  return (
    <main>
      <h1>ttc-lab</h1>
      <p>A browser lab for test-time compute.</p>
    </main>
  );
}

const root = document.getElementById('root');
if (!root) throw new Error('ttc-lab: #root element missing from index.html');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
