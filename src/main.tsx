import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { exposeForTests } from './state/store';
import { App } from './ui/App';
import './ui/styles.css';

exposeForTests();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
