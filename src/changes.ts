import { ServerConnection } from '@jupyterlab/services';
import { Poll } from '@lumino/polling';
import * as React from 'react';

import { getChanges, IChangeTokens } from './api/status';

/** How often a visible panel asks whether its list changed, in ms. */
const FREQUENCY = 3000;

/**
 * Call `onChange` whenever the server's token for `list` changes (an
 * experiment created by a notebook, a job or the CLI; a feature view
 * applied): one small request every few seconds while the page is visible,
 * none while it is hidden. The first answer only sets the baseline.
 */
export function useChangeToken(
  list: keyof IChangeTokens,
  serverSettings: ServerConnection.ISettings,
  onChange: () => void
): void {
  const callback = React.useRef(onChange);
  callback.current = onChange;
  React.useEffect(() => {
    let last: string | null = null;
    const poll = new Poll({
      name: `jupyter-mlops:changes:${String(list)}`,
      factory: async () => {
        const token = (await getChanges(serverSettings))[list];
        if (last !== null && token !== last) {
          callback.current();
        }
        last = token;
      },
      frequency: { interval: FREQUENCY, backoff: true, max: 60_000 },
      standby: () => document.hidden
    });
    return () => poll.dispose();
  }, [list, serverSettings]);
}
