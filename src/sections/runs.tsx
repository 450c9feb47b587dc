import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { RunListModel } from '../runs/model';
import { RunsPanel } from '../runs/RunsPanel';
import { IMLOpsConfig, MLOpsSettings } from '../settings';
import { ISection, ISectionContext } from './section';

/**
 * The Runs section body. It owns the list model, and tells it when the
 * section is on screen so the live refresh polls only then.
 */
class RunsSectionWidget extends ReactWidget {
  constructor(private _context: ISectionContext) {
    super();
    this.addClass('jp-mlops-runs-section');
    const { serverSettings, settings } = _context;
    this._model = new RunListModel({
      serverSettings,
      refreshInterval: settings.config.refreshInterval
    });
    settings.changed.connect(this._onSettingsChanged, this);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._context.settings.changed.disconnect(this._onSettingsChanged, this);
    this._model.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._model.setActive(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._model.setActive(false);
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._model.setActive(this.isVisible);
  }

  protected render(): JSX.Element {
    const { commands, serverSettings, settings, trans } = this._context;
    return (
      <RunsPanel
        model={this._model}
        serverSettings={serverSettings}
        commands={commands}
        defaultExperiment={settings.config.defaultExperiment}
        trans={trans}
      />
    );
  }

  private _onSettingsChanged(sender: MLOpsSettings, config: IMLOpsConfig) {
    this._model.setInterval(config.refreshInterval);
    // The default experiment is a prop: re-render so a new one applies.
    this.update();
  }

  private _model: RunListModel;
}

export const runsSection: ISection = {
  id: 'runs',
  title: trans => trans.__('Runs'),
  weight: 4,
  create: context => new RunsSectionWidget(context)
};
