import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';

import { openArtifact } from '../artifacts/drive';
import { CommandIDs, MAX_COMPARE } from '../commandIds';
import { MLOpsEvents } from '../events';
import { FeatureViewView } from '../features/view/FeatureViewView';
import { CompareView } from './CompareView';
import { checkOpenable } from './checkOpenable';
import { SearchView } from '../jobs/SearchView';
import { LineageView } from './LineageView';
import { RunView } from './RunView';

export interface IViewTrackers {
  runs: WidgetTracker<MainAreaWidget<RunView>>;
  comparisons: WidgetTracker<MainAreaWidget<CompareView>>;
  featureViews: WidgetTracker<MainAreaWidget<FeatureViewView>>;
  lineage: WidgetTracker<MainAreaWidget<LineageView>>;
  searches: WidgetTracker<MainAreaWidget<SearchView>>;
}

/** Trackers for the views, so the layout restorer can reopen them. */
export function createViewTrackers(): IViewTrackers {
  return {
    runs: new WidgetTracker({ namespace: 'jupyter-mlops-run' }),
    comparisons: new WidgetTracker({ namespace: 'jupyter-mlops-compare' }),
    featureViews: new WidgetTracker({
      namespace: 'jupyter-mlops-feature-view'
    }),
    lineage: new WidgetTracker({ namespace: 'jupyter-mlops-lineage' }),
    searches: new WidgetTracker({ namespace: 'jupyter-mlops-search' })
  };
}

export interface IViewOptions {
  trackers: IViewTrackers;
  rendermime: IRenderMimeRegistry | null;
  docManager: IDocumentManager | null;
  restorer: ILayoutRestorer | null;
  events: MLOpsEvents;
  trans: TranslationBundle;
}

/** A short, stable DOM-safe id for a set of runs, whatever their order. */
function compareId(runIds: ReadonlyArray<string>): string {
  let hash = 5381;
  for (const char of [...runIds].sort().join(',')) {
    hash = ((hash * 33) ^ char.charCodeAt(0)) >>> 0;
  }
  return `jp-mlops-compare-${hash.toString(36)}`;
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** The main-area id of a feature view's tab (view names are identifiers). */
export function featureViewId(name: string): string {
  return `jp-mlops-feature-view-${name}`;
}

/**
 * The main-area views (a run, a comparison, a feature view) as commands, so the sidebar,
 * the palette and layout restoration all open them the same way.
 */
export function addViewCommands(app: JupyterFrontEnd, options: IViewOptions) {
  const { rendermime, docManager, restorer, events, trans } = options;
  const { runs, comparisons, featureViews, lineage, searches } =
    options.trackers;
  const serverSettings = app.serviceManager.serverSettings;

  const openNotebook = docManager
    ? async (path: string) => {
        await checkOpenable(docManager, path);
        docManager.openOrReveal(path);
      }
    : null;
  // Through the artifacts drive: read-only, no kernel, hidden folders too.
  const openRunArtifact = docManager
    ? async (runId: string, path: string) => {
        await openArtifact(app.commands, runId, path);
      }
    : null;

  app.commands.addCommand(CommandIDs.openRun, {
    label: trans.__('Open MLflow Run'),
    describedBy: {
      args: {
        type: 'object',
        properties: { runId: { type: 'string' } },
        required: ['runId']
      }
    },
    execute: args => {
      const runId = String(args.runId ?? '');
      const id = `jp-mlops-run-${runId}`;
      const existing = runs.find(widget => widget.id === id);
      if (existing) {
        app.shell.activateById(id);
        return existing;
      }
      const content = new RunView({
        runId,
        serverSettings,
        openNotebook,
        openArtifact: openRunArtifact,
        onModelsChanged: () => events.notifyModelsChanged(),
        rendermime,
        trans
      });
      const widget = new MainAreaWidget({ content });
      widget.id = id;
      widget.addClass('jp-mlops-view');
      widget.title.closable = true;
      void runs.add(widget);
      app.shell.add(widget, 'main');
      return widget;
    }
  });

  app.commands.addCommand(CommandIDs.compareRuns, {
    label: trans.__('Compare MLflow Runs'),
    describedBy: {
      args: {
        type: 'object',
        properties: {
          runIds: {
            type: 'array',
            items: { type: 'string' },
            minItems: 2,
            maxItems: MAX_COMPARE
          }
        },
        required: ['runIds']
      }
    },
    execute: args => {
      const runIds = stringArray(args.runIds);
      const id = compareId(runIds);
      const existing = comparisons.find(widget => widget.id === id);
      if (existing) {
        app.shell.activateById(id);
        return existing;
      }
      const content = new CompareView({
        runIds,
        rendermime,
        serverSettings,
        trans
      });
      const widget = new MainAreaWidget({ content, reveal: content.ready });
      widget.id = id;
      widget.addClass('jp-mlops-view');
      widget.title.label = trans.__('Compare %1 runs', runIds.length);
      widget.title.closable = true;
      void comparisons.add(widget);
      app.shell.add(widget, 'main');
      return widget;
    }
  });

  app.commands.addCommand(CommandIDs.openFeatureView, {
    label: trans.__('Open Feature View'),
    describedBy: {
      args: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          version: { type: 'integer', minimum: 1 }
        },
        required: ['name']
      }
    },
    execute: args => {
      const name = String(args.name ?? '');
      const version = typeof args.version === 'number' ? args.version : null;
      const id = featureViewId(name);
      const existing = featureViews.find(widget => widget.id === id);
      if (existing) {
        if (version !== null && existing.content.version !== version) {
          void existing.content.load(version);
        }
        app.shell.activateById(id);
        return existing;
      }
      const content = new FeatureViewView({
        name,
        version,
        rendermime,
        serverSettings,
        commands: app.commands,
        trans
      });
      const widget = new MainAreaWidget({ content, reveal: content.ready });
      widget.id = id;
      widget.addClass('jp-mlops-view');
      widget.title.closable = true;
      void featureViews.add(widget);
      app.shell.add(widget, 'main');
      return widget;
    }
  });

  app.commands.addCommand(CommandIDs.openLineage, {
    label: trans.__('Open Lineage'),
    describedBy: {
      args: {
        type: 'object',
        properties: {
          kind: {
            type: 'string',
            enum: [
              'run',
              'execution',
              'model_version',
              'deployment',
              'feature_view'
            ]
          },
          id: { type: 'string' }
        },
        required: ['kind', 'id']
      }
    },
    execute: args => {
      const kind = String(args.kind ?? '') as LineageView['kind'];
      const key = String(args.id ?? '');
      const existing = lineage.find(
        widget => widget.content.kind === kind && widget.content.key === key
      );
      if (existing) {
        app.shell.activateById(existing.id);
        return existing;
      }
      const content = new LineageView({
        kind,
        id: key,
        commands: app.commands,
        rendermime,
        serverSettings,
        trans
      });
      // Shown at once, not revealed when loaded: Plotly draws at the width it finds.
      const widget = new MainAreaWidget({ content });
      widget.id = `jp-mlops-lineage-${compareId([kind, key])}`;
      widget.addClass('jp-mlops-view');
      widget.title.closable = true;
      void lineage.add(widget);
      app.shell.add(widget, 'main');
      return widget;
    }
  });

  app.commands.addCommand(CommandIDs.openSearch, {
    label: trans.__('Open Hyperparameter Search'),
    describedBy: {
      args: {
        type: 'object',
        properties: { searchId: { type: 'string' } },
        required: ['searchId']
      }
    },
    execute: args => {
      const searchId = String(args.searchId ?? '');
      const existing = searches.find(w => w.content.searchId === searchId);
      if (existing) {
        app.shell.activateById(existing.id);
        return existing;
      }
      const content = new SearchView({
        searchId,
        commands: app.commands,
        rendermime,
        serverSettings,
        trans
      });
      const widget = new MainAreaWidget({ content });
      widget.id = `jp-mlops-search-${searchId}`;
      widget.addClass('jp-mlops-view');
      widget.title.closable = true;
      void searches.add(widget);
      app.shell.add(widget, 'main');
      return widget;
    }
  });

  if (restorer) {
    void restorer.restore(searches, {
      command: CommandIDs.openSearch,
      args: widget => ({ searchId: widget.content.searchId }),
      name: widget => widget.content.searchId
    });
    void restorer.restore(lineage, {
      command: CommandIDs.openLineage,
      args: widget => ({ kind: widget.content.kind, id: widget.content.key }),
      name: widget => widget.id
    });
    void restorer.restore(featureViews, {
      command: CommandIDs.openFeatureView,
      args: widget => ({ name: widget.content.name }),
      name: widget => widget.content.name
    });
    void restorer.restore(runs, {
      command: CommandIDs.openRun,
      args: widget => ({ runId: widget.content.runId }),
      name: widget => widget.content.runId
    });
    void restorer.restore(comparisons, {
      command: CommandIDs.compareRuns,
      args: widget => ({ runIds: [...widget.content.runIds] }),
      name: widget => widget.id
    });
  }
}
