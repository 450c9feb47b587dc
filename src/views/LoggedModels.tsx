import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ILoggedModel, IRegisteredVersion } from '../api';
import { RegisterForm } from './RegisterForm';

function LoggedModel(props: {
  model: ILoggedModel;
  serverSettings: ServerConnection.ISettings;
  onRegistered(): void;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const [open, setOpen] = React.useState(false);
  const [done, setDone] = React.useState<IRegisteredVersion | null>(null);
  // Checked against false, not falsy: a server that leaves the flags out
  // should not make every model look unregistrable.
  const noSignature = model.has_signature === false;
  const noExample = model.has_input_example === false;
  return (
    <li className="jp-mlops-logged-model" data-model-id={model.model_id}>
      <div className="jp-mlops-logged-model-head">
        <span className="jp-mlops-logged-model-name">{model.name}</span>
        <code className="jp-mlops-muted">{model.model_uri}</code>
        <Button
          small
          className="jp-mlops-register-button"
          onClick={() => setOpen(!open)}
        >
          {trans.__('Register')}
        </Button>
      </div>
      {(noSignature || noExample) && (
        <div className="jp-mlops-muted">
          {noSignature && noExample
            ? trans.__('No signature and no input example.')
            : noSignature
              ? trans.__('No signature.')
              : trans.__('No input example.')}
        </div>
      )}
      {done !== null && (
        <div className="jp-mlops-success" role="status">
          {trans.__('Registered %1 version %2', done.name, done.version)}
        </div>
      )}
      {open && (
        <RegisterForm
          model={model}
          serverSettings={props.serverSettings}
          onRegistered={result => {
            setDone(result);
            setOpen(false);
            props.onRegistered();
          }}
          trans={trans}
        />
      )}
    </li>
  );
}

/** Models the run logged, each registrable from here. */
export function LoggedModels(props: {
  models: ReadonlyArray<ILoggedModel>;
  serverSettings: ServerConnection.ISettings;
  onRegistered(): void;
  trans: TranslationBundle;
}): JSX.Element {
  if (props.models.length === 0) {
    return (
      <div className="jp-mlops-muted">
        {props.trans.__('This run logged no models.')}
      </div>
    );
  }
  return (
    <ul className="jp-mlops-logged-models">
      {props.models.map(model => (
        <LoggedModel
          key={model.model_id}
          model={model}
          serverSettings={props.serverSettings}
          onRegistered={props.onRegistered}
          trans={props.trans}
        />
      ))}
    </ul>
  );
}
