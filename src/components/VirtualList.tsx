import * as React from 'react';

/** Rows rendered above and below the viewport, so fast scrolling shows no gaps. */
const OVERSCAN = 8;

export interface IVirtualListProps {
  itemCount: number;
  /** Fixed row height in px: what makes the visible range a division. */
  rowHeight: number;
  /** Render row `index`; the list positions it. */
  renderRow(index: number): React.ReactNode;
  /** Key of row `index`, so React keeps a row's DOM when rows shift. */
  rowKey(index: number): string;
  /** Called with the rendered range whenever it changes (e.g. to page in more). */
  onRangeChange?(start: number, end: number): void;
  className?: string;
  /** Rendered below the last row (e.g. "Loading more…"). */
  footer?: React.ReactNode;
  /**
   * Rendered above the rows, inside the scrolling viewport: a table header
   * that sticks to the top (CSS) and scrolls sideways with the rows.
   */
  header?: React.ReactNode;
  /** Width in px of the rows when wider than the viewport (it scrolls sideways). */
  width?: number;
  /** The viewport's ARIA role and name (e.g. `table` when rows are `row`s). */
  role?: string;
  ariaLabel?: string;
}

/**
 * A scrolling list that renders only the rows in view.
 *
 * With a fixed row height the visible range is `scrollTop / rowHeight`,
 * so 10,000 rows cost as much DOM as the ~30 that fit in the sidebar.
 */
export function VirtualList(props: IVirtualListProps): JSX.Element {
  const { itemCount, rowHeight, onRangeChange } = props;
  const viewport = React.useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = React.useState(0);
  const [height, setHeight] = React.useState(0);

  React.useLayoutEffect(() => {
    const node = viewport.current;
    if (!node) {
      return;
    }
    setHeight(node.clientHeight);
    // The accordion resizes the section without any React state changing.
    const observer = new ResizeObserver(() => setHeight(node.clientHeight));
    observer.observe(node);
    return () => observer.disconnect();
  }, []);

  const start = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
  const end = Math.min(
    itemCount,
    Math.ceil((scrollTop + height) / rowHeight) + OVERSCAN
  );

  React.useEffect(() => {
    onRangeChange?.(start, end);
  }, [start, end, itemCount, onRangeChange]);

  const rows: React.ReactNode[] = [];
  for (let index = start; index < end; index++) {
    rows.push(
      <div
        key={props.rowKey(index)}
        className="jp-mlops-vlist-row"
        style={{ top: index * rowHeight, height: rowHeight }}
        data-index={index}
      >
        {props.renderRow(index)}
      </div>
    );
  }

  return (
    <div
      ref={viewport}
      className={`jp-mlops-vlist ${props.className ?? ''}`}
      role={props.role}
      aria-label={props.ariaLabel}
      onScroll={event => setScrollTop(event.currentTarget.scrollTop)}
    >
      {props.header}
      <div
        className="jp-mlops-vlist-canvas"
        style={{ height: itemCount * rowHeight, minWidth: props.width }}
      >
        {rows}
      </div>
      {props.footer}
    </div>
  );
}
