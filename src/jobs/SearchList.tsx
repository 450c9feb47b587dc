import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { ISearchView, listSearches } from '../api/tuning';
import { CommandIDs } from '../commandIds';
import { formatMetric } from '../format';

/** Seconds between refreshes of the list while the section is shown. */
const POLL_MS = 5000;

/**
 * The Jobs section's searches: one row each, with the best value so far and
 * the trials done, running and pruned; a click opens the search's page.
 * Nothing is shown in a project without searches.
 */
export function SearchList(props: {
  commands: CommandRegistry;
  serverSettings: ServerConnection.ISettings;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { commands, serverSettings, trans } = props;
  const [searches, setSearches] = React.useState<ISearchView[]>([]);
  React.useEffect(() => {
    let stopped = false;
    let timer = 0;
    const load = async () => {
      try {
        const found = await listSearches(serverSettings);
        if (!stopped) {
          setSearches(found);
        }
      } catch {
        // The executions list above reports the server's trouble; keep the rows shown.
      }
      if (!stopped) {
        timer = window.setTimeout(() => void load(), POLL_MS);
      }
    };
    void load();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [serverSettings]);
  if (searches.length === 0) {
    return null;
  }
  return (
    <div className="jp-mlops-search-list">
      <div className="jp-mlops-job-heading">{trans.__('Searches')}</div>
      {searches.map(search => {
        const settings = search.search as any;
        return (
          <button
            key={search.id}
            className="jp-mlops-search-row"
            data-search-id={search.id}
            data-status={search.status}
            title={trans.__('Open search %1', search.id)}
            onClick={() =>
              void commands.execute(CommandIDs.openSearch, {
                searchId: search.id
              })
            }
          >
            <span className="jp-mlops-search-notebook">{search.notebook}</span>
            <span className="jp-mlops-search-status">{search.status}</span>
            <span className="jp-mlops-search-best">
              {search.best
                ? trans.__(
                    'best %1 %2',
                    settings.metric,
                    formatMetric(search.best.value)
                  )
                : trans.__('no result yet')}
            </span>
            <span className="jp-mlops-muted jp-mlops-search-progress">
              {trans.__(
                '%1/%2 done · %3 running · %4 pruned',
                search.counts.complete,
                settings.trials,
                search.counts.running,
                search.counts.pruned
              )}
            </span>
          </button>
        );
      })}
    </div>
  );
}
