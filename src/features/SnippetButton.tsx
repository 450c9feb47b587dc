import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs } from '../commandIds';
import { errorMessage } from '../format';
import type { SnippetResult } from './commands';

/**
 * "Insert training-set snippet" for a view or a service, and a line saying
 * where the code went (the notebook, or the clipboard when none is open).
 */
export function SnippetButton(props: {
  /** The feature view or feature service. */
  name: string;
  commands: CommandRegistry;
  trans: TranslationBundle;
}): JSX.Element {
  const { name, commands, trans } = props;
  const [busy, setBusy] = React.useState(false);
  const [result, setResult] = React.useState<SnippetResult | null>(null);
  const [error, setError] = React.useState<string | null>(null);

  const insert = async () => {
    setBusy(true);
    try {
      setResult(
        (await commands.execute(CommandIDs.insertFeatureSnippet, {
          name
        })) as SnippetResult
      );
      setError(null);
    } catch (reason) {
      setResult(null);
      setError(errorMessage(reason));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Button
        small
        className="jp-mlops-snippet-button"
        data-name={name}
        disabled={busy}
        title={trans.__(
          'Insert code that builds a training set from %1 into the current notebook',
          name
        )}
        onClick={() => void insert()}
      >
        {trans.__('Insert training-set snippet')}
      </Button>
      {result !== null && (
        <div
          className="jp-mlops-snippet-status jp-mlops-muted"
          role="status"
          data-target={result.target}
        >
          {result.target === 'notebook'
            ? trans.__('Inserted into %1', result.path)
            : trans.__('No notebook is open: the code is on the clipboard.')}
        </div>
      )}
      {error !== null && (
        <div className="jp-mlops-error" role="alert">
          {error}
        </div>
      )}
    </>
  );
}
