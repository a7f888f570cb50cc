/** The app's providers around the inbox. The bridge comes in from main.tsx. */
import type { Bridge } from '../bridge/index.ts';
import { AccountsProvider } from './state/accounts.tsx';
import { BridgeContext } from './state/bridgeContext.ts';
import { NotifyProvider } from './state/notify.tsx';
import { SettingsProvider, useSettings } from './state/settings.tsx';
import { useTheme } from './state/useTheme.ts';
import { InboxLayout } from './views/InboxLayout.tsx';

function Themed() {
  useTheme(useSettings().settings?.theme);
  return <InboxLayout />;
}

export function App({ bridge }: { bridge: Bridge }) {
  return (
    <BridgeContext value={bridge}>
      <NotifyProvider>
        <SettingsProvider>
          <AccountsProvider>
            <Themed />
          </AccountsProvider>
        </SettingsProvider>
      </NotifyProvider>
    </BridgeContext>
  );
}
