import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Panel } from '@lumino/widgets';
import * as React from 'react';

import { CommandIDs } from '../../commandIds';
import { heading } from '../../views/CompareView';
import { DriftPanel } from './drift';
import { DeploymentHeader, EventList, TriggerHistory } from './header';
import { DeploymentModel } from './model';
import { TryIt } from './TryIt';

/**
 * One deployment in the main area: its facts, traffic and live figures
 * (refreshed every 2 s while the tab is on screen), Promote / Rollback /
 * Undeploy, a Try it form built from the model's signature, drift per
 * feature with Plotly charts, its retraining trigger's firings and its
 * history.
 *
 * A Lumino panel, as the feature view is, so the Plotly renderers get
 * Lumino's resize messages.
 */
export class DeploymentView extends Panel {
  constructor(options: DeploymentView.IOptions) {
    super();
    this.addClass('jp-mlops-deployment-view');
    this.name = options.name;
    this.node.dataset.deployment = options.name;
    const { rendermime, serverSettings, trans } = options;
    this.title.label = trans.__('Deployment %1', this.name);
    this.title.caption = trans.__('Deployment %1', this.name);
    this.model = new DeploymentModel({ name: this.name, serverSettings });

    const react = (element: JSX.Element, className: string) => {
      const widget = ReactWidget.create(element);
      widget.addClass(className);
      return widget;
    };
    this._drift = new DriftPanel({
      name: this.name,
      rendermime,
      serverSettings,
      trans
    });
    const lineage = () =>
      void options.commands.execute(CommandIDs.openLineage, {
        kind: 'deployment',
        id: this.name
      });
    this.addWidget(
      react(
        <DeploymentHeader
          model={this.model}
          onLineage={lineage}
          trans={trans}
        />,
        'jp-mlops-deployment-top'
      )
    );
    this.addWidget(heading(trans.__('Try it')));
    this.addWidget(
      react(
        <TryIt
          model={this.model}
          serverSettings={serverSettings}
          trans={trans}
        />,
        'jp-mlops-tryit-container'
      )
    );
    this.addWidget(heading(trans.__('Drift')));
    this.addWidget(this._drift);
    this.addWidget(heading(trans.__('Retraining')));
    this.addWidget(
      react(
        <TriggerHistory model={this.model} trans={trans} />,
        'jp-mlops-deployment-firings-container'
      )
    );
    this.addWidget(heading(trans.__('Events')));
    this.addWidget(
      react(
        <EventList model={this.model} trans={trans} />,
        'jp-mlops-deployment-events-container'
      )
    );
    void this._drift.load();
  }

  readonly name: string;
  readonly model: DeploymentModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.setActive(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model.setActive(false);
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.model.setActive(this.isVisible);
  }

  protected onBeforeDetach(msg: Message): void {
    this.model.setActive(false);
    super.onBeforeDetach(msg);
  }

  private _drift: DriftPanel;
}

export namespace DeploymentView {
  export interface IOptions {
    name: string;
    commands: CommandRegistry;
    rendermime: IRenderMimeRegistry | null;
    serverSettings: ServerConnection.ISettings;
    trans: TranslationBundle;
  }
}
