import { ISignal } from '@lumino/signaling';
import * as React from 'react';

/** Re-render the calling component on every emission of `changed`. */
export function useChanged(changed: ISignal<unknown, void>): void {
  const [, setTick] = React.useState(0);
  React.useEffect(() => {
    const onChanged = () => setTick(tick => tick + 1);
    changed.connect(onChanged);
    return () => {
      changed.disconnect(onChanged);
    };
  }, [changed]);
}
