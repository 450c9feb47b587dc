import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { IPlotlyFigure } from '../api';

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/**
 * A widget showing a server-built Plotly figure through the rendermime
 * registry, so the extension ships no plotly.js of its own.
 *
 * Without a Plotly renderer (the `plotly` Python package provides it) the
 * widget says so instead of failing.
 */
export async function createFigureWidget(
  rendermime: IRenderMimeRegistry | null,
  figure: IPlotlyFigure,
  trans: TranslationBundle
): Promise<Widget> {
  const data = { [PLOTLY_MIME]: figure as any };
  const mimeType = rendermime?.preferredMimeType(data, 'any');
  if (!rendermime || !mimeType) {
    const missing = new Widget();
    missing.addClass('jp-mlops-figure-missing');
    missing.node.textContent = trans.__(
      'No renderer for %1: install the Python package plotly into the server environment and reload.',
      PLOTLY_MIME
    );
    return missing;
  }
  const renderer = rendermime.createRenderer(mimeType);
  renderer.addClass('jp-mlops-figure');
  // Built by our own server from run data, not from notebook output.
  const model = rendermime.createModel({ data, trusted: true });
  await renderer.renderModel(model);
  return renderer;
}
