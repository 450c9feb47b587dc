import { LabIcon } from '@jupyterlab/ui-components';

// A loop of three stages (data, train, deploy). The `jp-icon3` class lets the
// theme recolour the fill, as JupyterLab's own icons do.
const svgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <circle cx="12" cy="4.5" r="2.5"/>
    <circle cx="5" cy="17" r="2.5"/>
    <circle cx="19" cy="17" r="2.5"/>
    <path d="M10.3 6.4 6.2 13.9l1.6.9 4.1-7.5zM13.7 6.4l-1.6.9 4.1 7.5 1.6-.9zM8 16.1v1.8h8v-1.8z"/>
  </g>
</svg>`;

export const mlopsIcon = new LabIcon({
  name: 'jupyter-mlops:sidebar',
  svgstr
});
