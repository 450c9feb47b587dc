import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IModelVersion } from '../api';

/**
 * Point an alias (champion, challenger, ...) at one of a model's versions.
 */
export function AliasForm(props: {
  versions: ReadonlyArray<IModelVersion>;
  onSubmit(alias: string, version: string): Promise<void>;
  trans: TranslationBundle;
}): JSX.Element {
  const { versions, trans } = props;
  const [alias, setAlias] = React.useState('');
  const [version, setVersion] = React.useState(versions[0]?.version ?? '');
  const [busy, setBusy] = React.useState(false);
  React.useEffect(() => {
    if (!versions.some(v => v.version === version)) {
      setVersion(versions[0]?.version ?? '');
    }
  }, [versions, version]);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await props.onSubmit(alias.trim(), version);
      setAlias('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="jp-mlops-alias-form" onSubmit={submit}>
      <input
        className="jp-mlops-alias-input jp-mod-styled"
        value={alias}
        placeholder={trans.__('alias, e.g. challenger')}
        aria-label={trans.__('Alias')}
        onChange={event => setAlias(event.target.value)}
      />
      <HTMLSelect
        className="jp-mlops-alias-version"
        aria-label={trans.__('Version')}
        value={version}
        onChange={event => setVersion(event.currentTarget.value)}
        options={versions.map(v => ({
          value: v.version,
          label: trans.__('v%1', v.version)
        }))}
      />
      <Button
        type="submit"
        small
        className="jp-mlops-alias-submit"
        disabled={busy || alias.trim() === '' || version === ''}
      >
        {trans.__('Set alias')}
      </Button>
    </form>
  );
}
