import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ILoggedModel, IRegisteredVersion, registerModel } from '../api';
import { errorMessage } from '../format';

/**
 * Register a logged model under a name, optionally with an alias. A model
 * the server refuses (no signature or input example) shows the server's
 * message, which says how to fix it.
 */
export function RegisterForm(props: {
  model: ILoggedModel;
  serverSettings: ServerConnection.ISettings;
  onRegistered(result: IRegisteredVersion): void;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const [name, setName] = React.useState(model.name);
  const [alias, setAlias] = React.useState('');
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      const result = await registerModel(
        { source: model.model_uri, name: name.trim(), alias: alias.trim() },
        props.serverSettings
      );
      setError(null);
      props.onRegistered(result);
    } catch (reason) {
      setError(errorMessage(reason));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="jp-mlops-register-form" onSubmit={submit}>
      <input
        className="jp-mlops-register-name jp-mod-styled"
        value={name}
        placeholder={trans.__('registered model name')}
        aria-label={trans.__('Registered model name')}
        onChange={event => setName(event.target.value)}
      />
      <input
        className="jp-mlops-register-alias jp-mod-styled"
        value={alias}
        placeholder={trans.__('alias (optional)')}
        aria-label={trans.__('Alias (optional)')}
        onChange={event => setAlias(event.target.value)}
      />
      <Button
        type="submit"
        small
        className="jp-mlops-register-submit"
        disabled={busy || name.trim() === ''}
      >
        {trans.__('Register')}
      </Button>
      {error !== null && (
        <div className="jp-mlops-error" role="alert">
          {error}
        </div>
      )}
    </form>
  );
}
