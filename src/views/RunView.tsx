import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IRunDetail } from '../api';
import { RunDetails } from './RunDetails';

/** The main-area body of a run view; the MainAreaWidget around it has the id. */
export class RunView extends ReactWidget {
  constructor(private _options: RunView.IOptions) {
    super();
    this.runId = _options.runId;
    this.addClass('jp-mlops-run-view-body');
    const { trans } = _options;
    // The MainAreaWidget mirrors this title; the run name replaces the id once known.
    this.title.label = trans.__('Run %1', this.runId.slice(0, 8));
    this.title.caption = trans.__('MLflow run %1', this.runId);
  }

  readonly runId: string;

  // An arrow property, so RunDetails gets one stable callback.
  private _onLoaded = (detail: IRunDetail): void => {
    const name = detail.run.run_name || this.runId.slice(0, 8);
    this.title.label = this._options.trans.__('Run %1', name);
  };

  protected render(): JSX.Element {
    const {
      serverSettings,
      openNotebook,
      openArtifact,
      onModelsChanged,
      rendermime,
      trans
    } = this._options;
    return (
      <RunDetails
        runId={this.runId}
        serverSettings={serverSettings}
        openNotebook={openNotebook}
        openArtifact={openArtifact}
        onModelsChanged={onModelsChanged}
        rendermime={rendermime ?? null}
        onLoaded={this._onLoaded}
        trans={trans}
      />
    );
  }
}

export namespace RunView {
  export interface IOptions {
    runId: string;
    serverSettings: ServerConnection.ISettings;
    openNotebook: ((path: string) => Promise<void>) | null;
    openArtifact: ((runId: string, path: string) => Promise<void>) | null;
    onModelsChanged(): void;
    /** For the metric charts (Plotly through its mime renderer). */
    rendermime?: IRenderMimeRegistry | null;
    trans: TranslationBundle;
  }
}
