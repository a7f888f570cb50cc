/** The desktop transport: the Electron preload's `window.switchboard` (see core/api/wire.ts). */
import type { PreloadApi } from '../../core/api/wire.ts';
import { electronMailViewUrl } from './mail-view.ts';
import { ApiCallError, withTimeout, type Bridge, type CommandName, type CommandParams, type CommandResults, type ConnectionStatus } from './types.ts';
import { callTimeoutFor } from './wire-constants.ts';

// IPC to the main process does not drop like a socket, so the link is always open.
const OPEN: ConnectionStatus = { state: 'open', failedAttempts: 0, reconnects: 0 };

export function createIpcBridge(preload: PreloadApi): Bridge {
  return {
    async call<C extends CommandName>(command: C, params: CommandParams[C]): Promise<CommandResults[C]> {
      const reply = await withTimeout(preload.invoke(command, params), callTimeoutFor(command), command);
      if (!reply.ok) throw new ApiCallError(reply.error.code, reply.error.message);
      // Core validated and produced this result for exactly this command.
      return reply.result as CommandResults[C];
    },
    onEvent: (listener) => preload.on(listener),
    onConnectionChange: () => () => undefined,
    connectionStatus: () => OPEN,
    mailViewUrl: async (messageId, revision) => electronMailViewUrl(messageId, revision),
  };
}
