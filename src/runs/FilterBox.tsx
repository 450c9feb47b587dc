import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

/**
 * A text box for an MLflow search filter, applied on Enter.
 *
 * Applying on each keystroke would send half-typed filters, which MLflow
 * refuses with errors about text the user has not finished writing.
 */
export function FilterBox(props: {
  value: string;
  error: string | null;
  onApply(filter: string): void;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const [text, setText] = React.useState(props.value);
  React.useEffect(() => setText(props.value), [props.value]);
  return (
    <div className="jp-mlops-filter">
      <input
        className="jp-mlops-filter-input jp-mod-styled"
        type="search"
        value={text}
        spellCheck={false}
        placeholder={trans.__(
          "Filter, e.g. metrics.acc > 0.9 and params.lr = '0.1'"
        )}
        aria-label={trans.__('Filter runs (MLflow search syntax)')}
        title={trans.__('MLflow search syntax; press Enter to apply')}
        onChange={event => setText(event.target.value)}
        onKeyDown={event => {
          if (event.key === 'Enter') {
            props.onApply(text);
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
