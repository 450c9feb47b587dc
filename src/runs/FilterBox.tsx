import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

/**
 * A text box for a search filter: by default an MLflow run filter, applied
 * on Enter.
 *
 * Applying on each keystroke would send half-typed filters, which MLflow
 * refuses with errors about text the user has not finished writing. A
 * plain text search has no such errors: with `debounceMs` it also applies
 * once typing pauses that long.
 */
export function FilterBox(props: {
  value: string;
  error: string | null;
  onApply(filter: string): void;
  trans: TranslationBundle;
  placeholder?: string;
  /** The input's accessible name. */
  label?: string;
  /** The input's tooltip. */
  hint?: string;
  debounceMs?: number;
}): JSX.Element {
  const { trans, onApply, debounceMs } = props;
  const [text, setText] = React.useState(props.value);
  React.useEffect(() => setText(props.value), [props.value]);
  const timer = React.useRef<number | null>(null);
  const cancel = () => {
    if (timer.current !== null) {
      window.clearTimeout(timer.current);
      timer.current = null;
    }
  };
  React.useEffect(() => cancel, []);
  return (
    <div className="jp-mlops-filter">
      <input
        className="jp-mlops-filter-input jp-mod-styled"
        type="search"
        value={text}
        spellCheck={false}
        placeholder={
          props.placeholder ??
          trans.__("Filter, e.g. metrics.acc > 0.9 and params.lr = '0.1'")
        }
        aria-label={
          props.label ?? trans.__('Filter runs (MLflow search syntax)')
        }
        title={
          props.hint ?? trans.__('MLflow search syntax; press Enter to apply')
        }
        onChange={event => {
          const value = event.target.value;
          setText(value);
          if (debounceMs !== undefined) {
            cancel();
            timer.current = window.setTimeout(() => {
              timer.current = null;
              onApply(value);
            }, debounceMs);
          }
        }}
        onKeyDown={event => {
          if (event.key === 'Enter') {
            cancel();
            onApply(text);
          }
        }}
      />
      {props.error !== null && (
        <div className="jp-mlops-error jp-mlops-filter-error" role="alert">
          {props.error}
        </div>
      )}
    </div>
  );
}
