import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Message, MessageLoop } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';
import * as React from 'react';

import {
  getLineage,
  ILineageGraph,
  ILineageNode,
  LineageKind
} from '../api/lineage';
import { CommandIDs } from '../commandIds';
import { DeploymentCommandIDs } from '../deployments/commandIds';
import { errorMessage } from '../format';
import { createFigureWidget } from './figure';

/** Left to right, as the loop runs (the server's figure uses the same order). */
const KINDS: ReadonlyArray<ILineageNode['kind']> = [
  'feature_view',
  'training_set',
  'search',
  'execution',
  'run',
  'model_version',
  'alias',
  'scoring',
  'output',
  'deployment',
  'firing'
];

/** The command and its args that open a node's page; null when it has none. */
export function pageOf(
  node: ILineageNode
): { command: string; args: Record<string, string | number> } | null {
  const ref = node.ref;
  switch (node.kind) {
    case 'run':
    case 'training_set':
    case 'search':
    case 'scoring':
      return { command: CommandIDs.openRun, args: { runId: ref.run_id } };
    case 'execution':
      return {
        command: CommandIDs.openJobLog,
        args: { executionId: ref.execution_id }
      };
    case 'feature_view': {
      const version = Number(node.id.split('@').pop());
      return {
        command: CommandIDs.openFeatureView,
        args: Number.isInteger(version)
          ? { name: ref.name, version }
          : { name: ref.name }
      };
    }
    case 'deployment':
      return { command: DeploymentCommandIDs.open, args: { name: ref.name } };
    case 'firing':
      return {
        command: DeploymentCommandIDs.open,
        args: { name: ref.deployment }
      };
    case 'model_version':
    case 'alias':
      // A version's page is its entry in the Models section.
      return { command: CommandIDs.open, args: {} };
    default:
      return null;
  }
}

/**
 * The lineage graph around a run, execution, model version, deployment,
 * feature view or batch output: the server's Plotly figure (a click on a node
 * opens its page), then every node by kind as a link to its page.
 */
export class LineageView extends Panel {
  constructor(private _options: LineageView.IOptions) {
    super();
    const { kind, id, trans } = _options;
    this.kind = kind;
    this.key = id;
    this.addClass('jp-mlops-lineage-view');
    this.node.dataset.kind = kind;
    this.node.dataset.id = id;
    this.title.label = trans.__('Lineage of %1', id);
    this.title.caption = trans.__('Lineage of %1 %2', kind, id);
    this.ready = this.load();
  }

  readonly kind: LineageKind;
  readonly key: string;
  readonly ready: Promise<void>;

  // Drawn while detached (the tab is revealed once loaded), Plotly took its default
  // width: tell the renderer its size once on screen, as Lumino would on a resize.
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._fit();
  }

  private _fit(): void {
    const figure = this._figure;
    if (figure && this.isVisible) {
      requestAnimationFrame(() =>
        MessageLoop.sendMessage(figure, Widget.ResizeMessage.UnknownSize)
      );
    }
  }

  private _figure: Widget | null = null;

  async load(): Promise<void> {
    const { serverSettings, rendermime, commands, trans } = this._options;
    let graph: ILineageGraph;
    try {
      graph = await getLineage(this.kind, this.key, serverSettings);
    } catch (reason) {
      const failed = new Widget();
      failed.addClass('jp-mlops-error');
      failed.node.textContent = errorMessage(reason);
      this.addWidget(failed);
      return;
    }
    if (this.isDisposed) {
      return;
    }
    const open = (node: ILineageNode) => {
      const page = pageOf(node);
      if (page) {
        void commands.execute(page.command, page.args);
      }
    };
    // The graph is as wide as the tab (the renderer would otherwise keep plotly.js's
    // default 700 px, whatever room there is).
    const layout = { ...(graph.figure as any).layout };
    if (this.node.clientWidth > 0) {
      layout.width = this.node.clientWidth - 32;
    }
    const figure = await createFigureWidget(
      rendermime,
      { ...(graph.figure as any), layout },
      trans
    );
    figure.addClass('jp-mlops-lineage-chart');
    this.addWidget(figure);
    this._figure = figure;
    // plotly.js's own click event, with the node id the server put in customdata.
    const byId = new Map(graph.nodes.map(node => [node.id, node]));
    const plot = figure.node.querySelector('.js-plotly-plot') as any;
    plot?.on?.('plotly_click', (event: any) => {
      const node = byId.get(String(event?.points?.[0]?.customdata ?? ''));
      if (node) {
        open(node);
      }
    });
    this.addWidget(
      ReactWidget.create(<NodeList graph={graph} onOpen={open} trans={trans} />)
    );
    this._fit();
  }
}

export namespace LineageView {
  export interface IOptions {
    kind: LineageKind;
    id: string;
    commands: CommandRegistry;
    rendermime: IRenderMimeRegistry | null;
    serverSettings: ServerConnection.ISettings;
    trans: TranslationBundle;
  }
}

function NodeList(props: {
  graph: ILineageGraph;
  onOpen(node: ILineageNode): void;
  trans: TranslationBundle;
}): JSX.Element {
  const { graph, trans } = props;
  return (
    <div className="jp-mlops-lineage-nodes">
      {graph.truncated && (
        <div className="jp-mlops-muted">
          {trans.__('More was found than one view holds: the graph is cut.')}
        </div>
      )}
      {KINDS.map(kind => {
        const nodes = graph.nodes.filter(node => node.kind === kind);
        if (nodes.length === 0) {
          return null;
        }
        return (
          <div key={kind} className="jp-mlops-lineage-kind" data-kind={kind}>
            <span className="jp-mlops-muted">{kind.replace('_', ' ')}</span>
            {nodes.map(node => (
              <button
                key={node.id}
                className="jp-mlops-link jp-mlops-lineage-node"
                data-node={node.id}
                data-start={String(node.id === graph.start)}
                disabled={pageOf(node) === null}
                onClick={() => props.onOpen(node)}
              >
                {node.label}
              </button>
            ))}
          </div>
        );
      })}
    </div>
  );
}
