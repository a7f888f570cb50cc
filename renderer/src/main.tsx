/** Entry: pick the transport, then render the app (or explain the missing web-mode token). */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { chooseBridge } from '../bridge/index.ts';
import { App } from './App.tsx';
import { NoTokenPage } from './views/NoTokenPage.tsx';
import './styles.css';
import './styles-invites.css';
import './styles-upgrade.css';
import './styles-groups.css';
import './styles-accounts.css';
import './styles-mail.css';

const rootElement = document.getElementById('root');
if (!rootElement) throw new Error('index.html lost its #root element');

const choice = chooseBridge();
createRoot(rootElement).render(
  <StrictMode>{choice.kind === 'ready' ? <App bridge={choice.bridge} /> : <NoTokenPage />}</StrictMode>,
);
