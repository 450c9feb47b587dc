import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { MLOpsEvents } from '../events';
import { MLOpsSettings } from '../settings';
import type { StatusModel } from '../status';

/**
 * What a section may need from the outside world; grows as sections do.
 */
export interface ISectionContext {
  serverSettings: ServerConnection.ISettings;
  settings: MLOpsSettings;
  trans: TranslationBundle;
  /** To open main-area views (a run, a comparison) through their commands. */
  commands: CommandRegistry;
  events: MLOpsEvents;
  /**
   * The status the sidebar header polls: views read what the job executor
   * can do from it (`features`, `featuresChanged`) instead of polling again.
   */
  status: StatusModel;
}

/**
 * One accordion section of the MLOps sidebar.
 */
export interface ISection {
  /** Stable key: the `data-mlops-section` marker and the DOM id suffix. */
  id: string;
  /** The accordion header. */
  title(trans: TranslationBundle): string;
  /**
   * Share of the sidebar's height relative to the other sections
   * (default 1): lists get more room than empty states.
   */
  weight?: number;
  /**
   * Build the section body; the sidebar sets its id, title and classes.
   */
  create(context: ISectionContext): Widget;
}

/**
 * Placeholder body for a section that has nothing to list yet.
 */
export function EmptyState(props: {
  section: string;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <div className="jp-mlops-empty" data-mlops-section={props.section}>
      <p className="jp-mlops-empty-text">{props.children}</p>
    </div>
  );
}
