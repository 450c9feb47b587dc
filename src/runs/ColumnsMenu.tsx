import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IRunSummary } from '../api';
import { ATTRIBUTES, availableKeys, columnId, columnLabel } from './columns';

export interface IColumnsMenuProps {
  /** The loaded runs: their metric, param and tag keys are the choices. */
  runs: ReadonlyArray<IRunSummary>;
  /** The columns shown now, in order. */
  columns: ReadonlyArray<string>;
  onChange(columns: string[]): void;
  trans: TranslationBundle;
}

/**
 * The "Columns" button and its menu: one checkbox per run attribute and
 * per metric, param and tag key the loaded runs hold. A checked column is
 * added at the end of the table.
 */
export function ColumnsMenu(props: IColumnsMenuProps): JSX.Element {
  const { runs, columns, trans } = props;
  const [open, setOpen] = React.useState(false);
  const [at, setAt] = React.useState({ top: 0, left: 0 });
  const root = React.useRef<HTMLDivElement>(null);

  React.useEffect(() => {
    if (!open) {
      return;
    }
    const onDown = (event: MouseEvent) => {
      if (!root.current?.contains(event.target as Node)) {
        setOpen(false);
      }
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        setOpen(false);
      }
    };
    document.addEventListener('mousedown', onDown, true);
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('mousedown', onDown, true);
      document.removeEventListener('keydown', onKey, true);
    };
  }, [open]);

  // Only while open: a union of keys over 10,000 runs is not free.
  const groups = React.useMemo(
    () =>
      open
        ? [
            {
              title: trans.__('Attributes'),
              ids: ATTRIBUTES.map(key => columnId('attr', key))
            },
            {
              title: trans.__('Metrics'),
              ids: availableKeys(runs, 'metric').map(k => columnId('metric', k))
            },
            {
              title: trans.__('Parameters'),
              ids: availableKeys(runs, 'param').map(k => columnId('param', k))
            },
            {
              title: trans.__('Tags'),
              ids: availableKeys(runs, 'tag').map(k => columnId('tag', k))
            }
          ]
        : [],
    [open, runs, trans]
  );

  const shown = new Set(columns);
  const toggle = (id: string, on: boolean) =>
    props.onChange(
      on
        ? [...columns.filter(c => c !== id), id]
        : columns.filter(c => c !== id)
    );

  return (
    <div className="jp-mlops-columns" ref={root}>
      <Button
        className="jp-mlops-columns-button"
        small
        minimal
        aria-haspopup="true"
        aria-expanded={open}
        title={trans.__('Pick the table’s columns')}
        onClick={event => {
          const rect = event.currentTarget.getBoundingClientRect();
          setAt({ top: rect.bottom + 2, left: rect.left });
          setOpen(!open);
        }}
      >
        {trans.__('Columns')}
      </Button>
      {open && (
        <div
          className="jp-mlops-columns-menu"
          role="menu"
          style={{ top: at.top, left: at.left }}
        >
          {groups.map(group => (
            <div key={group.title} className="jp-mlops-columns-group">
              <div className="jp-mlops-columns-title">{group.title}</div>
              {group.ids.length === 0 && (
                <div className="jp-mlops-muted jp-mlops-columns-none">
                  {trans.__('None in the loaded runs')}
                </div>
              )}
              {group.ids.map(id => (
                <label
                  key={id}
                  className="jp-mlops-columns-item"
                  role="menuitemcheckbox"
                  aria-checked={shown.has(id)}
                  data-column={id}
                >
                  <input
                    type="checkbox"
                    checked={shown.has(id)}
                    onChange={event => toggle(id, event.target.checked)}
                  />
                  <span>{columnLabel(id, trans)}</span>
                </label>
              ))}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
