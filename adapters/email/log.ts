/** The email adapter's loggers (`email.<module>`); see adapters/log.ts. */
import { createAdapterLogger, type AdapterLogger } from '../log.ts';

export type EmailLogger = AdapterLogger;

/** One logger per module, e.g. `createEmailLogger('invitation')`. */
export function createEmailLogger(module: string): EmailLogger {
  return createAdapterLogger(`email.${module}`);
}
