import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { SidePanel } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { AccordionPanel } from '@lumino/widgets';

import { MLOpsEvents } from './events';
import { mlopsIcon } from './icon';
import { ISection, ISectionContext, SECTIONS } from './sections';
import { MLOpsSettings } from './settings';
import { StatusHeader, StatusModel } from './status';

export const SIDEBAR_ID = 'jp-mlops-sidebar';

/**
 * The left sidebar: a status header above one accordion section per
 * entry of `SECTIONS`.
 */
export class MLOpsSidebar extends SidePanel {
  constructor(options: MLOpsSidebar.IOptions) {
    super();
    this.id = SIDEBAR_ID;
    this.addClass('jp-mlops-sidebar');
    this.title.icon = mlopsIcon;
    const { serverSettings, settings, trans, commands, events } = options;
    this.title.caption = trans.__('MLOps');

    this.statusModel = new StatusModel({
      serverSettings,
      refreshInterval: settings.config.refreshInterval
    });
    settings.changed.connect(this._onSettingsChanged, this);
    this.header.addWidget(new StatusHeader(this.statusModel, trans));

    const context: ISectionContext = {
      serverSettings,
      settings,
      trans,
      commands,
      events,
      status: this.statusModel
    };
    const sections = options.sections ?? SECTIONS;
    for (const section of sections) {
      this.addWidget(this._createSection(section, context));
    }
    // The content of a SidePanel is an AccordionPanel (a SplitPanel).
    (this.content as AccordionPanel).setRelativeSizes(
      sections.map(section => section.weight ?? 1)
    );
  }

  /** The status shown in the header; refresh it from commands. */
  readonly statusModel: StatusModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    // Otherwise the poll keeps fetching for a sidebar that is gone.
    this.statusModel.dispose();
    super.dispose();
  }

  private _createSection(section: ISection, context: ISectionContext) {
    const widget = section.create(context);
    widget.id = `jp-mlops-section-${section.id}`;
    widget.addClass('jp-mlops-section');
    widget.title.label = section.title(context.trans);
    return widget;
  }

  private _onSettingsChanged(
    sender: MLOpsSettings,
    config: MLOpsSettings['config']
  ): void {
    this.statusModel.setInterval(config.refreshInterval);
  }
}

export namespace MLOpsSidebar {
  export interface IOptions {
    serverSettings: ServerConnection.ISettings;
    settings: MLOpsSettings;
    trans: TranslationBundle;
    commands: CommandRegistry;
    events: MLOpsEvents;
    /** Defaults to `SECTIONS`; tests may pass a subset. */
    sections?: ReadonlyArray<ISection>;
  }
}
