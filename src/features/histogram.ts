import { IHistogram, IPlotlyFigure } from '../api';

/** Height in px of a histogram; keep in step with `.jp-mlops-feature-histogram`. */
export const HISTOGRAM_HEIGHT = 220;

/**
 * A Plotly bar chart of the server's bins for `feature`: one bar per bin,
 * as wide as the bin, so uneven edges (one value, a single bin) still
 * read right.
 */
export function histogramFigure(
  feature: string,
  histogram: IHistogram,
  countLabel: string
): IPlotlyFigure {
  const { edges, counts } = histogram;
  const x: number[] = [];
  const width: number[] = [];
  const text: string[] = [];
  counts.forEach((count, index) => {
    const low = edges[index];
    const high = edges[index + 1] ?? low;
    x.push((low + high) / 2);
    width.push(high - low);
    text.push(`[${low.toPrecision(4)}, ${high.toPrecision(4)}]`);
  });
  // A single value makes one bin of zero width: let Plotly pick one.
  const sized = width.some(w => w > 0);
  return {
    data: [
      {
        type: 'bar',
        name: feature,
        x,
        y: counts,
        ...(sized ? { width } : {}),
        text,
        hovertemplate: `%{text}<br>${countLabel}: %{y}<extra></extra>`,
        textposition: 'none',
        marker: { line: { width: 0 } }
      }
    ],
    layout: {
      height: HISTOGRAM_HEIGHT,
      margin: { l: 48, r: 12, t: 8, b: 36 },
      bargap: 0.02,
      showlegend: false,
      xaxis: { title: { text: feature } },
      yaxis: { title: { text: countLabel } }
    }
  };
}
